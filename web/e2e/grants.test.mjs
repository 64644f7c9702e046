// Grants and invitation links (issue 11 parts 1 and 4) in Chromium against the real server: a
// site's backend mints tokens with the documented Node example; `/meeting/{id}#token=` joins
// without the guest join API (which is off), the token leaves the address bar, a viewer joins
// without any device prompt and without a tile, controls the token does not allow are greyed out
// with "The host has not allowed you to ...", and a guest sees why it cannot join.
// Screenshots (test-results/grants-*.png) at 1280x800 and 390x844.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mintRoomToken } from '../../docs/examples/mint_token.mjs';
import { RESULTS_DIR, clickPrejoinJoin, launchBrowser, newParticipant, startServer, waitJoined } from './harness.mjs';

const MEETING = `grants-${Date.now().toString(36)}`;
const API_KEY = 'e2e-site';
const API_SECRET = 'e2e-api-secret-0123456789abcdefghij';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const invite = (name, userId, role, grants) =>
  mintRoomToken({ apiKey: API_KEY, apiSecret: API_SECRET, meeting: MEETING, name, userId, role, grants });

/** Counts getUserMedia calls of the page (a viewer must cause none: no permission prompt). */
async function countDevicePrompts(participant) {
  await participant.context.addInitScript(() => {
    window.__gumCalls = 0;
    const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = (constraints) => {
      window.__gumCalls++;
      return original(constraints);
    };
  });
}

describe('grants and invitation links', { timeout: 240_000 }, () => {
  let server;
  let browser;
  let keyDir;
  const people = [];

  before(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'vc-e2e-keys-'));
    writeFileSync(join(keyDir, 'api_keys'), `${API_KEY}: ${API_SECRET}\n`, { mode: 0o600 });
    server = await startServer(['--api-key-file', join(keyDir, 'api_keys'), '--no-guest-join']);
    browser = await launchBrowser();
  });

  after(async () => {
    for (const participant of people) assert.deepEqual(participant.uncaught, [], 'no uncaught page errors');
    await browser?.close();
    await server?.stop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  test('a guest is told in words that the meeting needs an invitation', async () => {
    const guest = await newParticipant(browser, 'guest');
    people.push(guest);
    await guest.page.goto(`${server.url}/meeting/${MEETING}?lowcpu=1`);
    await guest.page.getByTestId('name-input').fill('Guest');
    await clickPrejoinJoin(guest.page);
    const card = guest.page.locator('.error-title');
    await card.waitFor({ timeout: 15_000 });
    assert.equal(await card.textContent(), 'This meeting needs an invitation link');
    assert.doesNotMatch(await guest.page.locator('.error-message').textContent(), /HTTP|403|guest_join_disabled/);
    await guest.page.screenshot({ path: join(RESULTS_DIR, 'grants-guest-refused-desktop.png') });
    await guest.context.close();
  });

  test('a participant without camera, screen and chat grants sees those controls greyed out', async () => {
    const speaker = await newParticipant(browser, 'speaker');
    people.push(speaker);
    await speaker.page.setViewportSize(DESKTOP);
    const token = invite('Sam Speaker', 'sam', 'participant', { publish: ['microphone'], chat: false });
    await speaker.page.goto(`${server.url}/meeting/${MEETING}?lowcpu=1#token=${token}`);
    const name = speaker.page.getByTestId('name-input');
    await name.waitFor();
    assert.equal(await name.inputValue(), 'Sam Speaker', 'the name comes from the invitation');
    assert.equal(new URL(speaker.page.url()).hash, '', 'the token left the address bar');
    await clickPrejoinJoin(speaker.page);
    await waitJoined(speaker);
    const camera = speaker.page.getByTestId('camera-toggle');
    assert.equal(await camera.isDisabled(), true);
    assert.equal(await camera.getAttribute('title'), 'The host has not allowed you to turn on your camera');
    assert.equal(await speaker.page.getByTestId('mic-toggle').isDisabled(), false, 'the microphone is granted');
    const screen = speaker.page.getByTestId('screen-share-toggle');
    assert.equal(await screen.isDisabled(), true);
    assert.equal(await screen.getAttribute('title'), 'The host has not allowed you to share your screen');
    await speaker.page.getByTestId('chat-toggle').click();
    const input = speaker.page.getByTestId('chat-input');
    assert.equal(await input.isDisabled(), true);
    assert.equal(await input.getAttribute('placeholder'), 'The host has not allowed you to send chat messages');
    await speaker.page.screenshot({ path: join(RESULTS_DIR, 'grants-speaker-desktop.png') });
    await speaker.page.setViewportSize(PHONE);
    await speaker.page.screenshot({ path: join(RESULTS_DIR, 'grants-speaker-phone.png') });
  });

  test('a viewer joins receive-only without any device prompt', async () => {
    const viewer = await newParticipant(browser, 'viewer');
    people.push(viewer);
    await countDevicePrompts(viewer);
    await viewer.page.setViewportSize(PHONE);
    await viewer.page.goto(`${server.url}/meeting/${MEETING}?lowcpu=1#token=${invite('Vera Viewer', 'vera', 'viewer')}`);
    await viewer.page.getByTestId('prejoin-camera-message').waitFor();
    assert.equal(await viewer.page.getByTestId('prejoin-camera-message').textContent(), 'You join as a viewer: you will see and hear the meeting.');
    await viewer.page.screenshot({ path: join(RESULTS_DIR, 'grants-viewer-prejoin-phone.png') });
    await clickPrejoinJoin(viewer.page);
    await waitJoined(viewer);
    assert.equal(await viewer.page.evaluate(() => window.__gumCalls), 0, 'no camera or microphone prompt');
    assert.equal(await viewer.page.getByTestId('self-tile').count(), 0, 'no self tile');
    assert.equal(await viewer.page.getByTestId('mic-toggle').getAttribute('title'), 'The host has not allowed you to use your microphone');
    const listed = await (await fetch(`${server.url}/api/v1/meetings/${MEETING}/participants`)).json();
    const vera = listed.participants.find((p) => p.display_name === 'Vera Viewer');
    assert.equal(vera.role, 'viewer');
    assert.equal(vera.receive_only, true);
    await viewer.page.screenshot({ path: join(RESULTS_DIR, 'grants-viewer-phone.png') });
    await viewer.page.setViewportSize(DESKTOP);
    await viewer.page.screenshot({ path: join(RESULTS_DIR, 'grants-viewer-desktop.png') });
  });
});
