// In-call layout and subscriptions (issue 10) against the real server: 3 browser participants (one
// Chromium, a context each), later joined by native bot publishers for grid pages. Checks what the
// client does (Hello defaults, one UpdateSubscriptions per layout change, decoders only for tiles
// on screen, pinning, speaker view, page switching, re-subscribing after a reconnect) on any server,
// and, where the publisher offers simulcast, that the pinned tile decodes a higher layer than the
// others (the selecting server's behaviour; the old server forwards every layer and the client
// picks, so this holds on both once senders publish simulcast).
// Screenshots (test-results/layout-*.png): grid, speaker view and a pinned tile at 1280x800 and 390x844.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, WEB_DIR, joinFromHome, launchBrowser, newParticipant, startServer, vcState, waitJoined, waitRoster } from './harness.mjs';

const MEETING = `layout-${Date.now().toString(36)}`;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const BOTS = 8;
const BOT_BIN = process.env.VC_BOT_BIN || resolve(WEB_DIR, '..', 'build', 'dev', 'src', 'tools', 'videocall-bot');

const camera = (id) => `${id}/2`;
const poll = { timeout: 30_000, polling: 250 };

/** Waits until `predicate(arg)` (which reads window.__vc) holds in the page. */
function waitState(participant, predicate, arg = null, options = poll) {
  return participant.page.waitForFunction(predicate, arg, options);
}

/** Grid view without a pin, even when an earlier subtest failed half-way (so failures do not cascade). */
async function backToGrid(participant) {
  const { layout } = await vcState(participant);
  if (layout.pinned !== null) await participant.page.locator(`[data-tile-key="${layout.pinned}"] [data-testid="pin-button"]`).click();
  if (layout.mode !== 'grid') await participant.page.getByTestId('layout-toggle').click();
  await waitState(participant, () => window.__vc.layout.mode === 'grid' && window.__vc.layout.pinned === null);
}

/** Resizes, waits for fresh frames in every tile on screen after the layout settled, and shoots. */
async function screenshot(participant, name, viewport) {
  await participant.page.setViewportSize(viewport);
  await waitState(participant, (size) => window.__vc.layout.viewport === size, `${viewport.width}x${viewport.height}`);
  const decoded = await participant.page.evaluate(() => Object.fromEntries(Object.entries(window.__vc.tiles).map(([key, tile]) => [key, tile.framesDecoded])));
  await waitState(participant, (before) => Object.entries(window.__vc.tiles).every(([key, tile]) => !tile.visible || tile.framesDecoded >= (before[key] ?? 0) + 10), decoded);
  await participant.page.screenshot({ path: join(RESULTS_DIR, `layout-${name}.png`) });
}

describe('layouts and subscriptions', { timeout: 600_000 }, () => {
  let server;
  let browser;
  let bots;
  const people = {};
  const ids = {};
  const everyone = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    bots?.kill('SIGTERM');
    await browser?.close();
    await server?.stop();
  });

  test('three participants: Hello defaults, then per-tile subscriptions and decoders', { timeout: 150_000 }, async (t) => {
    for (const [label, name] of [['alice', 'Alice Archer'], ['bob', 'Bob Baker'], ['carol', 'Carol Chen']]) {
      people[label] = await newParticipant(browser, label);
      everyone.push(people[label]);
      await people[label].page.setViewportSize(DESKTOP);
      await joinFromHome(people[label], server.url, name, MEETING);
      ids[label] = await waitJoined(people[label]);
    }
    const { alice, bob, carol } = people;
    await waitRoster(alice, ['Bob Baker', 'Carol Chen']);
    // Every remote camera on screen gets a decoder, decodes, and is subscribed at a height.
    await waitState(
      alice,
      (keys) => keys.every((key) => window.__vc.tiles[key]?.decoding && window.__vc.tiles[key].framesDecoded >= 15 && typeof window.__vc.subscriptions.current[key] === 'number'),
      [camera(ids.bob), camera(ids.carol)],
    );
    const state = await vcState(alice);
    t.diagnostic(`alice: defaults ${JSON.stringify(state.subscriptions.defaults)}, subscriptions ${JSON.stringify(state.subscriptions.current)}, ${state.subscriptions.updatesSent} updates`);
    assert.equal(state.subscriptions.defaults.video, 'MAX_HEIGHT');
    assert.ok([180, 360, 720].includes(state.subscriptions.defaults.maxHeight));
    for (const key of [camera(ids.bob), camera(ids.carol)]) {
      assert.ok([180, 360, 720].includes(state.subscriptions.current[key]), `${key}: ${state.subscriptions.current[key]}`);
      assert.equal(state.tiles[key].visible, true);
    }
    assert.equal(state.layout.mode, 'grid');
    for (const participant of [bob, carol]) await waitState(participant, () => Object.values(window.__vc.tiles).filter((tile) => tile.framesDecoded > 0).length === 2, null);
    await screenshot(alice, 'grid-desktop', DESKTOP);
    await screenshot(alice, 'grid-phone', PHONE);
    await alice.page.setViewportSize(DESKTOP);
  });

  test('pinning a tile: the pinned tile is large and asks for the highest layer', { timeout: 60_000 }, async (t) => {
    const { alice } = people;
    const bobKey = camera(ids.bob);
    const carolKey = camera(ids.carol);
    const before = (await vcState(alice)).subscriptions.updatesSent;
    await alice.page.locator(`[data-tile-key="${bobKey}"] [data-testid="pin-button"]`).click();
    await waitState(alice, (key) => window.__vc.layout.pinned === key && window.__vc.layout.large === key && window.__vc.subscriptions.current[key] === 0, bobKey);
    // The others sit in the filmstrip: small tiles, small subscriptions, still decoded.
    await waitState(alice, (key) => typeof window.__vc.subscriptions.current[key] === 'number' && window.__vc.subscriptions.current[key] > 0 && window.__vc.subscriptions.current[key] <= 360, carolKey);
    // The pinned tile decodes at least 640x360 (the highest layer on offer).
    await waitState(alice, (key) => window.__vc.tiles[key].width >= 640 && window.__vc.tiles[key].height >= 360, bobKey);
    const state = await vcState(alice);
    assert.ok(state.subscriptions.updatesSent > before, 'the layout change sent an UpdateSubscriptions');
    assert.equal(await alice.page.locator(`[data-testid="spotlight"] [data-tile-key="${bobKey}"]`).count(), 1);
    // The tile's label and the stats agree (read together: the layer may switch between two reads).
    await waitState(alice, (key) => document.querySelector(`[data-tile-key="${key}"]`)?.getAttribute('data-decoded-height') === String(window.__vc.tiles[key].height), bobKey);
    const carol = state.tiles[carolKey];
    // Every browser camera offers simulcast, so the server sends the filmstrip tile a lower layer.
    assert.ok(state.roster.some((entry) => entry.videoLayers > 1), `no simulcast publisher: ${JSON.stringify(state.roster)}`);
    await waitState(alice, ([pinned, other]) => window.__vc.tiles[other].height > 0 && window.__vc.tiles[other].height < window.__vc.tiles[pinned].height, [bobKey, carolKey]);
    t.diagnostic(`pinned ${JSON.stringify(state.tiles[bobKey])}; filmstrip ${JSON.stringify(carol)}`);
    await screenshot(alice, 'pinned-desktop', DESKTOP);
    await screenshot(alice, 'pinned-phone', PHONE);
    await alice.page.setViewportSize(DESKTOP);
    // Unpin: back to the grid, nobody at the highest layer any more.
    await alice.page.locator(`[data-tile-key="${bobKey}"] [data-testid="pin-button"]`).click();
    await waitState(alice, (key) => window.__vc.layout.pinned === null && window.__vc.layout.large === null && window.__vc.subscriptions.current[key] > 0, bobKey);
  });

  test('speaker view: one large speaker, the rest in the filmstrip, defaults for the last speaker', { timeout: 60_000 }, async () => {
    const { alice } = people;
    await alice.page.getByTestId('layout-toggle').click();
    await waitState(alice, () => window.__vc.layout.mode === 'speaker' && window.__vc.layout.large !== null && window.__vc.layout.large !== 'self' && window.__vc.subscriptions.defaults.video === 'PAUSED');
    // The large tile asks for the highest layer, unless decode pressure capped it (a loaded machine).
    // The layout switches first and its subscription update follows: wait for the update. The large
    // tile follows the active speaker and may change at any time, so the check and the values it
    // reports come from one snapshot.
    const settled = await waitState(alice, () => {
      const vc = window.__vc;
      const key = vc.layout.large;
      const ok = vc.subscriptions.current[key] === 0 || vc.tiles[key]?.pressureDowngrades > 0;
      return ok && { lastN: vc.subscriptions.defaults.lastN, large: key };
    }).then((handle) => handle.jsonValue(), () => null);
    const state = await vcState(alice);
    const large = state.tiles[state.layout.large];
    assert.ok(settled, `large tile ${state.layout.large}: ${JSON.stringify(large)}, asked ${state.subscriptions.current[state.layout.large]}`);
    assert.equal(settled.lastN, 1);
    // The other remote camera is on screen in the filmstrip and decoded.
    const other = [camera(ids.bob), camera(ids.carol)].find((key) => key !== state.layout.large);
    await waitState(alice, (key) => window.__vc.tiles[key].visible && window.__vc.tiles[key].decoding, other);
    await screenshot(alice, 'speaker-desktop', DESKTOP);
    await screenshot(alice, 'speaker-phone', PHONE);
    await alice.page.setViewportSize(DESKTOP);
    await alice.page.getByTestId('layout-toggle').click();
    await waitState(alice, () => window.__vc.layout.mode === 'grid' && window.__vc.subscriptions.defaults.video === 'MAX_HEIGHT');
  });

  test('after a reconnect the page subscribes again', { timeout: 40_000 }, async () => {
    const { alice } = people;
    const before = await vcState(alice);
    await alice.page.evaluate(() => window.__vcDebug.dropTransport());
    await waitState(alice, (joins) => window.__vc.joins > joins && window.__vc.connection === 'connected', before.joins);
    await waitState(
      alice,
      ([sent, keys]) => window.__vc.subscriptions.updatesSent > sent && keys.every((key) => typeof window.__vc.subscriptions.current[key] === 'number'),
      [before.subscriptions.updatesSent, [camera(ids.bob), camera(ids.carol)]],
    );
  });

  test('grid pages: the page on screen is subscribed and decoded, the other paused', { timeout: 60_000 }, async () => {
    const { alice } = people;
    const [bobKey, carolKey] = [camera(ids.bob), camera(ids.carol)];
    await backToGrid(alice);
    // Three tiles in pages of two (a test hook; real pages hold 3x3 or 4x4): self + the first peer, then the other.
    await alice.page.evaluate(() => window.__vcDebug.setGridPageSize(2));
    await waitState(alice, () => window.__vc.layout.pages === 2 && window.__vc.layout.page === 0);
    const [first, second] = (await vcState(alice)).tiles[bobKey].visible ? [bobKey, carolKey] : [carolKey, bobKey];
    const onlyShown = ([shown, hidden]) => {
      const { tiles, subscriptions } = window.__vc;
      return tiles[shown].visible && tiles[shown].decoding && typeof subscriptions.current[shown] === 'number' && subscriptions.current[shown] > 0 &&
        !tiles[hidden].visible && !tiles[hidden].decoding && subscriptions.current[hidden] === 'paused';
    };
    await waitState(alice, onlyShown, [first, second]);
    await alice.page.getByTestId('page-next').click();
    await waitState(alice, () => window.__vc.layout.page === 1);
    await waitState(alice, onlyShown, [second, first]);
    // The tile that came on screen gets a new decoder, which starts at a keyframe and decodes.
    const decodedBefore = (await vcState(alice)).tiles[second].framesDecoded;
    await waitState(alice, ([key, before]) => window.__vc.tiles[key].framesDecoded >= before + 15, [second, decodedBefore]);
    await alice.page.getByTestId('page-prev').click();
    await waitState(alice, onlyShown, [first, second]);
    await alice.page.evaluate(() => window.__vcDebug.setGridPageSize(0));
    await waitState(alice, () => window.__vc.layout.pages === 1);
  });

  test('grid pages: only the page on screen is subscribed and decoded', { timeout: 90_000 }, async (t) => {
    if (!existsSync(BOT_BIN)) {
      t.skip(`videocall-bot not found at ${BOT_BIN}`);
      return;
    }
    const { alice } = people;
    await backToGrid(alice);
    await alice.page.setViewportSize(PHONE); // 3x3 per page
    bots = spawn(BOT_BIN, ['--server', server.url, '--meeting', MEETING, '--publishers', String(BOTS), '--subscribers', '0',
      '--codec', 'vp8', '--resolution', '320x180', '--fps', '15', '--bitrate-kbps', '150', '--duration', '150', '--no-audio'], { stdio: 'ignore' });
    await waitState(alice, (count) => window.__vc.roster.length === count, BOTS + 2, { timeout: 30_000, polling: 200 });
    await waitState(alice, () => window.__vc.layout.pages === 2 && window.__vc.layout.perPage === 9);
    const remoteOnPage = (state) => Object.entries(state.tiles).filter(([, tile]) => tile.visible).map(([key]) => key);
    // Page 1: self + 8 remote tiles decoded, the other 2 paused without a decoder.
    await waitState(alice, () => {
      const tiles = Object.values(window.__vc.tiles);
      const shown = tiles.filter((tile) => tile.visible);
      return shown.length === 8 && shown.every((tile) => tile.decoding && window.__vc.subscriptions.current[`${tile.publisherId}/${tile.trackId}`] !== 'paused') &&
        tiles.filter((tile) => !tile.visible).every((tile) => !tile.decoding && window.__vc.subscriptions.current[`${tile.publisherId}/${tile.trackId}`] === 'paused');
    });
    const first = remoteOnPage(await vcState(alice));
    await screenshot(alice, 'grid-pages-phone', PHONE);
    await alice.page.getByTestId('page-next').click();
    await waitState(alice, () => window.__vc.layout.page === 1);
    await waitState(alice, (previous) => {
      const shown = Object.entries(window.__vc.tiles).filter(([, tile]) => tile.visible);
      return shown.length === 2 && shown.every(([key, tile]) => tile.decoding && window.__vc.subscriptions.current[key] !== 'paused' && !previous.includes(key)) &&
        previous.every((key) => !window.__vc.tiles[key].decoding && window.__vc.subscriptions.current[key] === 'paused');
    }, first);
    // Bot video decodes on the second page too (a new decoder starts at a keyframe).
    await waitState(alice, () => Object.values(window.__vc.tiles).filter((tile) => tile.visible).every((tile) => tile.framesDecoded > 0), null, { timeout: 20_000, polling: 200 });
    await screenshot(alice, 'grid-page2-desktop', DESKTOP);
    await alice.page.setViewportSize(DESKTOP);
    await alice.page.getByTestId('page-prev').click();
    await waitState(alice, () => window.__vc.layout.page === 0);
    await screenshot(alice, 'grid-many-desktop', DESKTOP);
    const state = await vcState(alice);
    t.diagnostic(`decode pressure: ${JSON.stringify(Object.values(state.tiles).map((tile) => [tile.skippedT2, tile.skippedT1, tile.pressureDowngrades, tile.decoderResets]))}`);
  });

  test('no uncaught exceptions in any page', () => {
    assert.deepEqual(everyone.flatMap((participant) => participant.uncaught), []);
  });
});
