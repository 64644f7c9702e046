// Status, quality and recovery (issue 12 items 5, 6 and 9) in Chromium against the real server:
// a pasted meeting link on the home page, the invite card and Copy link (Clipboard API, the
// execCommand fallback, and by hand), the quality indicator and the connection details dialog with
// its graphs, a graceful restart of the only server (SIGTERM, same port and data directory) that
// everyone resumes from by themselves, Back after Leave, and error screens in plain words (pass
// refused, meeting ended, server unreachable) with the raw code only under Details.
// Screenshots (test-results/status-*.png) at 1280x800 and 390x844.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  RESULTS_DIR,
  clickPrejoinJoin,
  freePort,
  joinFromHome,
  joinFromLink,
  launchBrowser,
  newParticipant,
  startServer,
  vcState,
  waitJoined,
  waitRoster,
} from './harness.mjs';

const MEETING = `status-${Date.now().toString(36)}`;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** A raw code in what a person reads: 3-4 digit numbers, "HTTP", "code". */
const RAW = /\b\d{3,4}\b|HTTP|code/i;
/** Waits for joins and rosters: generous, the suite shares two cores with other browsers. */
const LOADED_MS = 30_000;

async function screenshots(participant, name) {
  const { page } = participant;
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(RESULTS_DIR, `status-${name}-desktop.png`) });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(RESULTS_DIR, `status-${name}-phone.png`) });
  await page.setViewportSize(DESKTOP);
}

/** The error screen's main text (title, message, next step) and its Details text. */
async function errorScreen(page) {
  const banner = page.getByTestId('error-banner');
  await banner.waitFor({ timeout: LOADED_MS });
  const main = [
    await banner.locator('.error-title').textContent(),
    await page.getByTestId('error-message').textContent(),
    await page.getByTestId('error-action').textContent(),
  ];
  assert.equal(await page.getByTestId('error-details').getAttribute('open'), null, 'Details start closed');
  return { main, details: await page.locator('.error-raw').textContent() };
}

const toastText = (page, pattern) =>
  page.waitForFunction(
    (source) => [...document.querySelectorAll('[data-testid="toast"]')].some((toast) => new RegExp(source).test(toast.textContent)),
    pattern.source,
    { timeout: 10_000 },
  );

describe('status, quality and recovery', { timeout: 600_000 }, () => {
  let server;
  let browser;
  let port;
  let dataDir;
  const people = {};
  const ids = {};
  const everyone = [];

  before(async () => {
    // A port and data directory of our own, so the restart below is the same server to its clients.
    port = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'vc-e2e-status-'));
    server = await startServer([], { port, dataDir, label: 'status' });
    browser = await launchBrowser();
  });

  after(async () => {
    for (const participant of everyone) assert.deepEqual(participant.uncaught, [], 'no uncaught page errors');
    await browser?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('alone: a pasted link joins, the invite card shows the link, Copy link works with and without the Clipboard API', async () => {
    const alice = (people.alice = await newParticipant(browser, 'alice'));
    everyone.push(alice);
    await alice.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const { page } = alice;
    await page.setViewportSize(DESKTOP);
    await page.goto(`${server.url}/?lowcpu=1`);
    await page.getByTestId('name-input').fill('Alice Archer');
    await page.getByTestId('meeting-input').fill(`${server.url}/meeting/${MEETING}?utm=chat#top`);
    assert.equal(await page.getByTestId('meeting-input').inputValue(), MEETING, 'the pasted link shows as its meeting ID');
    await page.getByTestId('join-button').click();
    await clickPrejoinJoin(page);
    ids.alice = await waitJoined(alice, LOADED_MS);
    assert.equal(new URL(page.url()).pathname, `/meeting/${MEETING}`);

    const card = page.getByTestId('invite-card');
    await card.waitFor({ state: 'visible' });
    const link = `${server.url}/meeting/${MEETING}`;
    assert.equal(await page.getByTestId('invite-link').inputValue(), link);
    await screenshots(alice, 'invite');

    // Clipboard API (127.0.0.1 is a secure context).
    await page.getByTestId('invite-copy').click();
    await toastText(page, /Meeting link copied/);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);

    // No Clipboard API (a plain-HTTP LAN address): the execCommand fallback copies.
    await page.evaluate(() => {
      Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
      window.__copies = [];
      const original = document.execCommand.bind(document);
      document.execCommand = (command, ...rest) => {
        window.__copies.push(`${command}:${window.getSelection()?.toString() || document.activeElement?.value}`);
        return original(command, ...rest);
      };
    });
    await page.evaluate(() => document.querySelectorAll('[data-testid="toast"]').forEach((toast) => toast.remove()));
    await page.getByTestId('copy-link').click(); // the top bar's button
    await toastText(page, /Meeting link copied/);
    assert.deepEqual(await page.evaluate(() => window.__copies), [`copy:${link}`]);

    // Copying refused altogether: the link is selected and the toast says how to copy it by hand.
    await page.evaluate(() => {
      document.execCommand = () => false;
    });
    await page.getByTestId('invite-copy').click();
    await toastText(page, /Ctrl\+C/);
    assert.deepEqual(
      await page.evaluate(() => {
        const field = document.activeElement;
        return [field?.dataset.testid, field?.value.slice(field.selectionStart, field.selectionEnd)];
      }),
      ['invite-link', link],
    );
  });

  test('two people: the quality indicators and the connection details with 60 s graphs', async () => {
    const { alice } = people;
    const bob = (people.bob = await newParticipant(browser, 'bob'));
    everyone.push(bob);
    await bob.page.setViewportSize(DESKTOP);
    await joinFromHome(bob, server.url, 'Bob Baker', MEETING);
    ids.bob = await waitJoined(bob, LOADED_MS);
    await waitRoster(alice, ['Bob Baker'], LOADED_MS);
    await waitRoster(bob, ['Alice Archer'], LOADED_MS);
    await alice.page.getByTestId('invite-card').waitFor({ state: 'hidden' });
    assert.equal(await bob.page.getByTestId('invite-card').isVisible(), false, 'not alone: no invite card');

    // Our own connection: a level (not a spinner) once sampled, as words in the label.
    const { page } = alice;
    const indicator = page.getByTestId('connection-quality');
    await page.waitForFunction(() => ['good', 'fair', 'poor'].includes(document.querySelector('[data-testid="connection-quality"]')?.dataset.quality));
    const level = await indicator.getAttribute('data-quality');
    assert.match(await indicator.getAttribute('aria-label'), new RegExp(`^Your connection: ${level}\\. Show connection details$`));
    assert.equal((await indicator.textContent()).toLowerCase(), level);
    assert.equal((await vcState(alice)).quality.self, level);
    // Bob's tile: what reaches Alice from him.
    await page.waitForFunction(
      (id) => ['good', 'fair', 'poor'].includes(document.querySelector(`.tile[data-participant-id="${id}"] [data-testid="tile-quality"]`)?.dataset.quality),
      ids.bob,
      { timeout: LOADED_MS },
    );

    // Details for Bob, from his tile's indicator: real numbers in every field.
    await page.locator(`.tile[data-participant-id="${ids.bob}"] [data-testid="tile-quality"]`).click();
    const dialog = page.getByTestId('connection-details');
    await dialog.waitFor({ state: 'visible' });
    assert.equal(await dialog.getAttribute('data-subject'), String(ids.bob));
    const field = (name) => dialog.locator(`[data-field="${name}"]`).textContent();
    // Several samples in: decoded video, received bytes, audio played out, a graph with a line.
    await page.waitForFunction(
      () => {
        const dialog = document.querySelector('[data-testid="connection-details"]');
        const text = (name) => dialog.querySelector(`[data-field="${name}"]`)?.textContent ?? '';
        const paths = [...dialog.querySelectorAll('.sparkline path')].map((path) => path.getAttribute('d') ?? '');
        return /bit\/s/.test(text('receive')) && /fps/.test(text('video')) && /ms/.test(text('decode')) &&
          /ms/.test(text('jitter')) && /ms/.test(text('rtt')) && paths.filter((d) => d.split('L').length >= 3).length >= 2;
      },
      null,
      { timeout: 40_000 },
    );
    const state = await vcState(alice);
    assert.equal(await field('transport'), `${state.transport} · ${new URL(server.url).host}`);
    assert.match(await field('video'), /^\d+×\d+ · \d+ fps · \S+/);
    assert.match(await field('send'), /\d+(\.\d)? (k|M)bit\/s/);
    assert.match(await field('loss'), /^\d+(\.\d)? %$/);
    assert.match(await field('freezes'), /^\d+$/);
    await screenshots(alice, 'details-peer');
    // Switch to our own connection with the picker; Escape closes the dialog.
    await dialog.getByTestId('connection-details-picker').selectOption('self');
    assert.equal(await dialog.getAttribute('data-subject'), 'self');
    assert.match(await field('video'), /^\d+×\d+ · \d+ fps/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // The top-bar indicator opens our own connection's details.
    await indicator.click();
    await dialog.waitFor({ state: 'visible' });
    assert.equal(await dialog.getAttribute('data-subject'), 'self');
    await screenshots(alice, 'details-self');
    await page.keyboard.press('Escape');
    await screenshots(alice, 'indicator');
  });

  test('a graceful restart of the only server: both resume by themselves and media flows again', { timeout: 150_000 }, async () => {
    const { alice, bob } = people;
    const before = { alice: await vcState(alice), bob: await vcState(bob) };
    await server.stop(); // SIGTERM: sessions get 4503, the process exits
    // While the server is away: reconnecting, shown unobtrusively, no error screen.
    for (const participant of [alice, bob]) {
      await participant.page.waitForFunction(() => window.__vc.quality.reconnecting === true, null, { timeout: LOADED_MS });
      assert.equal(await participant.page.getByTestId('connection-quality').getAttribute('data-quality'), 'reconnecting');
      assert.match(await participant.page.getByTestId('connection-quality').textContent(), /Reconnecting…/);
    }
    await screenshots(alice, 'reconnecting');
    server = await startServer([], { port, dataDir, label: 'status-restarted' });
    for (const participant of [alice, bob]) {
      await participant.page.waitForFunction(
        (joins) => window.__vc.joins > joins && window.__vc.connection === 'connected' && !window.__vc.quality.reconnecting,
        before[participant.label].joins,
        { timeout: 70_000 },
      );
    }
    await waitRoster(alice, ['Bob Baker'], LOADED_MS);
    await waitRoster(bob, ['Alice Archer'], LOADED_MS);
    // Same identities (the restarted server accepts the passes), and video decoded again both ways.
    assert.equal((await vcState(alice)).selfId, ids.alice);
    assert.equal((await vcState(bob)).selfId, ids.bob);
    for (const [participant, peer] of [[alice, ids.bob], [bob, ids.alice]]) {
      const frames = (await vcState(participant)).peers[String(peer)]?.videoFramesDecoded ?? 0;
      await participant.page.waitForFunction(
        ([id, count]) => (window.__vc.peers[String(id)]?.videoFramesDecoded ?? 0) > count + 10,
        [peer, frames],
        { timeout: 40_000 },
      );
      assert.equal(await participant.page.getByTestId('error-banner').count(), 0);
      assert.equal((await vcState(participant)).lastError, null);
    }
  });

  test('after Leave, Back, Forward and reload never rejoin; Rejoin replaces the entry', async () => {
    const { alice, bob } = people;
    const { page } = alice;
    await page.getByTestId('leave-button').click();
    await page.getByTestId('left-card').waitFor();
    await waitRoster(bob, [], LOADED_MS);
    // Back: the home page Alice came from.
    await page.goBack();
    await page.getByTestId('new-meeting-button').waitFor();
    // Forward, and a reload there: the "You left" card again, not the pre-join screen.
    await page.goForward();
    await page.getByTestId('left-card').waitFor();
    assert.equal(await page.getByTestId('prejoin').count(), 0);
    await page.reload();
    await page.getByTestId('left-card').waitFor();
    assert.equal(await page.getByTestId('prejoin').count(), 0);
    // Rejoin, leave again: still one meeting entry, so Back goes home, not into the meeting.
    await page.getByTestId('rejoin-button').click();
    await clickPrejoinJoin(page);
    await waitJoined(alice, LOADED_MS);
    await waitRoster(bob, ['Alice Archer'], LOADED_MS);
    await page.getByTestId('leave-button').click();
    await page.getByTestId('left-card').waitFor();
    await page.goBack();
    await page.getByTestId('new-meeting-button').waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
    await waitRoster(bob, [], LOADED_MS);
  });

  test('error screen in plain words: pass refused', { timeout: 60_000 }, async () => {
    // Pass refused: the real join answer with its signature corrupted; the server refuses it (4401).
    const mallory = await newParticipant(browser, 'mallory');
    everyone.push(mallory);
    await mallory.page.route('**/api/v1/meetings/*/join', async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      const parts = String(body.token).split('.');
      parts[parts.length - 1] = 'Zm9yZ2VkLXNpZ25hdHVyZQ';
      await route.fulfill({ response, json: { ...body, token: parts.join('.') } });
    });
    await joinFromLink(mallory, server.url, 'Mallory', MEETING);
    const refused = await errorScreen(mallory.page);
    for (const text of refused.main) assert.doesNotMatch(text, RAW, `"${text}"`);
    assert.match(refused.main[0], /access/);
    assert.match(refused.details, /4401/, 'the raw code is under Details');
    await mallory.page.getByTestId('error-details').locator('summary').click();
    await screenshots(mallory, 'error-refused');
    await mallory.context.close();
  });

  test('error screen in plain words: meeting ended', { timeout: 60_000 }, async () => {
    // Meeting ended: the server's close code reaches the page through a WebSocket proxy (host.test
    // ends a real meeting), over the WebSocket transport.
    const carol = await newParticipant(browser, 'carol');
    everyone.push(carol);
    let endMeeting = null;
    await carol.page.routeWebSocket(/\/ws(\?|$)/, (ws) => {
      const upstream = ws.connectToServer();
      endMeeting = () => {
        ws.close({ code: 4433, reason: 'meeting ended by the host' });
        upstream.close();
      };
    });
    await carol.page.goto(`${server.url}/meeting/${MEETING}?lowcpu=1&transport=websocket`);
    await carol.page.getByTestId('name-input').fill('Carol');
    await carol.page.getByTestId('join-button').click();
    await waitJoined(carol, LOADED_MS);
    endMeeting();
    const ended = await errorScreen(carol.page);
    for (const text of ended.main) assert.doesNotMatch(text, RAW, `"${text}"`);
    assert.match(ended.main[0], /ended the meeting/);
    assert.match(ended.details, /4433/);
    assert.equal(await carol.page.getByRole('button', { name: 'Try again' }).count(), 0, 'nothing to retry');
    await screenshots(carol, 'error-ended');
    await carol.context.close();
  });

  test('error screen in plain words: server unreachable', { timeout: 60_000 }, async () => {
    // Server unreachable: the pre-join screen is open when the server goes away.
    const dave = await newParticipant(browser, 'dave');
    everyone.push(dave);
    await dave.page.goto(`${server.url}/meeting/${MEETING}?lowcpu=1`);
    await dave.page.getByTestId('name-input').fill('Dave');
    await server.stop();
    await dave.page.getByTestId('join-button').click();
    const unreachable = await errorScreen(dave.page);
    for (const text of unreachable.main) assert.doesNotMatch(text, RAW, `"${text}"`);
    assert.match(unreachable.main[0], /reach/);
    assert.match(unreachable.details, /network/);
    await screenshots(dave, 'error-unreachable');
  });
});
