// Host powers and the waiting room (issue 11 parts 2, 3 and 6) in Chromium against the real server:
// the host turns the waiting room on in the meeting settings panel, a joiner sees "Waiting for the
// host to let you in" and nobody, the host hears and sees the admit prompt and admits them; the
// host removes someone from the tile menu and they see "You were removed"; the host ends the
// meeting and everyone sees "The host ended the meeting".
// Screenshots (test-results/host-*.png) at 1280x800 and 390x844.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, joinFromHome, launchBrowser, newParticipant, startServer, waitJoined, waitRoster } from './harness.mjs';

const MEETING = `host-${Date.now().toString(36)}`;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

const shot = (participant, name) => participant.page.screenshot({ path: join(RESULTS_DIR, `host-${name}.png`) });

async function openSettings(host) {
  await host.page.getByTestId('meeting-settings-toggle').click();
  await host.page.getByTestId('meeting-settings').waitFor({ state: 'visible' });
}

async function closeSettings(host) {
  await host.page.keyboard.press('Escape');
  await host.page.getByTestId('meeting-settings').waitFor({ state: 'hidden' });
}

describe('host powers and the waiting room', { timeout: 300_000 }, () => {
  let server;
  let browser;
  const people = {};

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    people.hana = await newParticipant(browser, 'hana');
    await people.hana.page.setViewportSize(DESKTOP);
    await joinFromHome(people.hana, server.url, 'Hana Host', MEETING);
    await waitJoined(people.hana);
  });

  after(async () => {
    for (const participant of Object.values(people)) assert.deepEqual(participant.uncaught, [], 'no uncaught page errors');
    await browser?.close();
    await server?.stop();
  });

  test('waiting room: the joiner waits and sees nobody, the host is prompted and admits', async () => {
    const { hana } = people;
    await openSettings(hana);
    await hana.page.getByTestId('setting-waiting-room').check();
    // The server's answer (MeetingSettings) keeps the switch on.
    await hana.page.waitForFunction(() => document.querySelector('[data-testid="setting-waiting-room"]')?.checked === true);
    await shot(hana, 'settings-desktop');
    await closeSettings(hana);

    people.wim = await newParticipant(browser, 'wim');
    const { wim } = people;
    await wim.page.setViewportSize(PHONE);
    await joinFromHome(wim, server.url, 'Wim Waiter', MEETING);
    const card = wim.page.getByTestId('waiting-card');
    await card.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(await card.textContent(), /Waiting for the host to let you in/);
    assert.equal(await wim.page.evaluate(() => window.__vc.connection), 'waiting');
    assert.deepEqual(await wim.page.evaluate(() => window.__vc.roster), [], 'no roster while waiting');
    await shot(wim, 'waiting-phone');

    // The host gets the list (and a toast with a beep) and admits.
    const item = hana.page.getByTestId('waiting-list').locator('.waiting-strip-item', { hasText: 'Wim Waiter' });
    await item.waitFor({ state: 'visible', timeout: 15_000 });
    await hana.page.getByTestId('toast').filter({ hasText: 'Wim Waiter is waiting to join' }).waitFor();
    await shot(hana, 'admit-desktop');
    await item.getByTestId('admit-button').click();
    await waitJoined(wim);
    await waitRoster(wim, ['Hana Host']);
    await waitRoster(hana, ['Wim Waiter']);
    await hana.page.getByTestId('waiting-list').waitFor({ state: 'hidden' });
  });

  test('remove from the tile menu: the participant sees "You were removed"', async () => {
    const { hana, wim } = people;
    const wimId = await wim.page.evaluate(() => window.__vc.selfId);
    const tile = hana.page.locator(`.tile[data-participant-id="${wimId}"][data-source="camera"]`);
    await tile.getByTestId('host-menu-button').click();
    await hana.page.getByTestId('host-remove').waitFor({ state: 'visible' });
    await shot(hana, 'menu-desktop');
    await hana.page.getByTestId('host-remove').click();
    const removed = wim.page.locator('[data-testid="error-banner"][data-code="4431"]');
    await removed.waitFor({ state: 'visible', timeout: 15_000 });
    // What a person reads (Details, closed, holds the raw code for support).
    const words = (await removed.locator('.error-title, .error-message, .error-action').allTextContents()).join(' ');
    assert.match(words, /You were removed from the meeting/);
    assert.doesNotMatch(words, /443\d/, 'no raw codes in the text');
    assert.equal(await removed.getByRole('button', { name: 'Ask to join again' }).count(), 1, 'a removed (not barred) participant may ask again');
    await shot(wim, 'removed-phone');
    await waitRoster(hana, []);
  });

  test('end the meeting: everyone sees "The host ended the meeting"', async () => {
    const { hana } = people;
    await openSettings(hana);
    await hana.page.getByTestId('setting-waiting-room').uncheck();
    await hana.page.waitForFunction(() => document.querySelector('[data-testid="setting-waiting-room"]')?.checked === false);
    await closeSettings(hana);
    people.pia = await newParticipant(browser, 'pia');
    const { pia } = people;
    await pia.page.setViewportSize(DESKTOP);
    await joinFromHome(pia, server.url, 'Pia Participant', MEETING);
    await waitJoined(pia);
    await waitRoster(hana, ['Pia Participant']);
    await hana.page.setViewportSize(PHONE);
    await openSettings(hana);
    await shot(hana, 'settings-phone');
    await hana.page.getByTestId('end-meeting').click();
    await hana.page.getByTestId('end-meeting').click(); // the second click confirms
    for (const participant of [pia, hana]) {
      const ended = participant.page.locator('[data-testid="error-banner"][data-code="4433"]');
      await ended.waitFor({ state: 'visible', timeout: 15_000 });
      assert.match(await ended.textContent(), /The host ended the meeting/);
    }
    await shot(pia, 'ended-desktop');
  });
});
