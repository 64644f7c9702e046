// Pre-join screen and device handling in the call (issue 12, items 1 and 2): preview, level meter,
// device lists and connection check before joining; joining muted with the camera off (the peer
// sees it); the second-tab warning; camera and microphone switches that keep the call going; the
// fallback when a device in use disappears; camera off stopping the track. Screenshots go to test-results/ (prejoin-*.png, device-menu-*.png).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, joinFromLink, launchBrowser, newParticipant, startServer, vcState, waitJoined, waitRoster } from './harness.mjs';

const MEETING = `prejoin-${Date.now().toString(36)}`;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const peerState = (participant, id) => participant.page.evaluate((peer) => window.__vc.peers[String(peer)], id);

async function framesKeepComing(viewer, publisherId, kind, count, timeout = 15_000) {
  const field = kind === 'video' ? 'videoFramesDecoded' : 'audioFramesDecoded';
  const before = (await peerState(viewer, publisherId))[field];
  try {
    await viewer.page.waitForFunction(
      ({ id, field, target }) => window.__vc.peers[String(id)][field] >= target,
      { id: publisherId, field, target: before + count },
      { timeout },
    );
  } catch (error) {
    const seen = await peerState(viewer, publisherId);
    throw new Error(`${error.message}; ${field} ${before} -> ${seen[field]}; viewer's peer state ${JSON.stringify(seen)}`);
  }
}

describe('pre-join screen and devices', { timeout: 200_000 }, () => {
  let server;
  let browser;
  let alice;
  let bob;
  const ids = {};
  const everyone = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the pre-join screen previews camera and mic, lists devices and checks the connection', { timeout: 40_000 }, async () => {
    alice = await newParticipant(browser, 'alice');
    everyone.push(alice);
    const { page } = alice;
    await page.setViewportSize(DESKTOP);
    await page.goto(`${server.url}/meeting/${MEETING}?lowcpu=1`);
    await page.getByTestId('prejoin').waitFor();
    // Nothing joins before the click: the page has no participant id.
    assert.equal(await page.evaluate(() => window.__vc.selfId), null);
    await page.waitForFunction(() => document.querySelector('[data-testid="prejoin-preview"]')?.videoWidth > 0, null, { timeout: 10_000 });
    // The fake microphone beeps: the meter moves.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="mic-level"]')?.dataset.level) > 5, null, { timeout: 10_000 });
    assert.ok((await page.getByTestId('camera-select').locator('option').count()) >= 1);
    assert.ok((await page.getByTestId('microphone-select').locator('option').count()) >= 2);
    await page.locator('[data-testid="connection-check"][data-verdict]').waitFor({ timeout: 15_000 });
    const check = await page.getByTestId('connection-check').innerText();
    assert.match(check, /Round trip to the server: \d+ ms/);
    assert.match(check, /Your connection (looks good|is fine|is slow)/);
    await page.screenshot({ path: join(RESULTS_DIR, 'prejoin-desktop.png') });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(RESULTS_DIR, 'prejoin-phone.png'), fullPage: true });
    const joinBox = await page.getByTestId('join-button').boundingBox();
    assert.ok(joinBox.x >= 0 && joinBox.x + joinBox.width <= PHONE.width, 'Join fits the phone width');
    await page.setViewportSize(DESKTOP);
  });

  test('joining with mic and camera off: the peer sees both off; the camera track is stopped', { timeout: 40_000 }, async () => {
    const { page } = alice;
    const camera = page.getByTestId('prejoin-camera-toggle');
    await page.getByTestId('prejoin-mic-toggle').click();
    await camera.click();
    await page.waitForFunction(() => document.querySelector('[data-testid="prejoin-camera-toggle"]')?.getAttribute('aria-pressed') === 'true');
    await page.getByTestId('prejoin-camera-message').filter({ hasText: 'Your camera is off' }).waitFor();
    await page.getByTestId('name-input').fill('Alice Archer');
    await page.getByTestId('join-button').click();
    ids.alice = await waitJoined(alice);

    bob = await newParticipant(browser, 'bob');
    everyone.push(bob);
    await joinFromLink(bob, server.url, 'Bob Baker', MEETING);
    ids.bob = await waitJoined(bob);
    await waitRoster(bob, ['Alice Archer']);
    const seen = (await vcState(bob)).roster.find((entry) => entry.id === ids.alice);
    assert.equal(seen.micOn, false, 'Hello carried mic_on = false');
    assert.equal(seen.cameraOn, false, 'Hello carried camera_on = false');
    const state = await vcState(alice);
    assert.equal(state.sent.videoFrames, 0, 'no camera frames were sent');
    assert.equal(state.sent.audioFrames, 0, 'no microphone frames were sent');
  });

  test('the choice is remembered, and a second tab in the meeting is warned', { timeout: 30_000 }, async () => {
    const second = await alice.context.newPage(); // same browser profile as Alice's joined tab
    try {
      await second.goto(`${server.url}/meeting/${MEETING}?lowcpu=1`);
      await second.getByTestId('duplicate-tab-warning').waitFor({ state: 'visible', timeout: 10_000 });
      assert.equal((await second.getByTestId('join-button').textContent()).trim(), 'Join anyway');
      assert.equal(await second.getByTestId('name-input').inputValue(), 'Alice Archer');
      assert.equal(await second.getByTestId('prejoin-mic-toggle').getAttribute('aria-pressed'), 'true', 'mic off remembered');
      assert.equal(await second.getByTestId('prejoin-camera-toggle').getAttribute('aria-pressed'), 'true', 'camera off remembered');
    } finally {
      await second.close();
    }
  });

  test('turning the camera and mic on in the call: the peer receives both', { timeout: 40_000 }, async () => {
    await alice.page.getByTestId('camera-toggle').click();
    await alice.page.getByTestId('mic-toggle').click();
    await bob.page.waitForFunction(
      (id) => {
        const entry = window.__vc.roster.find((peer) => peer.id === id);
        return entry?.micOn && entry?.cameraOn;
      },
      ids.alice,
      { timeout: 10_000 },
    );
    await framesKeepComing(bob, ids.alice, 'video', 30, 20_000);
    await framesKeepComing(bob, ids.alice, 'audio', 50, 20_000);
  });

  test('switching camera and microphone from the device menus keeps the call going', { timeout: 60_000 }, async () => {
    const { page } = alice;
    const trackIds = () =>
      page.evaluate(() => ({
        video: document.querySelector('[data-testid="self-tile"] video')?.srcObject?.getVideoTracks()[0]?.id ?? null,
      }));
    const before = await trackIds();
    // Keyboard: the camera menu opens on Enter with the current camera checked; Escape closes it.
    await page.getByTestId('camera-menu').focus();
    await page.keyboard.press('Enter');
    const cameraMenu = page.getByTestId('camera-menu-popup');
    await cameraMenu.waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-checked')), 'true');
    await page.screenshot({ path: join(RESULTS_DIR, 'device-menu-camera-desktop.png') });
    // Chromium's fake capture offers one camera: choosing it again still opens a new track.
    await page.keyboard.press('Enter');
    await cameraMenu.waitFor({ state: 'hidden' });
    await page.waitForFunction((old) => {
      const track = document.querySelector('[data-testid="self-tile"] video')?.srcObject?.getVideoTracks()[0];
      return track && track.id !== old && track.readyState === 'live';
    }, before.video, { timeout: 10_000 });
    await framesKeepComing(bob, ids.alice, 'video', 30);

    await page.getByTestId('mic-menu').click();
    const micMenu = page.getByTestId('mic-menu-popup');
    await micMenu.waitFor({ state: 'visible' });
    await page.screenshot({ path: join(RESULTS_DIR, 'device-menu-mic-desktop.png') });
    const other = micMenu.locator('[data-kind="microphone"][aria-checked="false"]').first();
    const otherId = await other.getAttribute('data-device-id');
    await other.click();
    await page.waitForFunction(
      (id) => window.__vc.localDevices.microphone === id,
      otherId,
      { timeout: 10_000 },
    );
    await framesKeepComing(bob, ids.alice, 'audio', 50);
    await framesKeepComing(bob, ids.alice, 'video', 15);

    await page.setViewportSize(PHONE);
    await page.getByTestId('mic-menu').click();
    await micMenu.waitFor({ state: 'visible' });
    await page.screenshot({ path: join(RESULTS_DIR, 'device-menu-mic-phone.png') });
    await page.keyboard.press('Escape');
    await micMenu.waitFor({ state: 'hidden' });
    await page.screenshot({ path: join(RESULTS_DIR, 'meeting-phone.png') });
    await page.setViewportSize(DESKTOP);
  });

  test('an unplugged microphone falls back to the default one, with a toast', { timeout: 30_000 }, async () => {
    const { page } = alice;
    const unplugged = await page.evaluate(() => window.__vc.localDevices.microphone);
    assert.notEqual(unplugged, 'default', 'the previous test chose another microphone');
    // Fake devices cannot be unplugged: the page's device list loses it and the browser's event fires.
    await page.evaluate((id) => {
      const devices = navigator.mediaDevices;
      const original = devices.enumerateDevices.bind(devices);
      devices.enumerateDevices = async () => (await original()).filter((device) => device.deviceId !== id);
      devices.dispatchEvent(new Event('devicechange'));
    }, unplugged);
    await page.getByTestId('toast').filter({ hasText: /was disconnected\. Switched to/ }).waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => window.__vc.localDevices.microphone === 'default', null, { timeout: 10_000 });
    await framesKeepComing(bob, ids.alice, 'audio', 50);
    await page.screenshot({ path: join(RESULTS_DIR, 'device-unplugged-toast.png') });
  });

  test('camera off stops the track; on again resumes from a keyframe', { timeout: 40_000 }, async (t) => {
    const { page } = alice;
    await page.evaluate(() => {
      window.__cameraTrack = document.querySelector('[data-testid="self-tile"] video').srcObject.getVideoTracks()[0];
    });
    const keyframesBefore = (await vcState(alice)).sent.videoKeyframes;
    await page.getByTestId('camera-toggle').click();
    await page.waitForFunction(() => window.__cameraTrack.readyState === 'ended', null, { timeout: 5_000 });
    await bob.page.waitForFunction((id) => window.__vc.roster.find((peer) => peer.id === id)?.cameraOn === false, ids.alice, { timeout: 10_000 });
    await page.getByTestId('camera-toggle').click();
    try {
      await framesKeepComing(bob, ids.alice, 'video', 15);
    } catch (error) {
      const { sent, tracks, encodings, lastError, localDevices } = await vcState(alice);
      throw new Error(`${error.message}; alice: ${JSON.stringify({ sent, tracks, encodings, lastError, localDevices })}`);
    }
    const { sent } = await vcState(alice);
    assert.ok(sent.videoKeyframes > keyframesBefore, 'a keyframe after the camera came back');
    // Chromium under load: the re-opened camera's track processor may deliver nothing; the sender
    // then reads the track through a <video> element (video-sender.ts).
    t.diagnostic(`camera read through a <video> element after coming back: ${sent.videoReaderFallbacks} time(s)`);
    assert.equal(await page.evaluate(() => window.__cameraTrack.readyState), 'ended');
  });

  test('no uncaught exceptions in any page', () => {
    assert.deepEqual(everyone.flatMap((participant) => participant.uncaught), []);
  });
});
