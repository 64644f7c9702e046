// Layout and accessibility (issue 12, item 7) against the real server, with one browser and native
// participants (videocall-cli stream / chat, videocall-bot) for the others:
//  - 1:1: the other person large, our self-view a picture-in-picture that a drag or the arrow keys
//    move to another corner (remembered); the polite live region announces the join;
//  - aria-pressed follows every toggle; the shortcuts toggle mic, camera, chat and hand;
//  - a raised hand (and a leave) is announced;
//  - "?" opens the shortcut list: Tab cycles inside, Escape closes, focus returns to the opener;
//  - phone portrait and landscape with 2 and 6 participants: no control, tile or name outside its box;
//  - the light theme (prefers-color-scheme) with rough WCAG AA contrast of its text colours.
// Screenshots: test-results/a11y-*.png.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, WEB_DIR, joinFromHome, launchBrowser, newParticipant, startServer, waitJoined, waitRoster } from './harness.mjs';

const MEETING = `a11y-${Date.now().toString(36)}`;
const DESKTOP = { width: 1280, height: 800 };
const PORTRAIT = { width: 390, height: 844 };
const LANDSCAPE = { width: 844, height: 390 };
const SELF_NAME = 'Alexandra Archer-Montgomery';
const STREAM_NAME = 'Maximiliana Bartholomew-Featherstonehaugh';
const BOTS = 4;
/** Silent participants joining at once (30 people in all). */
const CROWD = 24;
const TOOLS = resolve(WEB_DIR, '..', 'build', 'dev', 'src', 'tools');
const CLI_BIN = process.env.VC_CLI_BIN || join(TOOLS, 'videocall-cli');
const BOT_BIN = process.env.VC_BOT_BIN || join(TOOLS, 'videocall-bot');
const poll = { timeout: 30_000, polling: 100 };

/** A native participant; its output goes to test-results/a11y-<label>.log. */
function native(bin, args, label) {
  if (!existsSync(bin)) throw new Error(`${bin} not found; build it or set VC_CLI_BIN / VC_BOT_BIN`);
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(join(RESULTS_DIR, `a11y-${label}.log`));
  proc.stdout.pipe(log);
  proc.stderr.pipe(log);
  const exited = new Promise((done) => proc.once('exit', (code, signal) => done({ code, signal })));
  return {
    exited,
    async stop() {
      proc.kill('SIGINT');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const announced = (page, text) => page.waitForFunction((t) => document.querySelector('[data-testid="announcer"]')?.textContent.includes(t), text, poll);
const pressed = (page, testId) => page.getByTestId(testId).getAttribute('aria-pressed');
const waitPressed = (page, testId, value) =>
  page.waitForFunction(([id, v]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute('aria-pressed') === v, [testId, value], poll);
const focusedTestId = (page) => page.evaluate(() => document.activeElement?.closest('[data-testid]')?.dataset.testid ?? null);

/** Everything that must fit: controls in the window, tiles in the stage, names in their tiles. */
function clippingProblems() {
  const problems = [];
  const view = { left: 0, top: 0, right: window.innerWidth, bottom: window.innerHeight };
  const inside = (inner, outer, slack = 1) =>
    inner.left >= outer.left - slack && inner.top >= outer.top - slack && inner.right <= outer.right + slack && inner.bottom <= outer.bottom + slack;
  const shown = (element) => element.getClientRects().length > 0 && getComputedStyle(element).visibility !== 'hidden';
  const describe = (element) => element.dataset.testid ?? element.getAttribute('aria-label') ?? element.className;
  for (const element of document.querySelectorAll('.controls .ctrl, .topbar > *, .topbar .icon-btn')) {
    if (shown(element) && !inside(element.getBoundingClientRect(), view)) problems.push(`${describe(element)} outside the window`);
  }
  const controls = document.querySelector('.controls');
  if (controls.scrollWidth > controls.clientWidth + 1) problems.push(`control bar overflows (${controls.scrollWidth} > ${controls.clientWidth})`);
  const stage = document.querySelector('[data-testid="tile-grid"]').getBoundingClientRect();
  let names = 0;
  for (const tile of document.querySelectorAll('.tile')) {
    if (!shown(tile)) continue;
    const box = tile.getBoundingClientRect();
    if (tile.closest('.filmstrip')) {
      if (box.top < stage.top - 1 || box.bottom > stage.bottom + 1) problems.push(`filmstrip tile ${tile.dataset.tileKey} cut vertically`);
    } else if (!inside(box, stage)) {
      problems.push(`tile ${tile.dataset.tileKey} outside the stage`);
    }
    const label = tile.querySelector('.tile-label');
    if (!inside(label.getBoundingClientRect(), box)) problems.push(`label of ${tile.dataset.tileKey} outside its tile`);
    const name = tile.querySelector('.tile-name');
    if (!inside(name.getBoundingClientRect(), label.getBoundingClientRect())) problems.push(`name of ${tile.dataset.tileKey} outside its label`);
    // A name too long for its tile is cut with an ellipsis and kept whole in the title.
    if (name.scrollWidth > name.clientWidth + 1 && getComputedStyle(name).textOverflow !== 'ellipsis') problems.push(`name of ${tile.dataset.tileKey} clipped without ellipsis`);
    if (name.title !== name.textContent) problems.push(`name of ${tile.dataset.tileKey} lacks its full title`);
    names++;
  }
  if (names === 0) problems.push('no tile on screen');
  return problems;
}

describe('layout and accessibility', { timeout: 540_000 }, () => {
  let server;
  let browser;
  let alice;
  let stream;
  let bots;
  let subscribers;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    alice = await newParticipant(browser, 'a11y-alice');
    await alice.page.setViewportSize(DESKTOP);
    await alice.page.emulateMedia({ colorScheme: 'dark' }); // the light theme has its own subtest
    await joinFromHome(alice, server.url, SELF_NAME, MEETING);
    await waitJoined(alice, 30_000);
    // Every announcement, also those the region has dropped since (it keeps the last few).
    await alice.page.evaluate(() => {
      window.__announced = [];
      new MutationObserver((records) => {
        for (const record of records) for (const node of record.addedNodes) window.__announced.push(node.textContent);
      }).observe(document.querySelector('[data-testid="announcer"]'), { childList: true });
    });
  });

  after(async () => {
    await Promise.all([stream?.stop(), bots?.stop(), subscribers?.stop()]);
    await browser?.close();
    await server?.stop();
  });

  test('1:1: the other person fills the stage, the self-view is a movable picture-in-picture; the join is announced', { timeout: 90_000 }, async () => {
    const { page } = alice;
    stream = native(CLI_BIN, ['stream', '--server', server.url, '--meeting', MEETING, '--name', STREAM_NAME,
      '--video-source', 'testpattern', '--audio-source', 'tone', '--fps', '10'], 'stream');
    await waitRoster(alice, [STREAM_NAME]);
    await announced(page, `${STREAM_NAME} joined.`);
    await page.waitForFunction(() => document.querySelector('[data-testid="tile-grid"]').dataset.layout === 'one-to-one', null, poll);
    assert.equal(await page.locator('[data-testid="self-pip"] [data-testid="self-tile"]').count(), 1);
    assert.equal(await page.locator('[data-testid="spotlight"] [data-testid="peer-tile"]').count(), 1);
    const remote = await page.locator('[data-testid="spotlight"] [data-testid="peer-tile"]').boundingBox();
    const stage = await page.getByTestId('tile-grid').boundingBox();
    let pip = await page.getByTestId('self-pip').boundingBox();
    assert.ok(remote.width >= stage.width * 0.7 || remote.height >= stage.height * 0.85, `remote tile ${JSON.stringify(remote)} in stage ${JSON.stringify(stage)}`);
    assert.ok(pip.width < remote.width / 3, `pip ${pip.width}px wide`);
    assert.equal(await page.getByTestId('self-pip').getAttribute('data-corner'), 'bottom-right');
    await page.waitForFunction(() => Object.values(window.__vc.tiles).some((tile) => tile.framesDecoded >= 10), null, poll);
    await page.screenshot({ path: join(RESULTS_DIR, 'a11y-one-to-one-desktop.png') });

    // Dragged towards the top left: it follows the pointer, then snaps into that corner.
    await page.mouse.move(pip.x + pip.width / 2, pip.y + pip.height / 2);
    await page.mouse.down();
    await page.mouse.move(stage.x + stage.width * 0.3, stage.y + stage.height * 0.3, { steps: 8 });
    const during = await page.getByTestId('self-pip').boundingBox();
    assert.ok(during.x < pip.x - 100, 'the self-view follows the pointer');
    await page.mouse.up();
    assert.equal(await page.getByTestId('self-pip').getAttribute('data-corner'), 'top-left', `dropped at ${JSON.stringify(during)}`);
    pip = await page.getByTestId('self-pip').boundingBox();
    assert.ok(pip.x - stage.x < 40 && pip.y - stage.y < 40, `snapped to the top left: ${JSON.stringify(pip)}`);
    // Keyboard: focused, the arrow keys move it; the corner is remembered.
    await page.getByTestId('self-pip').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getByTestId('self-pip').getAttribute('data-corner'), 'bottom-right');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.evaluate(() => localStorage.getItem('videocall.pipCorner')), 'bottom-left');
    // A finger works the same (touch pointer events through the DevTools protocol).
    pip = await page.getByTestId('self-pip').boundingBox();
    const touch = await page.context().newCDPSession(page);
    const finger = (type, x, y) => touch.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
    await finger('touchStart', pip.x + pip.width / 2, pip.y + pip.height / 2);
    for (let step = 1; step <= 8; step++) {
      await finger('touchMove', pip.x + pip.width / 2 + ((stage.x + stage.width * 0.8 - pip.x) * step) / 8, pip.y + pip.height / 2 - ((pip.y - stage.y - stage.height * 0.2) * step) / 8);
    }
    await finger('touchEnd');
    assert.equal(await page.getByTestId('self-pip').getAttribute('data-corner'), 'top-right', 'moved by touch');
    await touch.detach();
    await page.screenshot({ path: join(RESULTS_DIR, 'a11y-one-to-one-moved-desktop.png') });
    // Speaker view is a filmstrip again, grid view the picture-in-picture.
    await page.getByTestId('layout-toggle').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="tile-grid"]').dataset.layout === 'spotlight', null, poll);
    assert.equal(await page.getByTestId('self-pip').isHidden(), true);
    await page.getByTestId('layout-toggle').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="tile-grid"]').dataset.layout === 'one-to-one', null, poll);
  });

  test('aria-pressed follows each toggle; the shortcuts toggle mic, camera, chat and hand', { timeout: 60_000 }, async () => {
    const { page } = alice;
    await page.evaluate(() => document.activeElement?.blur()); // focus on the page, not a field
    assert.equal(await pressed(page, 'mic-toggle'), 'false');
    await page.keyboard.press('Control+d');
    await waitPressed(page, 'mic-toggle', 'true');
    await announced(page, 'Microphone off');
    await page.waitForFunction(() => document.querySelector('[data-testid="self-tile"]').classList.contains('mic-off'), null, poll);
    await page.getByTestId('mic-toggle').click();
    await waitPressed(page, 'mic-toggle', 'false');

    assert.equal(await pressed(page, 'camera-toggle'), 'false');
    await page.keyboard.press('Control+e');
    await waitPressed(page, 'camera-toggle', 'true');
    await announced(page, 'Camera off');
    await page.keyboard.press('Control+e');
    await waitPressed(page, 'camera-toggle', 'false');

    // Chat: opened by the shortcut with focus in the message box; closed by it while typing there,
    // with focus back on the chat button.
    assert.equal(await pressed(page, 'chat-toggle'), 'false');
    await page.keyboard.press('Control+Alt+c');
    await waitPressed(page, 'chat-toggle', 'true');
    await page.waitForFunction(() => document.activeElement?.dataset.testid === 'chat-input', null, poll);
    await page.keyboard.type('typing ?');
    assert.equal(await page.getByTestId('shortcut-help').isVisible(), false, '"?" is text in the chat box');
    await page.keyboard.press('Control+Alt+c');
    await waitPressed(page, 'chat-toggle', 'false');
    assert.equal(await focusedTestId(page), 'chat-toggle');
    // Escape in the open chat closes it too.
    await page.getByTestId('chat-toggle').click();
    await page.waitForFunction(() => document.activeElement?.dataset.testid === 'chat-input', null, poll);
    await page.keyboard.press('Escape');
    await waitPressed(page, 'chat-toggle', 'false');
    assert.equal(await focusedTestId(page), 'chat-toggle');

    // The hand waits for the server's confirmation.
    assert.equal(await pressed(page, 'hand-toggle'), 'false');
    await page.keyboard.press('Control+Alt+h');
    await waitPressed(page, 'hand-toggle', 'true');
    await page.keyboard.press('Control+Alt+h');
    await waitPressed(page, 'hand-toggle', 'false');

    const people = await pressed(page, 'participants-toggle');
    await page.getByTestId('participants-toggle').click();
    await waitPressed(page, 'participants-toggle', String(people !== 'true'));
    await page.getByTestId('participants-toggle').click();
    await waitPressed(page, 'participants-toggle', String(people === 'true'));
    assert.equal(await pressed(page, 'layout-toggle'), 'false');
    await page.getByTestId('layout-toggle').click();
    await waitPressed(page, 'layout-toggle', 'true');
    await page.getByTestId('layout-toggle').click();
    await waitPressed(page, 'layout-toggle', 'false');
    // Every toggle keeps one accessible name whatever its state.
    for (const id of ['mic-toggle', 'camera-toggle', 'chat-toggle', 'hand-toggle', 'participants-toggle', 'layout-toggle', 'screen-share-toggle']) {
      assert.ok(['true', 'false'].includes(await pressed(page, id)), `${id} has aria-pressed`);
    }
    assert.equal(await page.getByTestId('mic-toggle').getAttribute('aria-label'), 'Turn off microphone');
    assert.equal(await page.getByTestId('mic-toggle').getAttribute('aria-keyshortcuts'), 'Control+D');
  });

  test('a raised hand and a leave are announced', { timeout: 40_000 }, async () => {
    const { page } = alice;
    // Joins, raises its hand, exits once the server confirmed it.
    const hand = native(CLI_BIN, ['chat', '--server', server.url, '--meeting', MEETING, '--name', 'Hannah Hand', '--raise-hand'], 'hand');
    await announced(page, 'Hannah Hand raised their hand.');
    await announced(page, 'Hannah Hand left.');
    assert.equal((await hand.exited).code, 0);
    const messages = await page.locator('[data-testid="announcer"] p').allTextContents();
    assert.ok(messages.length <= 5, `the region keeps a few messages: ${JSON.stringify(messages)}`);
    assert.equal(await page.getByTestId('announcer').getAttribute('aria-live'), 'polite');
  });

  test('"?" opens the shortcut list; focus stays inside, Escape closes and returns focus', { timeout: 60_000 }, async (t) => {
    const { page } = alice;
    t.after(() => page.evaluate(() => document.querySelector('[data-testid="shortcut-help"]')?.close()));
    await page.getByTestId('shortcuts-button').focus();
    await page.keyboard.press('?');
    const dialog = page.getByTestId('shortcut-help');
    await dialog.waitFor({ state: 'visible' });
    assert.equal(await dialog.locator('tr').count(), 5);
    assert.match(await dialog.textContent(), /Turn the microphone on or off\s*CtrlD/);
    await page.screenshot({ path: join(RESULTS_DIR, 'a11y-shortcuts-desktop.png') });
    const inDialog = () => page.evaluate(() => !!document.activeElement?.closest('[data-testid="shortcut-help"]'));
    assert.equal(await inDialog(), true);
    const focused = () => page.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.getAttribute('role'));
    // Tab from the last element wraps to the first, Shift+Tab from the first to the last.
    await dialog.getByRole('region').focus();
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'shortcut-help-close', 'Tab wraps to the first element');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'region', 'Shift+Tab wraps to the last element');
    for (const key of ['Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Tab']) {
      await page.keyboard.press(key);
      assert.equal(await inDialog(), true, `${key} stays in the dialog`);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focusedTestId(page), 'shortcuts-button');
    // Opened by a click and closed with its button: focus back on the button too.
    await page.getByTestId('shortcuts-button').click();
    await dialog.waitFor({ state: 'visible' });
    await page.getByTestId('shortcut-help-close').click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focusedTestId(page), 'shortcuts-button');
  });

  test('phone portrait and landscape with 2, 6 and 30 participants: nothing clipped; a burst of joins is one announcement', { timeout: 180_000 }, async () => {
    const { page } = alice;
    const check = async (viewport, name) => {
      await page.setViewportSize(viewport);
      await page.waitForFunction((size) => window.__vc.layout.viewport === size, `${viewport.width}x${viewport.height}`, poll);
      await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
      await page.screenshot({ path: join(RESULTS_DIR, `a11y-${name}.png`) });
      assert.deepEqual(await page.evaluate(clippingProblems), [], name);
    };
    await check(PORTRAIT, 'phone-portrait-2');
    await check(LANDSCAPE, 'phone-landscape-2');
    bots = native(BOT_BIN, ['--server', server.url, '--meeting', MEETING, '--publishers', String(BOTS), '--subscribers', '0',
      '--codec', 'vp8', '--resolution', '320x180', '--fps', '5', '--bitrate-kbps', '100', '--duration', '120', '--no-audio'], 'bots');
    await page.waitForFunction((count) => window.__vc.roster.length === count, BOTS + 1, poll);
    // Said in one sentence, e.g. "pub-1, pub-0, pub-2 and pub-3 joined." (two if the burst straddles a batch).
    await page.waitForFunction((count) => new Set(window.__announced.join(' ').match(/pub-\d+/g)).size === count, BOTS, poll);
    const botNews = (await page.evaluate(() => window.__announced)).filter((text) => text.includes('pub-'));
    assert.ok(botNews.length <= 2, JSON.stringify(botNews));
    await page.waitForFunction(() => document.querySelector('[data-testid="tile-grid"]').dataset.layout === 'grid', null, poll);
    await check(PORTRAIT, 'phone-portrait-6');
    await check(LANDSCAPE, 'phone-landscape-6');
    await page.setViewportSize(DESKTOP);
    await check(DESKTOP, 'desktop-6');

    // 24 more at once (30 in all): one or two announcements, not 24; the grid pages stay whole.
    const before = await page.evaluate(() => window.__announced.length);
    subscribers = native(BOT_BIN, ['--server', server.url, '--meeting', MEETING, '--publishers', '0', '--subscribers', String(CROWD),
      '--duration', '120', '--no-audio'], 'crowd');
    await page.waitForFunction((count) => window.__vc.roster.length === count, BOTS + 1 + CROWD, poll);
    await announced(page, 'others joined.');
    await page.evaluate(() => new Promise((done) => setTimeout(done, 0)));
    const burst = (await page.evaluate(() => window.__announced)).slice(before);
    assert.ok(burst.length <= 2, `one sentence per batch: ${JSON.stringify(burst)}`);
    await page.waitForFunction(() => window.__vc.layout.pages > 1, null, poll);
    await check(DESKTOP, 'desktop-30');
    await check(PORTRAIT, 'phone-portrait-30');
    await check(LANDSCAPE, 'phone-landscape-30');
    // The participant list and chat as a phone shows them over the stage.
    await page.setViewportSize(PORTRAIT);
    await page.getByTestId('participants-toggle').click();
    await page.screenshot({ path: join(RESULTS_DIR, 'a11y-phone-portrait-people.png') });
    const names = await page.locator('[data-testid="participants-panel"] .panel-name-text').evaluateAll((items) =>
      items.map((item) => ({ title: item.title, text: item.textContent, fits: item.getBoundingClientRect().right <= window.innerWidth })));
    assert.ok(names.every((entry) => entry.title === entry.text && entry.fits), JSON.stringify(names));
    await page.getByTestId('participants-toggle').click();
    await page.setViewportSize(DESKTOP);
  });

  test('light theme from prefers-color-scheme, with readable text', { timeout: 60_000 }, async (t) => {
    const { page } = alice;
    const contrasts = () => {
      const css = getComputedStyle(document.documentElement);
      const rgb = (value) => {
        const hex = value.trim().replace('#', '');
        const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
        return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255);
      };
      const luminance = (color) => {
        const [r, g, b] = rgb(color).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const token = (name) => (name.startsWith('#') ? name : css.getPropertyValue(name));
      const ratio = (fg, bg) => {
        const [a, b] = [luminance(token(fg)), luminance(token(bg))].sort((x, y) => y - x);
        return Math.round(((a + 0.05) / (b + 0.05)) * 100) / 100;
      };
      const pairs = [
        ['--text', '--bg'], ['--text', '--surface'], ['--text', '--surface-2'], ['--muted', '--surface'], ['--muted', '--surface-2'],
        ['--accent-text', '--surface-2'], ['--danger-text', '--surface-2'], ['--warn-text', '--surface'], ['--link', '--surface-2'],
        ['#ffffff', '--accent-fill'], ['#ffffff', '--danger-fill'],
      ];
      return { bg: css.getPropertyValue('--bg').trim(), ratios: Object.fromEntries(pairs.map(([fg, bg]) => [`${fg} on ${bg}`, ratio(fg, bg)])) };
    };
    const dark = await page.evaluate(contrasts);
    t.diagnostic(`dark theme contrast: ${JSON.stringify(dark.ratios)}`);
    for (const [pair, ratio] of Object.entries(dark.ratios)) assert.ok(ratio >= 4.5, `dark: ${pair}: ${ratio}:1`);
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await page.evaluate(contrasts);
    t.diagnostic(`light theme contrast: ${JSON.stringify(light.ratios)}`);
    assert.equal(light.bg, '#f3f5f9');
    for (const [pair, ratio] of Object.entries(light.ratios)) assert.ok(ratio >= 4.5, `light: ${pair}: ${ratio}:1`);
    await page.screenshot({ path: join(RESULTS_DIR, 'a11y-light-desktop.png') });
    await page.setViewportSize(PORTRAIT);
    await page.getByTestId('chat-toggle').click();
    await page.screenshot({ path: join(RESULTS_DIR, 'a11y-light-phone-chat.png') });
    await page.getByTestId('chat-toggle').click();
    await page.screenshot({ path: join(RESULTS_DIR, 'a11y-light-phone.png') });
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: 'dark' });
  });

  test('no uncaught exceptions in the page', () => {
    assert.deepEqual(alice.uncaught, []);
  });
});
