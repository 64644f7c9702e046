// The browser's sending side against the real server: tracks published before media, simulcast
// camera encodings with L1T3 temporal layer ids, keyframes per encoding, and screen sharing
// (start, the peer receives SCREEN frames, stop from the banner and from the browser's own UI).
// Two participants in one Chromium: Alice publishes three encodings over the WebSocket (whose sent
// frames the test reads); Bob shares his screen over WebTransport.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, launchBrowser, newParticipant, startServer, vcState, waitJoined, waitRoster } from './harness.mjs';

const MEETING = `send-${Date.now().toString(36)}`;
const KIND = { AUDIO: 1, VIDEO: 2, SCREEN: 3 };
const TRACK = { microphone: 1, camera: 2, screen: 3, screenAudio: 4 };

/** Reads a protobuf varint; returns [value, next offset]. */
function varint(bytes, offset) {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if ((bytes[i] & 0x80) === 0) return [value, i + 1];
    scale *= 128;
  }
  throw new Error('truncated varint');
}

/** Top-level fields of a protobuf message: Map field number -> first value (number or bytes). */
function fields(bytes) {
  const out = new Map();
  let offset = 0;
  while (offset < bytes.length) {
    const [key, next] = varint(bytes, offset);
    const wire = key & 7;
    const number = Math.floor(key / 8);
    if (wire === 0) {
      const [value, after] = varint(bytes, next);
      if (!out.has(number)) out.set(number, value);
      offset = after;
    } else if (wire === 2) {
      const [length, start] = varint(bytes, next);
      if (!out.has(number)) out.set(number, bytes.subarray(start, start + length));
      offset = start + length;
    } else if (wire === 1) offset = next + 8;
    else if (wire === 5) offset = next + 4;
    else throw new Error(`wire type ${wire}`);
  }
  return out;
}

/**
 * What an envelope the page sent says, enough to check ordering: media (kind, track, layers) or
 * a control message by its Control oneof field number (12 PublishTrack, 13 UnpublishTrack, 8 MediaState).
 */
function describeEnvelope(bytes) {
  const envelope = fields(bytes);
  if (envelope.has(1)) {
    const header = fields(fields(envelope.get(1)).get(1) ?? new Uint8Array());
    return { media: true, kind: header.get(1) ?? 0, trackId: header.get(2) ?? 0, spatial: header.get(7) ?? 0, temporal: header.get(6) ?? 0 };
  }
  const control = fields(envelope.get(2) ?? new Uint8Array());
  const [number] = control.keys();
  const body = fields(control.get(number) ?? new Uint8Array());
  if (number === 12) {
    const track = fields(body.get(1) ?? new Uint8Array());
    return { control: 'publishTrack', trackId: track.get(1) ?? 0, kind: track.get(3) ?? 0, muted: (track.get(5) ?? 0) === 1 };
  }
  if (number === 13) return { control: 'unpublishTrack', trackId: body.get(1) ?? 0 };
  if (number === 8) return { control: 'mediaState', screenOn: (body.get(3) ?? 0) === 1 };
  return { control: `field ${number}` };
}

/** Records every envelope the page sends over its WebSocket, in order. */
function recordSent(participant) {
  const sent = [];
  participant.page.on('websocket', (socket) => {
    socket.on('framesent', ({ payload }) => {
      if (typeof payload !== 'string') sent.push(describeEnvelope(new Uint8Array(payload)));
    });
  });
  return sent;
}

async function joinWith(participant, baseUrl, name, query) {
  await participant.page.goto(`${baseUrl}/meeting/${MEETING}?lowcpu=1&${query}`);
  await participant.page.getByTestId('name-input').fill(name);
  await participant.page.getByTestId('join-button').click();
  return waitJoined(participant);
}

/** Waits on a page condition; on timeout the sending and receiving state goes into the error. */
async function waitOrExplain(participant, condition, arg, timeout, others) {
  try {
    await participant.page.waitForFunction(condition, arg, { timeout, polling: 250 });
  } catch (error) {
    const states = await Promise.all(others.map(async (other) => {
      const state = await vcState(other);
      return `${other.label}: encodings ${JSON.stringify(state.encodings)} received ${JSON.stringify(state.received)} tracks ${JSON.stringify(state.tracks)} lastError ${JSON.stringify(state.lastError)}`;
    }));
    throw new Error(`${error.message}\n${states.join('\n')}`);
  }
}

/** Received tallies (window.__vc.received) from one sender, optionally of one kind. */
const receivedFrom = (state, senderId, kind) =>
  Object.values(state.received).filter((entry) => entry.senderId === senderId && (kind === undefined || entry.kind === kind));

describe('browser sending side', { timeout: 300_000 }, () => {
  let server;
  let browser;
  let alice;
  let bob;
  let aliceSent;
  const ids = {};

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    alice = await newParticipant(browser, 'alice');
    bob = await newParticipant(browser, 'bob');
    aliceSent = recordSent(alice);
    // Alice: three encodings (720p capture) even on a 2-core machine, over the WebSocket.
    ids.alice = await joinWith(alice, server.url, 'Alice Sender', 'layers=3&transport=websocket&codec=vp8');
    ids.bob = await joinWith(bob, server.url, 'Bob Presenter', 'layers=1');
    await waitRoster(alice, ['Bob Presenter']);
    await waitRoster(bob, ['Alice Sender']);
  });

  after(async () => {
    for (const participant of [alice, bob]) assert.deepEqual(participant?.uncaught ?? [], []);
    await browser?.close();
    await server?.stop();
  });

  test('the camera publishes its encodings with temporal layer ids, each track announced first', { timeout: 60_000 }, async (t) => {
    // Alice sends every encoding with all three temporal layers; Bob receives the one the server
    // chose for him (the SFU forwards one encoding per receiver), also with all three.
    await alice.page.waitForFunction(
      () => {
        const camera = Object.values(window.__vc.encodings).filter((encoding) => encoding.trackId === 2 && encoding.active);
        return camera.length >= 2 && camera.every((encoding) => encoding.keyframesSent >= 1 && encoding.temporalLayers.every((count) => count >= 3));
      },
      null,
      { timeout: 45_000, polling: 250 },
    );
    await bob.page.waitForFunction(
      (alice) => Object.values(window.__vc.received).some((entry) => entry.senderId === alice && entry.trackId === 2 && entry.keyframes >= 1 && entry.temporalLayers.every((count) => count >= 3)),
      ids.alice,
      { timeout: 45_000, polling: 250 },
    );
    const [a, b] = [await vcState(alice), await vcState(bob)];
    const camera = receivedFrom(b, ids.alice, KIND.VIDEO).sort((x, y) => x.spatialLayer - y.spatialLayer);
    const encodings = Object.values(a.encodings).filter((encoding) => encoding.trackId === TRACK.camera).sort((x, y) => x.spatialLayer - y.spatialLayer);
    t.diagnostic(`bob received ${camera.map((e) => `L${e.spatialLayer} ${e.width}x${e.height} ${e.frames} frames, T0/T1/T2 ${e.temporalLayers.join('/')}`).join('; ')}`);
    t.diagnostic(
      `alice encodings: ${encodings.map((e) => `L${e.spatialLayer} ${e.width}x${e.height} sent ${e.framesSent} (key ${e.keyframesSent}, T0/T1/T2 ${e.temporalLayers.join('/')}), ` +
        `skipped busy/backlog/oversize ${e.skippedEncoderBusy}/${e.skippedBacklog}/${e.skippedOversize}, encode ${e.encodeMs} ms, active ${e.active}`).join('; ')}; ` +
        `layers allowed ${a.cameraLayersAllowed}`,
    );
    // The ladder: 180p and 360p always; 720p unless the load governor found the machine too slow.
    assert.deepEqual(encodings.slice(0, 2).map((e) => [e.spatialLayer, e.width, e.height]), [[0, 320, 180], [1, 640, 360]]);
    if (encodings.length === 3 && encodings[2].active) assert.deepEqual([encodings[2].width, encodings[2].height], [1280, 720]);
    // What Bob got is one of those encodings, at its size.
    for (const entry of camera) {
      const sent = encodings.find((e) => e.spatialLayer === entry.spatialLayer);
      assert.deepEqual([entry.width, entry.height], [sent.width, sent.height], `received L${entry.spatialLayer}`);
    }
    assert.ok(a.cameraLayersAllowed >= 2 && a.cameraLayersAllowed <= 3);
    // The published track lists the encodings on offer, lowest first.
    const track = a.tracks[String(TRACK.camera)];
    assert.equal(track.source, 'CAMERA');
    assert.equal(track.kind, 'VIDEO');
    assert.deepEqual(track.layers.map((layer) => layer.spatialLayer), track.layers.map((_, index) => index));
    assert.equal(track.layers.length, a.cameraLayersAllowed);
    assert.deepEqual(a.tracks[String(TRACK.microphone)].kind, 'AUDIO');
    // Every skipped frame is counted somewhere; the counters exist per encoding.
    for (const encoding of encodings) for (const key of ['skippedEncoderBusy', 'skippedBacklog', 'skippedOversize']) assert.equal(typeof encoding[key], 'number');

    // On the wire: a PublishTrack for every track before its first media frame.
    const firstMedia = new Map();
    const published = new Map();
    aliceSent.forEach((message, index) => {
      if (message.control === 'publishTrack' && !published.has(message.trackId)) published.set(message.trackId, index);
      if (message.media && !firstMedia.has(message.trackId)) firstMedia.set(message.trackId, index);
    });
    assert.deepEqual([...firstMedia.keys()].sort(), [TRACK.microphone, TRACK.camera]);
    for (const [trackId, index] of firstMedia) {
      assert.ok(published.has(trackId) && published.get(trackId) < index, `PublishTrack ${trackId} precedes its media`);
    }
    assert.ok(aliceSent.every((message) => !message.media || message.trackId !== 0), 'every media header names its track');
  });

  test('a keyframe request naming an encoding gets a keyframe on that encoding only', { timeout: 30_000 }, async () => {
    // Counters read around the request in one synchronous page task: the server's own keyframe
    // requests (layer switches, new subscribers) cannot land in between.
    const { before, after } = await alice.page.evaluate(() => {
      const counts = () => Object.fromEntries(Object.entries(window.__vc.encodings).map(([key, e]) => [key, { requests: e.keyframeRequests, sent: e.keyframesSent }]));
      const before = counts();
      window.__vcDebug.keyframeRequest(2, 2, 1);
      return { before, after: counts() };
    });
    assert.equal(after['2/1'].requests, before['2/1'].requests + 1);
    assert.equal(after['2/0'].requests, before['2/0'].requests, 'encoding 0 was not asked');
    await alice.page.waitForFunction(
      (sent) => window.__vc.encodings['2/1'].keyframesSent > sent,
      before['2/1'].sent,
      { timeout: 20_000, polling: 100 },
    );
  });

  test('muting the camera updates the track', { timeout: 30_000 }, async () => {
    const count = aliceSent.length;
    await alice.page.getByTestId('camera-toggle').click();
    await alice.page.waitForFunction(() => window.__vc.tracks['2']?.muted === true, null, { timeout: 10_000 });
    await alice.page.getByTestId('camera-toggle').click();
    await alice.page.waitForFunction(() => window.__vc.tracks['2']?.muted === false, null, { timeout: 10_000 });
    const updates = aliceSent.slice(count).filter((message) => message.control === 'publishTrack' && message.trackId === TRACK.camera);
    // A layer change may republish the track (unmuted) at any time; what matters is the mute and
    // the unmute, in that order, and nothing muted after.
    const changes = updates.map((message) => message.muted).filter((muted, i, all) => i === 0 || muted !== all[i - 1]);
    if (changes[0] === false) changes.shift();
    assert.deepEqual(changes, [true, false], `publishTrack muted values: ${updates.map((message) => message.muted)}`);
  });

  test('Alice shares her screen (WebSocket): Bob receives SCREEN frames; the banner stops it', { timeout: 90_000 }, async (t) => {
    const button = alice.page.getByTestId('screen-share-toggle');
    assert.equal(await button.getAttribute('aria-pressed'), 'false');
    await button.click();
    await alice.page.getByTestId('presenting-banner').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await button.getAttribute('aria-pressed'), 'true');
    // The fake screen is 1920x1080 at 15 fps with "Fake audio": screen video and screen audio tracks.
    await waitOrExplain(
      bob,
      (alice) => {
        const screen = Object.values(window.__vc.received).find((entry) => entry.senderId === alice && entry.kind === 3);
        const audio = Object.values(window.__vc.received).find((entry) => entry.senderId === alice && entry.trackId === 4);
        return screen && screen.keyframes >= 1 && screen.frames >= 3 && audio && audio.frames >= 25;
      },
      ids.alice,
      60_000,
      [alice, bob],
    );
    const a = await vcState(alice);
    const screen = receivedFrom(await vcState(bob), ids.alice, KIND.SCREEN)[0];
    t.diagnostic(`bob got ${screen.frames} screen frames ${screen.width}x${screen.height}, ${screen.keyframes} keyframes, ${screen.bytes} bytes; alice's largest screen keyframe ${a.encodings['3/0'].largestKeyframeBytes} bytes`);
    assert.deepEqual([screen.trackId, screen.spatialLayer, screen.width, screen.height], [TRACK.screen, 0, 1920, 1080]);
    assert.equal(a.tracks[String(TRACK.screen)].source, 'SCREEN');
    assert.equal(a.tracks[String(TRACK.screen)].kind, 'SCREEN');
    assert.equal(a.tracks[String(TRACK.screenAudio)].source, 'SCREEN_AUDIO');
    assert.equal(a.screenSharing, true);
    assert.equal(a.encodings['3/0'].skippedOversize, 0);
    // Bob shows the share as the large tile and decodes it (the sharer's camera goes small).
    await waitOrExplain(
      bob,
      (key) => window.__vc.layout.large === key && window.__vc.tiles[key]?.framesDecoded > 0,
      `${ids.alice}/${TRACK.screen}`,
      30_000,
      [alice, bob],
    );

    // The sharer's view, desktop and phone, with the banner (checked by eye when built).
    await alice.page.setViewportSize({ width: 1280, height: 800 });
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'sender-presenting-desktop.png') });
    await alice.page.setViewportSize({ width: 390, height: 844 });
    // The page opened at desktop width with the participant panel open; a phone starts without it.
    const panelOpen = await alice.page.locator('.meeting.panel-open').count();
    if (panelOpen) await alice.page.getByTestId('participants-toggle').click();
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'sender-presenting-phone.png') });
    if (panelOpen) await alice.page.getByTestId('participants-toggle').click();
    await alice.page.setViewportSize({ width: 1280, height: 720 });

    const count = aliceSent.length;
    await alice.page.getByTestId('presenting-stop').click();
    await alice.page.getByTestId('presenting-banner').waitFor({ state: 'hidden', timeout: 10_000 });
    assert.equal(await button.getAttribute('aria-pressed'), 'false');
    const state = await vcState(alice);
    assert.equal(state.screenSharing, false);
    assert.equal(state.tracks[String(TRACK.screen)], undefined);
    const after = aliceSent.slice(count);
    assert.ok(after.some((message) => message.control === 'unpublishTrack' && message.trackId === TRACK.screen), 'UnpublishTrack 3');
    assert.ok(after.some((message) => message.control === 'unpublishTrack' && message.trackId === TRACK.screenAudio), 'UnpublishTrack 4');
    assert.ok(after.some((message) => message.control === 'mediaState' && message.screenOn === false), 'MediaState screen_on=false');
    const stopIndex = after.findIndex((message) => message.control === 'unpublishTrack' && message.trackId === TRACK.screen);
    assert.ok(after.slice(stopIndex).every((message) => !message.media || message.kind !== KIND.SCREEN), 'no screen media after UnpublishTrack');
  });

  test('Bob shares his screen over WebTransport; the browser ending the capture stops it cleanly', { timeout: 90_000 }, async () => {
    assert.equal((await vcState(bob)).transport, 'WebTransport');
    await bob.page.getByTestId('screen-share-toggle').click();
    await waitOrExplain(
      alice,
      (bob) => {
        const screen = Object.values(window.__vc.received).find((entry) => entry.senderId === bob && entry.kind === 3);
        return screen && screen.keyframes >= 1 && screen.frames >= 3;
      },
      ids.bob,
      60_000,
      [bob, alice],
    );
    await bob.page.evaluate(() => window.__vcDebug.endScreenCaptureFromBrowser());
    await bob.page.getByTestId('presenting-banner').waitFor({ state: 'hidden', timeout: 10_000 });
    const state = await vcState(bob);
    assert.equal(state.screenSharing, false);
    assert.equal(state.tracks[String(TRACK.screen)], undefined);
    assert.equal(state.encodings['3/0'].active, false);
    assert.equal(await bob.page.getByTestId('screen-share-toggle').getAttribute('aria-pressed'), 'false');
    assert.equal(state.lastError, null);
  });
});
