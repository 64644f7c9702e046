// Two videocall-server nodes joined by a real nats-server, with one browser participant on each:
// they see and hear each other across nodes; then node A is killed with SIGKILL and its participant
// moves to node B (the next server in the list the join response gave it) and resumes its identity,
// while the participant on B sees it go "reconnecting" and come back: never a leave and a join.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  RESULTS_DIR,
  joinFromLink,
  launchBrowser,
  newParticipant,
  serverSupportsPeerUrl,
  startCluster,
  startNats,
  vcState,
  waitJoined,
  waitRoster,
} from './harness.mjs';

const MEETING = `cluster-${Date.now().toString(36)}`;
const MIN_VIDEO_FRAMES = 45;
const MIN_AUDIO_FRAMES = 75;

/** Resolves once `participant` has decoded `video`/`audio` more frames from `otherId` than `base`. */
function framesIncrease(participant, otherId, base = { video: 0, audio: 0 }, delta = { video: MIN_VIDEO_FRAMES, audio: MIN_AUDIO_FRAMES }, timeout = 20_000) {
  return participant.page.waitForFunction(
    ({ id, video, audio }) => {
      const peer = window.__vc.peers[String(id)];
      return peer !== undefined && peer.videoFramesDecoded >= video && peer.audioFramesDecoded >= audio;
    },
    { id: otherId, video: base.video + delta.video, audio: base.audio + delta.audio },
    { timeout, polling: 100 },
  );
}

function decoded(state, otherId) {
  const peer = state.peers[String(otherId)];
  return { video: peer?.videoFramesDecoded ?? 0, audio: peer?.audioFramesDecoded ?? 0 };
}

/** Luma standard deviation of the remote tile's canvas (~0 when blank). */
function remotePictureStd() {
  const canvas = document.querySelector('[data-testid="peer-tile"] canvas');
  if (!canvas || !canvas.width) return 0;
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < data.length; i += 4) {
    const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += luma;
    squares += luma * luma;
  }
  const pixels = data.length / 4;
  const mean = sum / pixels;
  return Math.sqrt(Math.max(0, squares / pixels - mean * mean));
}

/** Names in the participants panel (self included), as the user sees them. */
const panelNames = (participant) =>
  participant.page.locator('[data-testid="participants-panel"] .panel-name-text').allTextContents();

describe('two server nodes over NATS', { timeout: 120_000 }, () => {
  let nats;
  let cluster;
  let browser;
  let p1;
  let p2;
  const ids = {};

  before(async () => {
    nats = await startNats();
    cluster = await startCluster(nats.url, 2);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
    await nats?.stop();
  });

  test('participants on node A and node B see and hear each other', { timeout: 60_000 }, async (t) => {
    const [nodeA, nodeB] = cluster.nodes;
    p1 = await newParticipant(browser, 'p1-node-a');
    p2 = await newParticipant(browser, 'p2-node-b');
    if (!serverSupportsPeerUrl()) {
      // A server build without --peer-url does not announce the other nodes: add them the way it would.
      t.diagnostic('videocall-server has no --peer-url: alternate_servers added to the join response by the test');
      for (const [participant, other] of [
        [p1, nodeB],
        [p2, nodeA],
      ]) {
        await participant.page.route('**/api/v1/meetings/*/join', async (route) => {
          const response = await route.fetch();
          await route.fulfill({ response, json: { ...(await response.json()), alternate_servers: [other.url] } });
        });
      }
    }
    const started = Date.now();
    await joinFromLink(p1, nodeA.url, 'Petra One', MEETING);
    ids.p1 = await waitJoined(p1);
    await joinFromLink(p2, nodeB.url, 'Paul Two', MEETING);
    ids.p2 = await waitJoined(p2);
    await waitRoster(p1, ['Paul Two']);
    await waitRoster(p2, ['Petra One']);
    await Promise.all([framesIncrease(p1, ids.p2), framesIncrease(p2, ids.p1)]);
    const mediaAfter = Date.now() - started;

    for (const [participant, self, other] of [
      [p1, 'Petra One', 'Paul Two'],
      [p2, 'Paul Two', 'Petra One'],
    ]) {
      // The remote tile shows a real picture, not a blank canvas.
      await participant.page.locator('[data-testid="peer-tile"].show-video').waitFor({ timeout: 10_000 });
      const std = await participant.page.evaluate(remotePictureStd);
      t.diagnostic(`${participant.label}: remote picture luma std ${std.toFixed(1)}`);
      assert.ok(std > 5, `${participant.label}: remote tile is blank (luma std ${std})`);
      assert.equal(await participant.page.locator('[data-testid="peer-tile"]').count(), 1);
      // Rosters show both names exactly once (self + the other node's participant).
      const state = await vcState(participant);
      assert.deepEqual(
        state.roster.map((entry) => entry.name),
        [other],
      );
      assert.deepEqual((await panelNames(participant)).sort(), [self, other].sort());
      assert.equal(state.lastError, null);
      await participant.page.screenshot({ path: join(RESULTS_DIR, `${participant.label}-cluster.png`) });
    }
    const [a, b] = [await vcState(p1), await vcState(p2)];
    t.diagnostic(
      `joined and ${MIN_VIDEO_FRAMES} video / ${MIN_AUDIO_FRAMES} audio frames decoded both ways after ${mediaAfter} ms; ` +
        `p1 on ${a.server} over ${a.transport}, p2 on ${b.server} over ${b.transport}`,
    );
    assert.equal(a.server, nodeA.url);
    assert.equal(b.server, nodeB.url);
  });

  test('node A killed: its participant resumes through node B, media flows again within 5 s, no leave and join', { timeout: 40_000 }, async (t) => {
    const [nodeA, nodeB] = cluster.nodes;
    const before1 = await vcState(p1);
    const before2 = await vcState(p2);
    // The join response announced node B, so P1 knows where to go.
    assert.deepEqual(before1.servers, [nodeA.url, nodeB.url]);
    assert.equal(before1.server, nodeA.url);

    // P2 records what its page shows of P1: the tile's reconnecting state, tiles added or removed.
    await p2.page.evaluate((id) => {
      const grid = document.querySelector('[data-testid="tile-grid"]');
      const record = { events: [], maxPeerTiles: 0 };
      window.__clusterRecord = record;
      let watched = grid.querySelector(`[data-testid="peer-tile"][data-participant-id="${id}"]`);
      let reconnecting = watched.classList.contains('reconnecting');
      const onClass = () => {
        if (watched.classList.contains('reconnecting') === reconnecting) return;
        reconnecting = !reconnecting;
        record.events.push(reconnecting ? 'reconnecting' : 'connected');
      };
      const classObserver = new MutationObserver(onClass);
      classObserver.observe(watched, { attributes: true, attributeFilter: ['class'] });
      new MutationObserver((mutations) => {
        for (const mutation of mutations) {
          for (const node of mutation.removedNodes) if (node.dataset?.testid === 'peer-tile') record.events.push(`removed ${node.dataset.participantId}`);
          for (const node of mutation.addedNodes) if (node.dataset?.testid === 'peer-tile') record.events.push(`added ${node.dataset.participantId}`);
        }
        record.maxPeerTiles = Math.max(record.maxPeerTiles, grid.querySelectorAll('[data-testid="peer-tile"]').length);
      }).observe(grid, { childList: true });
    }, ids.p1);

    const killedAt = Date.now();
    await nodeA.kill('SIGKILL');
    // P1 notices, fails to reach node A again, and resumes its identity through node B.
    await p1.page.waitForFunction(
      (server) => window.__vc.connection === 'connected' && window.__vc.server === server,
      nodeB.url,
      { timeout: 15_000, polling: 50 },
    );
    const resumedMs = Date.now() - killedAt;
    const resumed1 = await vcState(p1);
    const resumed2 = await vcState(p2);
    // Frames decoded after the resume travelled through node B only.
    await Promise.all([
      framesIncrease(p1, ids.p2, decoded(resumed1, ids.p2), { video: 10, audio: 25 }, 15_000),
      framesIncrease(p2, ids.p1, decoded(resumed2, ids.p1), { video: 10, audio: 25 }, 15_000),
    ]);
    const flowingMs = Date.now() - killedAt;
    // P2 sees P1 come back as connected, in the same tile.
    await p2.page.waitForFunction(
      (id) => window.__vc.roster.length === 1 && window.__vc.roster[0].id === id && window.__vc.roster[0].connection === 'CONNECTED',
      ids.p1,
      { timeout: 10_000, polling: 50 },
    );
    const after1 = await vcState(p1);
    const after2 = await vcState(p2);
    const record = await p2.page.evaluate(() => window.__clusterRecord);
    t.diagnostic(
      `after the kill: p1 resumed through node B over ${after1.transport} in ${resumedMs} ms, media both ways again after ${flowingMs} ms; ` +
        `p2 saw ${JSON.stringify(record.events)}, ${after2.rosterEvents.updated - before2.rosterEvents.updated} ParticipantUpdated`,
    );
    await p1.page.screenshot({ path: join(RESULTS_DIR, 'p1-after-failover.png') });

    assert.ok(flowingMs <= 5_000, `media flowed again both ways ${flowingMs} ms after the kill (limit 5000 ms)`);
    // Same identity, resumed (not a fresh join), shown in the status bar.
    assert.equal(after1.selfId, ids.p1);
    assert.equal(after1.resumed, true, 'JoinAccepted.resumed');
    assert.equal(after1.joins, before1.joins + 1);
    assert.equal(await p1.page.getByTestId('server-name').textContent(), new URL(nodeB.url).host);
    assert.equal(await p1.page.getByTestId('transport-name').textContent(), after1.transport);
    // P1 still has exactly one tile for P2, and no roster churn.
    assert.deepEqual(after1.roster.map((entry) => [entry.id, entry.connection]), [[ids.p2, 'CONNECTED']]);
    assert.equal(await p1.page.locator('[data-testid="peer-tile"]').count(), 1);
    // P2: never a leave followed by a join, never a second tile. Node B declares node A lost after
    // 1.5 s of silence and only then shows A's participants as reconnecting; a failover faster than
    // that moves P1 to node B first, which P2 sees as one ParticipantUpdated (still connected).
    // Either way the same tile stays, at most going to "reconnecting" and back.
    assert.equal(after2.rosterEvents.left, before2.rosterEvents.left, 'no ParticipantLeft on P2');
    assert.equal(after2.rosterEvents.joined, before2.rosterEvents.joined, 'no ParticipantJoined on P2');
    assert.ok(after2.rosterEvents.updated > before2.rosterEvents.updated, 'P2 was told that P1 moved');
    assert.equal(record.maxPeerTiles, 0, 'no tile added or removed on P2');
    assert.ok(
      record.events.length === 0 || JSON.stringify(record.events) === JSON.stringify(['reconnecting', 'connected']),
      `P1's tile on P2: ${JSON.stringify(record.events)}`,
    );
    assert.equal(await p2.page.locator('[data-testid="peer-tile"]').count(), 1);
    assert.equal(after1.lastError, null);
    assert.equal(after2.lastError, null);
  });

  test('no uncaught exceptions in either page', () => {
    assert.deepEqual([...(p1?.uncaught ?? []), ...(p2?.uncaught ?? [])], []);
  });
});
