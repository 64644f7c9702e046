// Three videocall-server nodes joined by a real nats-server. One browser participant on node A and
// one on node B see and hear each other across nodes. Node A is killed with SIGKILL: its
// participant moves to node B (the next server in the list the join response gave it) and resumes
// its identity, while the participant on B keeps its tile: never a leave and a join. Then node B
// freezes (SIGSTOP: sockets stay open, nothing answers): both notice the silence and resume
// through node C. Last, node B comes back and node C shuts down gracefully (4503): both move on
// to node B at once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  RESULTS_DIR,
  joinFromLink,
  launchBrowser,
  newParticipant,
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

/**
 * Records, in the page, what it shows of participant `id`: its tile going to "reconnecting" and
 * back, and peer tiles added or removed (read back with readRecorder).
 */
function installRecorder(participant, id) {
  return participant.page.evaluate((watchedId) => {
    const grid = document.querySelector('[data-testid="tile-grid"]');
    const record = { events: [], tilesAddedOrRemoved: 0 };
    window.__clusterRecord = record;
    const tile = grid.querySelector(`[data-testid="peer-tile"][data-participant-id="${watchedId}"]`);
    let reconnecting = tile.classList.contains('reconnecting');
    new MutationObserver(() => {
      if (tile.classList.contains('reconnecting') === reconnecting) return;
      reconnecting = !reconnecting;
      record.events.push(reconnecting ? 'reconnecting' : 'connected');
    }).observe(tile, { attributes: true, attributeFilter: ['class'] });
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        for (const node of [...mutation.removedNodes, ...mutation.addedNodes]) {
          if (node.dataset?.testid !== 'peer-tile') continue;
          record.tilesAddedOrRemoved++;
          record.events.push(`${mutation.addedNodes.length ? 'added' : 'removed'} tile ${node.dataset.participantId}`);
        }
      }
    }).observe(grid, { childList: true });
  }, id);
}

const readRecorder = (participant) => participant.page.evaluate(() => window.__clusterRecord);

/** Resolves when `participant` is connected through `server` (a node's base URL). */
function connectedThrough(participant, server, timeout = 15_000) {
  return participant.page.waitForFunction(
    (url) => window.__vc.connection === 'connected' && window.__vc.server === url,
    server,
    { timeout, polling: 50 },
  );
}

/** Resolves when `participant` sees exactly the one peer `id`, connected. */
function seesConnected(participant, id) {
  return participant.page.waitForFunction(
    (peer) => window.__vc.roster.length === 1 && window.__vc.roster[0].id === peer && window.__vc.roster[0].connection === 'CONNECTED',
    id,
    { timeout: 10_000, polling: 50 },
  );
}

describe('three server nodes over NATS', { timeout: 150_000 }, () => {
  let nats;
  let cluster;
  let browser;
  let p1;
  let p2;
  const ids = {};

  before(async () => {
    nats = await startNats();
    cluster = await startCluster(nats.url, 3);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
    await nats?.stop();
  });

  test('participants on node A and node B see and hear each other', { timeout: 60_000 }, async (t) => {
    const [nodeA, nodeB, nodeC] = cluster.nodes;
    p1 = await newParticipant(browser, 'p1-node-a');
    p2 = await newParticipant(browser, 'p2-node-b');
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
    const [nodeA, nodeB, nodeC] = cluster.nodes;
    const before1 = await vcState(p1);
    const before2 = await vcState(p2);
    // The join response announced node B, so P1 knows where to go.
    assert.deepEqual(before1.servers, [nodeA.url, nodeB.url, nodeC.url]);
    assert.equal(before1.server, nodeA.url);

    // P2 records what its page shows of P1.
    await installRecorder(p2, ids.p1);

    const killedAt = Date.now();
    await nodeA.kill('SIGKILL');
    // P1 notices, fails to reach node A again, and resumes its identity through node B.
    await connectedThrough(p1, nodeB.url);
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
    await seesConnected(p2, ids.p1);
    const after1 = await vcState(p1);
    const after2 = await vcState(p2);
    const record = await readRecorder(p2);
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
    assert.equal(record.tilesAddedOrRemoved, 0, 'no tile added or removed on P2');
    assert.ok(
      record.events.length === 0 || JSON.stringify(record.events) === JSON.stringify(['reconnecting', 'connected']),
      `P1's tile on P2: ${JSON.stringify(record.events)}`,
    );
    assert.equal(await p2.page.locator('[data-testid="peer-tile"]').count(), 1);
    assert.equal(after1.lastError, null);
    assert.equal(after2.lastError, null);
  });

  test('node B frozen (SIGSTOP): both notice the silence and resume through node C', { timeout: 40_000 }, async (t) => {
    const [, nodeB, nodeC] = cluster.nodes;
    const before = [await vcState(p1), await vcState(p2)];
    assert.equal(before[0].server, nodeB.url);
    assert.equal(before[1].server, nodeB.url);
    await installRecorder(p1, ids.p2);
    await installRecorder(p2, ids.p1);

    const frozenAt = Date.now();
    nodeB.freeze();
    // No close, no RST, no ICMP: only the missing pongs tell. P1's list is [A, B, C], so C is next;
    // P2's is [B, A, C]: A refuses at once (it is dead), then C.
    await Promise.all([connectedThrough(p1, nodeC.url), connectedThrough(p2, nodeC.url)]);
    const resumedMs = Date.now() - frozenAt;
    const resumed = [await vcState(p1), await vcState(p2)];
    await Promise.all([
      framesIncrease(p1, ids.p2, decoded(resumed[0], ids.p2), { video: 10, audio: 25 }, 15_000),
      framesIncrease(p2, ids.p1, decoded(resumed[1], ids.p1), { video: 10, audio: 25 }, 15_000),
    ]);
    const flowingMs = Date.now() - frozenAt;
    await Promise.all([seesConnected(p1, ids.p2), seesConnected(p2, ids.p1)]);
    const after = [await vcState(p1), await vcState(p2)];
    const records = [await readRecorder(p1), await readRecorder(p2)];
    t.diagnostic(
      `after the freeze: both on node C after ${resumedMs} ms (p1 ${after[0].transport}, p2 ${after[1].transport}), ` +
        `media both ways again after ${flowingMs} ms; p1 saw ${JSON.stringify(records[0].events)}, p2 saw ${JSON.stringify(records[1].events)}; ` +
        `resumed ${after.map((state) => state.resumed)}, ParticipantJoined ${after.map((state, i) => state.rosterEvents.joined - before[i].rosterEvents.joined)}, ` +
        `ParticipantUpdated ${after.map((state, i) => state.rosterEvents.updated - before[i].rosterEvents.updated)}`,
    );
    // Silence is noticed after 2 s (the page pings every second), well inside the 4 s that node C
    // holds a lost node's participants.
    assert.ok(flowingMs <= 6_000, `media flowed again both ways ${flowingMs} ms after the freeze (limit 6000 ms)`);
    // Node C had no member of this meeting, so it knew neither participant: each keeps its identity
    // (the token names it) but JoinAccepted is not a resume, and the first to arrive gets an empty
    // roster, then a ParticipantJoined for the other. The page holds the other's tile (shown as
    // reconnecting) through that instead of removing and re-adding it.
    for (const [index, participant] of [p1, p2].entries()) {
      const [was, now, record] = [before[index], after[index], records[index]];
      assert.equal(now.selfId, was.selfId, `${participant.label} kept its identity`);
      assert.equal(now.rosterEvents.left, was.rosterEvents.left, `${participant.label}: no ParticipantLeft`);
      assert.equal(record.tilesAddedOrRemoved, 0, `${participant.label}: ${JSON.stringify(record.events)}`);
      // Whoever reached node C first saw the other as reconnecting (node C had declared node B lost)
      // until it arrived too; the other may have arrived to find it already connected.
      assert.ok(
        record.events.length === 0 || JSON.stringify(record.events) === JSON.stringify(['reconnecting', 'connected']),
        `${participant.label}: ${JSON.stringify(record.events)}`,
      );
      assert.equal(await participant.page.locator('[data-testid="peer-tile"]').count(), 1);
      assert.equal(now.lastError, null);
    }
  });

  test('node B thawed, node C shut down gracefully (SIGTERM): both move on to node B at once', { timeout: 40_000 }, async (t) => {
    const [, nodeB, nodeC] = cluster.nodes;
    nodeB.thaw();
    // Node B answers again (its stale sessions for P1 and P2 are superseded by node C's newer claims).
    for (;;) {
      const healthy = await fetch(`${nodeB.url}/healthz`).then((response) => response.ok, () => false);
      if (healthy) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = [await vcState(p1), await vcState(p2)];
    await installRecorder(p1, ids.p2);
    await installRecorder(p2, ids.p1);

    const stoppedAt = Date.now();
    const exited = nodeC.kill('SIGTERM');
    // 4503 "shutting down": not an error card while other nodes exist. P1's list is [A, B, C]: A
    // (dead) refuses, then B; P2's is [B, A, C]: B.
    await Promise.all([connectedThrough(p1, nodeB.url), connectedThrough(p2, nodeB.url)]);
    const movedMs = Date.now() - stoppedAt;
    const moved = [await vcState(p1), await vcState(p2)];
    await Promise.all([
      framesIncrease(p1, ids.p2, decoded(moved[0], ids.p2), { video: 10, audio: 25 }, 15_000),
      framesIncrease(p2, ids.p1, decoded(moved[1], ids.p1), { video: 10, audio: 25 }, 15_000),
    ]);
    const flowingMs = Date.now() - stoppedAt;
    await Promise.all([seesConnected(p1, ids.p2), seesConnected(p2, ids.p1), exited]);
    const after = [await vcState(p1), await vcState(p2)];
    const records = [await readRecorder(p1), await readRecorder(p2)];
    t.diagnostic(
      `after SIGTERM: both on node B after ${movedMs} ms (p1 ${after[0].transport}, p2 ${after[1].transport}), ` +
        `media both ways again after ${flowingMs} ms; p1 saw ${JSON.stringify(records[0].events)}, p2 saw ${JSON.stringify(records[1].events)}`,
    );
    assert.ok(flowingMs <= 5_000, `media flowed again both ways ${flowingMs} ms after SIGTERM (limit 5000 ms)`);
    for (const [index, participant] of [p1, p2].entries()) {
      const [was, now, record] = [before[index], after[index], records[index]];
      assert.equal(now.selfId, was.selfId, `${participant.label} kept its identity`);
      assert.equal(now.lastError, null, `${participant.label}: ${JSON.stringify(now.lastError)}`);
      assert.equal(now.rosterEvents.left, was.rosterEvents.left, `${participant.label}: no ParticipantLeft`);
      assert.equal(record.tilesAddedOrRemoved, 0, `${participant.label}: ${JSON.stringify(record.events)}`);
      assert.ok(
        record.events.length === 0 || JSON.stringify(record.events) === JSON.stringify(['reconnecting', 'connected']),
        `${participant.label}: ${JSON.stringify(record.events)}`,
      );
      assert.equal(await participant.page.locator('[data-testid="peer-tile"]').count(), 1);
    }
  });

  test('no uncaught exceptions in either page', () => {
    assert.deepEqual([...(p1?.uncaught ?? []), ...(p2?.uncaught ?? [])], []);
  });
});
