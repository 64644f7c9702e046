// WebTransport in the browser against the real videocall-server: two participants over
// WebTransport decode each other's video and audio; a WebTransport and a WebSocket participant
// interoperate; with --no-quic the page falls back to the WebSocket within 3 s.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchBrowser, newParticipant, startServer, vcState, waitJoined, waitRoster } from './harness.mjs';

const MIN_VIDEO_FRAMES = 45;
const MIN_AUDIO_FRAMES = 75;

async function join(participant, baseUrl, name, meetingId, query = '') {
  const { page } = participant;
  await page.goto(`${baseUrl}/meeting/${meetingId}?lowcpu=1${query}`);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('join-button').click();
}

function mediaFlowing(participant, otherId) {
  return participant.page.waitForFunction(
    ({ id, video, audio }) => {
      const peer = window.__vc.peers[String(id)];
      return peer && peer.videoFramesDecoded >= video && peer.audioFramesDecoded >= audio;
    },
    { id: otherId, video: MIN_VIDEO_FRAMES, audio: MIN_AUDIO_FRAMES },
    { timeout: 20_000, polling: 200 },
  );
}

describe('WebTransport', { timeout: 150_000 }, () => {
  let server;
  let browser;
  const pages = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const participant of pages) await participant.context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  test('two participants over WebTransport decode each other', { timeout: 50_000 }, async (t) => {
    const meeting = `wt-${Date.now().toString(36)}`;
    const ada = await newParticipant(browser, 'wt-ada');
    const ben = await newParticipant(browser, 'wt-ben');
    pages.push(ada, ben);
    await join(ada, server.url, 'Ada WT', meeting);
    const adaId = await waitJoined(ada);
    await join(ben, server.url, 'Ben WT', meeting);
    const benId = await waitJoined(ben);
    await waitRoster(ada, ['Ben WT']);
    const started = Date.now();
    await Promise.all([mediaFlowing(ada, benId), mediaFlowing(ben, adaId)]);
    const [a, b] = [await vcState(ada), await vcState(ben)];
    t.diagnostic(
      `media thresholds after ${((Date.now() - started) / 1000).toFixed(1)} s; ada decoded ` +
        `${a.peers[String(benId)].videoFramesDecoded} video / ${a.peers[String(benId)].audioFramesDecoded} audio`,
    );
    assert.equal(a.transport, 'WebTransport');
    assert.equal(b.transport, 'WebTransport');
    assert.equal(a.lastError, null);
    assert.equal(b.lastError, null);
    // The connection details show the transport in use.
    assert.equal(await ada.page.getByTestId('transport-name').textContent(), 'WebTransport');
    assert.deepEqual([...ada.uncaught, ...ben.uncaught], []);
    await ada.context.close();
    await ben.context.close();
  });

  test('a WebTransport and a WebSocket participant interoperate', { timeout: 50_000 }, async () => {
    const meeting = `wt-mixed-${Date.now().toString(36)}`;
    const cai = await newParticipant(browser, 'wt-cai');
    const dee = await newParticipant(browser, 'ws-dee');
    pages.push(cai, dee);
    await join(cai, server.url, 'Cai WT', meeting);
    const caiId = await waitJoined(cai);
    await join(dee, server.url, 'Dee WS', meeting, '&transport=websocket');
    const deeId = await waitJoined(dee);
    await Promise.all([mediaFlowing(cai, deeId), mediaFlowing(dee, caiId)]);
    assert.equal((await vcState(cai)).transport, 'WebTransport');
    assert.equal((await vcState(dee)).transport, 'WebSocket');
    assert.deepEqual([...cai.uncaught, ...dee.uncaught], []);
    await cai.context.close();
    await dee.context.close();
  });
});

describe('WebTransport fallback', { timeout: 60_000 }, () => {
  test('with --no-quic the page joins over WebSocket within 3 s', { timeout: 45_000 }, async (t) => {
    const server = await startServer(['--no-quic']);
    const browser = await launchBrowser();
    try {
      const eve = await newParticipant(browser, 'fallback-eve');
      const meeting = `wt-off-${Date.now().toString(36)}`;
      await eve.page.goto(`${server.url}/meeting/${meeting}?lowcpu=1`);
      await eve.page.getByTestId('name-input').fill('Eve Fallback');
      const started = Date.now();
      await eve.page.getByTestId('join-button').click();
      await waitJoined(eve, 3_000);
      t.diagnostic(`joined over ${(await vcState(eve)).transport} after ${Date.now() - started} ms`);
      assert.equal((await vcState(eve)).transport, 'WebSocket');
      assert.deepEqual(eve.uncaught, []);
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});
