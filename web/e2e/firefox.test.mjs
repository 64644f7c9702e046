// Chromium <-> Firefox: Debian's Chromium (playwright-core) and Debian's Firefox ESR (puppeteer-core
// over WebDriver BiDi) in one meeting against the real videocall-server, over WebSocket and over
// WebTransport. Firefox 153 has no MediaStreamTrackProcessor: its camera and microphone go through
// the replacement in src/media/track-reader.ts. Both sides must decode the other's video, decode
// and play its audio, and Firefox's VP9 temporal layers and simulcast must arrive at Chromium.
// One server, one Chromium and one Firefox for the file (a Firefox launch costs 10-50 s).
import assert from 'node:assert/strict';
import { join as joinPath } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, chromiumDriver, launchBrowser, launchFirefox, newFirefoxParticipant, newParticipant, startServer } from './harness.mjs';

const MIN_VIDEO_FRAMES = 45;
const MIN_AUDIO_FRAMES = 75;
const MIN_PLAYED_MS = 1000;

async function join(participant, baseUrl, name, meetingId, query = '') {
  // Two camera encodings (180p and 360p) whatever this machine's core count would choose.
  await participant.goto(`${baseUrl}/meeting/${meetingId}?lowcpu=1&layers=2${query}`);
  await participant.fill('name-input', name);
  await participant.click('join-button');
  await participant.waitFor(() => window.__vc?.selfId != null && window.__vc.connection === 'connected', null, 60_000);
  return participant.evaluate(() => window.__vc.selfId);
}

/** Video decoded, audio decoded and audio played out (AudioWorklet) from `otherId`. */
function mediaFlowing(participant, otherId) {
  return participant.waitFor(
    ({ id, video, audio, played }) => {
      const peer = window.__vc.peers[String(id)];
      return !!peer && peer.videoFramesDecoded >= video && peer.audioFramesDecoded >= audio && peer.audioPlayedMs >= played;
    },
    { id: otherId, video: MIN_VIDEO_FRAMES, audio: MIN_AUDIO_FRAMES, played: MIN_PLAYED_MS },
    90_000,
  );
}

const state = (participant) => participant.evaluate(() => JSON.parse(JSON.stringify(window.__vc)));

/** Joins both, waits for media both ways, checks what each browser used; returns both states. */
async function call(t, { chromium, firefox, serverUrl, query, transport }) {
  const meeting = `ff-${transport.toLowerCase()}-${Date.now().toString(36)}`;
  const chromiumId = await join(chromium, serverUrl, 'Chris Chromium', meeting, query);
  const firefoxId = await join(firefox, serverUrl, 'Fiona Firefox', meeting, query);
  const started = Date.now();
  await Promise.all([mediaFlowing(chromium, firefoxId), mediaFlowing(firefox, chromiumId)]);
  const [c, f] = [await state(chromium), await state(firefox)];
  const fromFirefox = c.peers[String(firefoxId)];
  const fromChromium = f.peers[String(chromiumId)];
  t.diagnostic(
    `${transport}: media both ways after ${((Date.now() - started) / 1000).toFixed(1)} s; chromium got ${fromFirefox.videoFramesDecoded} ` +
      `${fromFirefox.videoCodec} frames ${fromFirefox.videoWidth}x${fromFirefox.videoHeight}, ${fromFirefox.audioPlayedMs} ms audio played; ` +
      `firefox got ${fromChromium.videoFramesDecoded} ${fromChromium.videoCodec} frames ${fromChromium.videoWidth}x${fromChromium.videoHeight}, ` +
      `${fromChromium.audioPlayedMs} ms audio played`,
  );
  for (const [name, s] of [['chromium', c], ['firefox', f]]) {
    assert.equal(s.transport, transport, `${name} transport`);
    assert.equal(s.lastError, null, `${name}: ${JSON.stringify(s.lastError)}`);
    assert.deepEqual(s.capabilities?.problems, [], `${name} reports missing essentials`);
  }
  // Feature detection picked the native processor in Chromium and the replacement in Firefox.
  assert.equal(c.capabilities.probe.videoCapture, 'processor');
  assert.equal(f.capabilities.probe.videoCapture, 'element');
  assert.equal(f.capabilities.probe.audioCapture, 'worklet');
  // Both encode VP9 with L1T3 (the default), and decode each other's.
  assert.equal(fromFirefox.videoCodec, 'VP9');
  assert.equal(fromChromium.videoCodec, 'VP9');
  // Firefox's camera offers two simulcast encodings, each sending, with temporal layers 0-2.
  const firefoxCamera = Object.values(f.encodings).filter((encoding) => encoding.trackId === 2);
  assert.deepEqual(firefoxCamera.map((encoding) => encoding.height).sort((a, b) => a - b), [180, 360]);
  for (const encoding of firefoxCamera) {
    assert.ok(encoding.framesSent > 0, `firefox ${encoding.height}p sent nothing`);
    assert.ok(encoding.temporalLayers.every((count) => count > 0), `firefox ${encoding.height}p layers ${encoding.temporalLayers}`);
  }
  const received = Object.values(c.received).filter((tally) => tally.senderId === firefoxId && tally.trackId === 2);
  assert.ok(received.some((tally) => tally.temporalLayers[0] > 0 && tally.temporalLayers[2] > 0), `chromium received ${JSON.stringify(received)}`);
  assert.deepEqual([...chromium.uncaught, ...firefox.uncaught], []);
  return { chromiumId, firefoxId };
}

// Generous limits: on a loaded 2-core machine launching Firefox alone took up to 4 minutes.
describe('Chromium and Firefox in one call', { timeout: 600_000 }, () => {
  let server;
  let chromiumBrowser;
  let firefoxBrowser;
  const open = [];

  before(async () => {
    server = await startServer();
    // Both at once; each is kept as soon as it is up, so after() closes it even if the other failed.
    const launches = await Promise.allSettled([
      launchBrowser().then((browser) => (chromiumBrowser = browser)),
      launchFirefox().then((browser) => (firefoxBrowser = browser)),
    ]);
    for (const launch of launches) if (launch.status === 'rejected') throw launch.reason;
  });

  after(async () => {
    for (const participant of open) await participant.close().catch(() => {});
    await firefoxBrowser?.close(); // a killed Firefox leaves its profile behind in the temp dir
    await chromiumBrowser?.close();
    await server?.stop();
  });

  const participants = async (label) => {
    const chromium = chromiumDriver(await newParticipant(chromiumBrowser, `chromium-${label}`));
    const firefox = await newFirefoxParticipant(firefoxBrowser, `firefox-${label}`);
    open.push(chromium, firefox);
    return { chromium, firefox };
  };

  test('over WebSocket: video decoded and audio played on both sides', { timeout: 180_000 }, async (t) => {
    const { chromium, firefox } = await participants('ws');
    await call(t, { chromium, firefox, serverUrl: server.url, query: '&transport=websocket', transport: 'WebSocket' });
    // How the call looks in Firefox, at desktop and at phone size, and Firefox's camera as
    // Chromium draws it (looked at by a person).
    await chromium.screenshot(joinPath(RESULTS_DIR, 'firefox-call-seen-by-chromium.png'));
    await firefox.setViewport({ width: 1280, height: 800 });
    await firefox.screenshot(joinPath(RESULTS_DIR, 'firefox-call-desktop.png'));
    await firefox.setViewport({ width: 390, height: 844 });
    await firefox.screenshot(joinPath(RESULTS_DIR, 'firefox-call-phone.png'));
    await chromium.close();
    await firefox.close();
  });

  test('over WebTransport: video decoded and audio played on both sides', { timeout: 180_000 }, async (t) => {
    const { chromium, firefox } = await participants('wt');
    await call(t, { chromium, firefox, serverUrl: server.url, query: '', transport: 'WebTransport' });
    await chromium.close();
    await firefox.close();
  });

  test('a browser without video encoding is told so before and during the call', { timeout: 60_000 }, async () => {
    const participant = await newParticipant(chromiumBrowser, 'chromium-no-encoder');
    open.push(chromiumDriver(participant));
    const { page } = participant;
    // As in a browser whose WebCodecs lack encoders (feature detection must notice, not the name).
    await page.addInitScript(() => {
      delete window.VideoEncoder;
      delete window.AudioEncoder;
    });
    await page.goto(`${server.url}/meeting/ff-noenc-${Date.now().toString(36)}?lowcpu=1`);
    const before = page.getByTestId('prejoin').getByTestId('browser-problems');
    await before.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await before.innerText();
    assert.match(text, /This browser cannot send video: it has no VP9 or VP8 video encoder/);
    assert.match(text, /This browser cannot send audio: it has no Opus audio encoder/);
    assert.doesNotMatch(text, /show other people's video|play other people's audio/); // decoding still works
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.screenshot({ path: joinPath(RESULTS_DIR, 'browser-problems-prejoin-desktop.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: joinPath(RESULTS_DIR, 'browser-problems-prejoin-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('name-input').fill('Nora No-Encoder');
    await page.getByTestId('join-button').click();
    await page.waitForFunction(() => window.__vc.connection === 'connected', null, { timeout: 20_000 });
    assert.match(await page.getByTestId('browser-problems').innerText(), /This browser cannot send video/);
    await page.screenshot({ path: joinPath(RESULTS_DIR, 'browser-problems-call.png') });
    assert.deepEqual(participant.uncaught, []);
    await participant.context.close();
  });
});
