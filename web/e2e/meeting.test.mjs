// Browser end-to-end tests against the real videocall-server (VC_SERVER_BIN). One server and one
// Chromium for the whole file; each participant is its own browser context. Tests run in order
// and the last one stops the server.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  RESULTS_DIR,
  clickPrejoinJoin,
  joinFromHome,
  joinFromLink,
  launchBrowser,
  newParticipant,
  startServer,
  vcState,
  waitJoined,
  waitRoster,
} from './harness.mjs';

const MEETING = `e2e-${Date.now().toString(36)}`;
const MIN_VIDEO_FRAMES = 60;
const MIN_AUDIO_FRAMES = 100;

/** Luma standard deviation of the first remote tile's canvas: ~0 for a blank/solid canvas. */
function remoteCanvasStats() {
  const canvas = document.querySelector('[data-testid="peer-tile"] canvas');
  if (!canvas || !canvas.width || !canvas.height) return null;
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0;
  let sumSquares = 0;
  const pixels = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += luma;
    sumSquares += luma * luma;
  }
  const mean = sum / pixels;
  // Background colour near the corner, of the remote picture and of this page's own camera (the fake
  // cameras draw the same pattern), to catch colour-space mistakes in the encode/decode path.
  const corner = [...canvas.getContext('2d').getImageData(8, 8, 1, 1).data.slice(0, 3)];
  const video = document.querySelector('[data-testid="self-tile"] video');
  const scratch = document.createElement('canvas');
  scratch.width = 640;
  scratch.height = 360;
  scratch.getContext('2d').drawImage(video, 0, 0, 640, 360);
  const ownCorner = [...scratch.getContext('2d').getImageData(8, 8, 1, 1).data.slice(0, 3)];
  return { width: canvas.width, height: canvas.height, mean, std: Math.sqrt(Math.max(0, sumSquares / pixels - mean * mean)), corner, ownCorner };
}

describe('browser meeting', { timeout: 170_000 }, () => {
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

  test('two participants exchange audio and video', { timeout: 60_000 }, async (t) => {
    alice = await newParticipant(browser, 'alice');
    bob = await newParticipant(browser, 'bob');
    everyone.push(alice, bob);
    await joinFromHome(alice, server.url, 'Alice Archer', MEETING);
    ids.alice = await waitJoined(alice);
    await joinFromLink(bob, server.url, 'Bob Baker', MEETING);
    ids.bob = await waitJoined(bob);
    assert.notEqual(ids.alice, ids.bob);
    await waitRoster(alice, ['Bob Baker']);
    await waitRoster(bob, ['Alice Archer']);

    const started = Date.now();
    const flowing = (participant, otherId) =>
      participant.page.waitForFunction(
        ({ id, video, audio }) => {
          const peer = window.__vc.peers[String(id)];
          return peer && peer.videoFramesDecoded >= video && peer.audioFramesDecoded >= audio;
        },
        { id: otherId, video: MIN_VIDEO_FRAMES, audio: MIN_AUDIO_FRAMES },
        { timeout: 15_000, polling: 200 },
      );
    await Promise.all([flowing(alice, ids.bob), flowing(bob, ids.alice)]);
    const seconds = (Date.now() - started) / 1000;
    const [a, b] = [await vcState(alice), await vcState(bob)];
    const fromBob = a.peers[String(ids.bob)];
    const fromAlice = b.peers[String(ids.alice)];
    t.diagnostic(
      `thresholds reached after ${seconds.toFixed(1)} s; alice decoded ${fromBob.videoFramesDecoded} video / ${fromBob.audioFramesDecoded} audio (${fromBob.videoCodec}); ` +
        `bob decoded ${fromAlice.videoFramesDecoded} video / ${fromAlice.audioFramesDecoded} audio; transport ${a.transport}`,
    );
    assert.equal(a.transport, 'WebTransport'); // preferred when the server offers it (e2e/webtransport.test.mjs covers fallback)
    assert.equal(a.lastError, null);
    assert.equal(b.lastError, null);
    // The first frames may be the low layer (Hello's defaults are a guess before the layout exists;
    // the tile's own subscription follows at once, and the server switches at the next keyframe).
    await alice.page.waitForFunction((id) => window.__vc.peers[String(id)].videoWidth === 640 && window.__vc.peers[String(id)].videoHeight === 360, ids.bob, { timeout: 15_000, polling: 200 });

    // Decoded audio is actually played out through the AudioWorklet jitter buffer.
    const playing = (participant, otherId) =>
      participant.page.waitForFunction((id) => window.__vc.peers[String(id)]?.audioPlayedMs >= 1000, otherId, {
        timeout: 10_000,
        polling: 200,
      });
    await Promise.all([playing(alice, ids.bob), playing(bob, ids.alice)]);
    const playout = (await vcState(alice)).peers[String(ids.bob)];
    t.diagnostic(
      `alice playout: ${playout.audioPlayedMs} ms played, ${playout.audioBufferedMs} ms buffered, ${playout.audioUnderruns} underruns, jitter target ${playout.audioTargetMs} ms`,
    );
  });

  test('remote tiles show real pictures (screenshots + pixel variance)', { timeout: 30_000 }, async (t) => {
    for (const participant of [alice, bob]) {
      await participant.page.locator('[data-testid="peer-tile"].show-video').waitFor({ timeout: 10_000 });
      await participant.page.screenshot({ path: join(RESULTS_DIR, `${participant.label}-call.png`) });
      const canvas = await participant.page.evaluate(remoteCanvasStats);
      t.diagnostic(`${participant.label}: remote canvas ${JSON.stringify(canvas)}`);
      assert.ok(canvas, 'remote tile has a canvas');
      // A blank or flat canvas has a luma std near 0; the fake camera's frames measured 4.4-28
      // depending on where its animation is, so the bound sits well below that.
      assert.ok(canvas.std > 2, `remote canvas is not blank (luma std ${canvas?.std})`);
      const colourError = Math.max(...canvas.corner.map((value, i) => Math.abs(value - canvas.ownCorner[i])));
      assert.ok(colourError <= 20, `remote colours match the camera's (${canvas.corner} vs ${canvas.ownCorner})`);
      const label = await participant.page.locator('[data-testid="peer-tile"] .tile-name').textContent();
      assert.equal(label, participant === alice ? 'Bob Baker' : 'Alice Archer');
      await assert.doesNotReject(participant.page.getByTestId('transport-name').waitFor({ state: 'attached' }));
    }
  });

  test('mic and camera toggles reach the other participant', { timeout: 30_000 }, async () => {
    await alice.page.getByTestId('mic-toggle').click();
    await bob.page.waitForFunction((id) => window.__vc.roster.find((entry) => entry.id === id)?.micOn === false, ids.alice, {
      timeout: 10_000,
    });
    await bob.page.locator(`[data-testid="peer-tile"][data-participant-id="${ids.alice}"].mic-off`).waitFor({ timeout: 5_000 });
    await alice.page.getByTestId('mic-toggle').click();
    await bob.page.waitForFunction((id) => window.__vc.roster.find((entry) => entry.id === id)?.micOn === true, ids.alice, {
      timeout: 10_000,
    });

    const aliceTile = bob.page.locator(`[data-testid="peer-tile"][data-participant-id="${ids.alice}"]`);
    await alice.page.getByTestId('camera-toggle').click();
    await bob.page.waitForFunction((id) => window.__vc.roster.find((entry) => entry.id === id)?.cameraOn === false, ids.alice, {
      timeout: 10_000,
    });
    await aliceTile.locator('.tile-avatar', { hasText: 'AA' }).waitFor({ state: 'visible', timeout: 5_000 });
    await bob.page.screenshot({ path: join(RESULTS_DIR, 'bob-sees-alice-camera-off.png') });
    const framesBefore = await bob.page.evaluate((id) => window.__vc.peers[String(id)].videoFramesDecoded, ids.alice);
    await alice.page.getByTestId('camera-toggle').click();
    // Video resumes (from a keyframe) and the tile shows it again.
    await bob.page.waitForFunction(
      ({ id, before }) => window.__vc.peers[String(id)].videoFramesDecoded >= before + 15,
      { id: ids.alice, before: framesBefore },
      { timeout: 10_000 },
    );
    await bob.page.locator(`[data-testid="peer-tile"][data-participant-id="${ids.alice}"].show-video`).waitFor({ timeout: 5_000 });
  });

  test('a dropped connection resumes the same identity without a leave', { timeout: 40_000 }, async (t) => {
    const before = await vcState(alice);
    const bobBefore = await vcState(bob);
    const framesBefore = before.peers[String(ids.bob)].videoFramesDecoded;
    const started = Date.now();
    await bob.page.evaluate(() => window.__vcDebug.dropTransport());
    await bob.page.waitForFunction(() => window.__vc.joins >= 2 && window.__vc.connection === 'connected', null, {
      timeout: 15_000,
    });
    const resumedAfter = Date.now() - started;
    const bobState = await vcState(bob);
    assert.equal(bobState.selfId, ids.bob);
    assert.equal(bobState.resumed, true, 'JoinAccepted.resumed');
    // Media flows again in both directions.
    await alice.page.waitForFunction(
      ({ id, frames }) => window.__vc.peers[String(id)]?.videoFramesDecoded >= frames + 30,
      { id: ids.bob, frames: framesBefore },
      { timeout: 15_000 },
    );
    const bobFrames = bobState.peers[String(ids.alice)].videoFramesDecoded;
    await bob.page.waitForFunction(
      ({ id, frames }) => window.__vc.peers[String(id)]?.videoFramesDecoded >= frames + 30,
      { id: ids.alice, frames: bobFrames },
      { timeout: 15_000 },
    );
    const after = await vcState(alice);
    assert.equal(after.rosterEvents.left, before.rosterEvents.left, 'no ParticipantLeft during the reconnect');
    assert.equal(after.rosterEvents.joined, before.rosterEvents.joined, 'no ParticipantJoined during the reconnect');
    assert.deepEqual(
      after.roster.map((entry) => [entry.id, entry.connection]),
      [[ids.bob, 'CONNECTED']],
    );
    const bobAfter = await vcState(bob);
    // Alice's frames sent during the drop never reached Bob: the sequence gap makes Bob's decoder
    // wait for a keyframe and ask Alice for one, and the server must deliver that request to her.
    const requestsSent = (state) => state.peers[String(ids.alice)].keyframeRequestsSent;
    if (requestsSent(bobAfter) > requestsSent(bobBefore)) {
      assert.ok(after.sent.keyframeRequestsReceived > before.sent.keyframeRequestsReceived, 'targeted KeyframeRequest reached the publisher');
    }
    t.diagnostic(
      `bob resumed after ${resumedAfter} ms; alice saw ${after.rosterEvents.updated - before.rosterEvents.updated} updates; ` +
        `keyframe requests: bob sent ${requestsSent(bobAfter)} (was ${requestsSent(bobBefore)}), ` +
        `alice received ${after.sent.keyframeRequestsReceived} (was ${before.sent.keyframeRequestsReceived})`,
    );
  });

  test('a corrupt video frame: the receiver resets its decoder and recovers from a keyframe', { timeout: 30_000 }, async (t) => {
    const before = (await vcState(alice)).peers[String(ids.bob)];
    await bob.page.evaluate(() => window.__vcDebug.sendCorruptVideoFrame());
    await alice.page.waitForFunction(
      ({ id, resets }) => window.__vc.peers[String(id)].videoDecoderResets > resets,
      { id: ids.bob, resets: before.videoDecoderResets },
      { timeout: 10_000 },
    );
    const afterReset = (await vcState(alice)).peers[String(ids.bob)];
    await alice.page.waitForFunction(
      ({ id, frames }) => window.__vc.peers[String(id)].videoFramesDecoded >= frames + 30,
      { id: ids.bob, frames: afterReset.videoFramesDecoded },
      { timeout: 10_000 },
    );
    const after = (await vcState(alice)).peers[String(ids.bob)];
    t.diagnostic(
      `decoder resets ${before.videoDecoderResets} -> ${after.videoDecoderResets}, ` +
        `keyframe requests ${before.keyframeRequestsSent} -> ${after.keyframeRequestsSent}`,
    );
    assert.ok(after.keyframeRequestsSent > before.keyframeRequestsSent, 'asked the publisher for a keyframe');
  });

  test('a third participant joins and leaves; rosters follow', { timeout: 40_000 }, async (t) => {
    const started = Date.now();
    const carol = await newParticipant(browser, 'carol');
    everyone.push(carol);
    await joinFromLink(carol, server.url, 'Carol Cole', MEETING);
    await waitJoined(carol);
    const joinedAfter = Date.now() - started;
    await waitRoster(carol, ['Alice Archer', 'Bob Baker']);
    await waitRoster(alice, ['Bob Baker', 'Carol Cole']);
    await waitRoster(bob, ['Alice Archer', 'Carol Cole']);
    await alice.page.locator('[data-testid="peer-tile"]').nth(1).waitFor();
    // The newcomer decodes both publishers (they send a keyframe when someone joins).
    await carol.page.waitForFunction(
      () => {
        const peers = Object.values(window.__vc.peers);
        return peers.length === 2 && peers.every((peer) => peer.videoFramesDecoded >= 30);
      },
      null,
      { timeout: 15_000, polling: 200 },
    );
    const decodingAfter = Date.now() - started;
    const firstFrames = await carol.page.evaluate(() => Object.values(window.__vc.peers).map((peer) => peer.firstVideoFrameMs));
    await carol.page.getByTestId('leave-button').click();
    await carol.page.getByTestId('left-card').waitFor();
    await waitRoster(alice, ['Bob Baker']);
    await waitRoster(bob, ['Alice Archer']);
    assert.equal(await alice.page.locator('[data-testid="peer-tile"]').count(), 1);
    t.diagnostic(`carol joined after ${joinedAfter} ms, first frames after ${firstFrames} ms, decoded 30+ from both after ${decodingAfter} ms, left after ${Date.now() - started} ms`);
    await carol.context.close();
  });

  test('"New meeting" starts a fresh meeting with a generated id', { timeout: 30_000 }, async () => {
    const frank = await newParticipant(browser, 'frank');
    everyone.push(frank);
    await frank.page.goto(`${server.url}/?lowcpu=1`);
    await frank.page.getByTestId('name-input').fill('Frank');
    await frank.page.getByTestId('new-meeting-button').click();
    await frank.page.waitForURL(/\/meeting\/[a-z]{3}-[a-z]{4}-[a-z]{3}\?lowcpu=1$/);
    await clickPrejoinJoin(frank.page);
    await waitJoined(frank);
    const state = await vcState(frank);
    assert.match(state.meetingId, /^[a-z]{3}-[a-z]{4}-[a-z]{3}$/);
    assert.deepEqual(state.roster, []);
    await frank.page.getByTestId('leave-button').click();
    await frank.context.close();
  });

  test('a reconnect after the token expired rejoins with a fresh token', { timeout: 30_000 }, async () => {
    const gina = await newParticipant(browser, 'gina');
    everyone.push(gina);
    let joinCalls = 0;
    // Pretend every token has already expired (the server's stay valid for minutes). The page also
    // renews an expiring token in the background (about 1 s after joining here): its answer expires
    // at once too, or a slow machine would drop the transport after the renewal and keep the identity.
    const expired = async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      await route.fulfill({ response, json: { ...body, expires_at: Math.floor(Date.now() / 1000) } });
    };
    await gina.page.route('**/api/v1/meetings/*/join', async (route) => {
      joinCalls++;
      await expired(route);
    });
    await gina.page.route('**/api/v1/meetings/*/token', expired);
    const meeting = `${MEETING}-solo`;
    await joinFromLink(gina, server.url, 'Gina', meeting);
    const firstId = await waitJoined(gina);
    await gina.page.evaluate(() => window.__vcDebug.dropTransport());
    await gina.page.waitForFunction(() => window.__vc.joins >= 2 && window.__vc.connection === 'connected', null, {
      timeout: 15_000,
    });
    const state = await vcState(gina);
    assert.equal(joinCalls, 2, 'the reconnect fetched a new token');
    assert.notEqual(state.selfId, firstId);
    assert.deepEqual(state.roster, [], 'our old identity is not shown as another participant');
    assert.equal(state.lastError, null);
    await gina.context.close();
  });

  test('a forged token shows the error banner', { timeout: 30_000 }, async () => {
    const mallory = await newParticipant(browser, 'mallory');
    everyone.push(mallory);
    // Let the real join API answer, then corrupt the JWT signature it returned.
    await mallory.page.route('**/api/v1/meetings/*/join', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      const parts = String(body.token).split('.');
      parts[parts.length - 1] = 'Zm9yZ2VkLXNpZ25hdHVyZQ';
      await route.fulfill({ response, json: { ...body, token: parts.join('.') } });
    });
    await joinFromLink(mallory, server.url, 'Mallory', MEETING);
    const banner = mallory.page.getByTestId('error-banner');
    await banner.waitFor({ timeout: 15_000 });
    await mallory.page.screenshot({ path: join(RESULTS_DIR, 'forged-token.png') });
    const state = await vcState(mallory);
    assert.equal(state.lastError?.code, 4401, `lastError ${JSON.stringify(state.lastError)}`);
    assert.match(await banner.textContent(), /4401/);
    await waitRoster(alice, ['Bob Baker']); // the forged join never appeared in the meeting
    await mallory.context.close();
  });

  test('a rejected join request shows the server message', { timeout: 30_000 }, async () => {
    const dave = await newParticipant(browser, 'dave');
    everyone.push(dave);
    await joinFromLink(dave, server.url, 'Dave', 'x'.repeat(65)); // meeting ids are at most 64 chars
    const banner = dave.page.getByTestId('error-banner');
    await banner.waitFor({ timeout: 15_000 });
    assert.match(await banner.textContent(), /HTTP 400/);
    await dave.context.close();
  });

  test('server gone: the call waits for it (reconnecting, no error screen) and a new join shows the error banner', { timeout: 40_000 }, async () => {
    const erin = await newParticipant(browser, 'erin');
    everyone.push(erin);
    await erin.page.goto(`${server.url}/?lowcpu=1`);
    await erin.page.getByTestId('name-input').fill('Erin');
    await erin.page.getByTestId('meeting-input').fill(MEETING);
    await erin.page.screenshot({ path: join(RESULTS_DIR, 'home.png') });
    await server.stop();
    // SIGTERM sends 4503: a deploy or restart, which the call rides out for about a minute
    // (status.test.mjs restarts the server and sees it resume) instead of failing at once.
    await alice.page.waitForFunction(() => window.__vc.quality.reconnecting === true, null, { timeout: 15_000 });
    assert.equal(await alice.page.getByTestId('error-banner').count(), 0, 'no error screen while the server may come back');
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'alice-server-gone.png') });
    await erin.page.getByTestId('join-button').click();
    await clickPrejoinJoin(erin.page);
    const banner = erin.page.getByTestId('error-banner');
    await banner.waitFor({ timeout: 15_000 });
    assert.match(await banner.textContent(), /Cannot reach the server/);
    await erin.page.screenshot({ path: join(RESULTS_DIR, 'erin-server-stopped.png') });
  });

  test('no uncaught exceptions in any page', () => {
    const uncaught = everyone.flatMap((participant) => participant.uncaught);
    assert.deepEqual(uncaught, []);
  });
});
