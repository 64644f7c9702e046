// Chat, raised hands and reactions (issue 12 items 3-4) in Chromium against the real server: two
// participants chat (links safe, text never HTML, unread badge), a late joiner receives the
// history, a raised hand shows on the tile and in the participant list in order, and a reaction
// floats over the sender's tile (a fade only with prefers-reduced-motion).
// Screenshots (test-results/chat-*.png): chat panel and raised hands at 1280x800 and 390x844.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, joinFromHome, launchBrowser, newParticipant, startServer, waitJoined, waitRoster } from './harness.mjs';

const MEETING = `chat-${Date.now().toString(36)}`;
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const LINK = 'https://example.com/docs?page=1';
const HTML = '<img src=x onerror="window.__pwned=1"> javascript:alert(1)';

const cameraTile = (participant, id) => participant.page.locator(`.tile[data-participant-id="${id}"][data-source="camera"]`);

async function openChat(participant) {
  const panel = participant.page.getByTestId('chat-panel');
  if (!(await panel.isVisible())) await participant.page.getByTestId('chat-toggle').click();
  await panel.waitFor({ state: 'visible' });
}

async function say(participant, text) {
  await openChat(participant);
  await participant.page.getByTestId('chat-input').fill(text);
  await participant.page.getByTestId('chat-input').press('Enter');
}

/** The texts of the chat panel's messages, in order. */
const chatTexts = (participant) => participant.page.getByTestId('chat-text').allTextContents();

async function waitChat(participant, count) {
  await participant.page.waitForFunction((n) => document.querySelectorAll('[data-testid="chat-message"]').length >= n, count, { timeout: 15_000 });
}

describe('chat, raised hands and reactions', { timeout: 300_000 }, () => {
  let server;
  let browser;
  const people = {};
  const ids = {};

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    for (const [label, name] of [['alice', 'Alice Archer'], ['bob', 'Bob Baker']]) {
      people[label] = await newParticipant(browser, label);
      await people[label].page.setViewportSize(DESKTOP);
      await joinFromHome(people[label], server.url, name, MEETING);
      ids[label] = await waitJoined(people[label]);
    }
    await waitRoster(people.alice, ['Bob Baker']);
    await waitRoster(people.bob, ['Alice Archer']);
  });

  after(async () => {
    for (const participant of Object.values(people)) assert.deepEqual(participant.uncaught, [], 'no uncaught page errors');
    await browser?.close();
    await server?.stop();
  });

  test('two participants chat: unread badge, sender and time, safe links, text never HTML', async () => {
    const { alice, bob } = people;
    await say(alice, `Hello Bob, the notes: ${LINK}.`);
    await say(alice, HTML);
    // Bob has not opened the chat: the button counts what he missed.
    await bob.page.waitForFunction(() => document.querySelector('[data-testid="chat-toggle"]')?.dataset.count === '2', null, { timeout: 15_000 });
    await openChat(bob);
    await waitChat(bob, 2);
    assert.equal(await bob.page.getByTestId('chat-toggle').getAttribute('data-count'), null, 'opening the chat clears the badge');
    assert.deepEqual(await chatTexts(bob), [`Hello Bob, the notes: ${LINK}.`, HTML]);
    const first = bob.page.getByTestId('chat-message').first();
    assert.equal(await first.locator('.chat-sender').textContent(), 'Alice Archer');
    assert.match(await first.locator('time').textContent(), /\d{1,2}:\d{2}/);
    const link = first.locator('a');
    assert.equal(await link.getAttribute('href'), LINK);
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer');
    assert.equal(await link.getAttribute('target'), '_blank');
    // The markup arrived as text: no element was created from it, no script ran, no javascript: link.
    assert.equal(await bob.page.locator('[data-testid="chat-list"] img').count(), 0);
    assert.equal(await bob.page.getByTestId('chat-message').nth(1).locator('a').count(), 0);
    assert.equal(await bob.page.evaluate(() => window.__pwned), undefined);

    await say(bob, 'Thanks Alice!\nSecond line');
    await waitChat(alice, 3);
    assert.deepEqual((await chatTexts(alice)).at(-1), 'Thanks Alice!\nSecond line');
    assert.equal(await alice.page.getByTestId('chat-message').last().locator('.chat-sender').textContent(), 'Bob Baker');
    assert.equal(await alice.page.getByTestId('chat-message').first().locator('.chat-sender').textContent(), 'You');
    // Too long for the server: refused locally with a reason, nothing sent.
    await say(alice, 'x'.repeat(4001));
    assert.match(await alice.page.getByTestId('chat-error').textContent(), /at most 4000 bytes/);

    await bob.page.setViewportSize(DESKTOP);
    await bob.page.screenshot({ path: join(RESULTS_DIR, 'chat-panel-desktop.png') });
    await bob.page.setViewportSize(PHONE);
    await openChat(bob);
    await bob.page.screenshot({ path: join(RESULTS_DIR, 'chat-panel-phone.png') });
    await bob.page.setViewportSize(DESKTOP);
  });

  test('a late joiner receives the history, in order, without an unread badge', async () => {
    people.carol = await newParticipant(browser, 'carol');
    const { carol } = people;
    await carol.page.setViewportSize(DESKTOP);
    await joinFromHome(carol, server.url, 'Carol Chen', MEETING);
    ids.carol = await waitJoined(carol);
    await carol.page.getByTestId('chat-toggle').waitFor();
    // The history arrives right after JoinAccepted; wait for it before looking at the badge.
    await carol.page.waitForFunction(() => document.querySelectorAll('[data-testid="chat-message"]').length === 3, null, { timeout: 15_000 });
    assert.equal(await carol.page.getByTestId('chat-toggle').getAttribute('data-count'), null, 'history is not unread');
    await openChat(carol);
    assert.deepEqual(await chatTexts(carol), [`Hello Bob, the notes: ${LINK}.`, HTML, 'Thanks Alice!\nSecond line']);
  });

  test('raised hands show on tiles and in the participant list in the order they went up', async () => {
    const { alice, bob, carol } = people;
    await bob.page.getByTestId('hand-toggle').click();
    await cameraTile(alice, ids.bob).getByTestId('tile-hand').waitFor({ timeout: 15_000 });
    // Carol raises hers from the reactions menu (where it lives on a phone).
    await carol.page.getByTestId('reaction-toggle').click();
    await carol.page.getByTestId('menu-hand-toggle').click();
    await cameraTile(alice, ids.carol).getByTestId('tile-hand').waitFor({ timeout: 15_000 });
    assert.equal(await cameraTile(alice, ids.bob).locator('.tile-hand-order').textContent(), '1');
    assert.equal(await cameraTile(alice, ids.carol).locator('.tile-hand-order').textContent(), '2');
    assert.equal(await bob.page.getByTestId('hand-toggle').getAttribute('aria-pressed'), 'true');
    // Alice's participant list: raised hands first, in order.
    await alice.page.getByTestId('participants-toggle').click();
    const items = alice.page.locator('[data-testid="participants-panel"] .panel-item');
    await alice.page.waitForFunction(() => document.querySelectorAll('[data-testid="panel-hand"]').length === 2);
    assert.match((await items.nth(0).textContent()) ?? '', /Bob Baker/);
    assert.match((await items.nth(1).textContent()) ?? '', /Carol Chen/);
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'chat-hands-desktop.png') });
    await alice.page.setViewportSize(PHONE);
    await alice.page.getByTestId('participants-toggle').click();
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'chat-hands-phone.png') });
    await alice.page.getByTestId('participants-toggle').click();
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'chat-hands-phone-tiles.png') });
    await alice.page.setViewportSize(DESKTOP);
    // Lowered by its owner: gone everywhere, and Carol moves up.
    await bob.page.getByTestId('hand-toggle').click();
    await cameraTile(alice, ids.bob).getByTestId('tile-hand').waitFor({ state: 'detached', timeout: 15_000 });
    await alice.page.waitForFunction(
      (id) => document.querySelector(`.tile[data-participant-id="${id}"] .tile-hand-order`)?.textContent === '1',
      ids.carol,
    );
  });

  test('a reaction floats over the sender’s tile; reduced motion fades it in place', async () => {
    const { alice, bob, carol } = people;
    await carol.page.emulateMedia({ reducedMotion: 'reduce' });
    // Read the reaction the moment it appears (it is gone after 3 s, a loaded machine is slow).
    const seen = (participant, id) =>
      participant.page
        .waitForFunction(
          (tile) => {
            const node = document.querySelector(`.tile[data-participant-id="${tile}"] [data-testid="reaction"]`);
            return node ? { text: node.textContent, animation: getComputedStyle(node).animationName } : null;
          },
          id,
          { timeout: 15_000, polling: 20 },
        )
        .then((handle) => handle.jsonValue());
    const onBob = seen(bob, ids.alice);
    const onCarol = seen(carol, ids.alice);
    const onSelf = seen(alice, 'self');
    await alice.page.getByTestId('reaction-toggle').click();
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'chat-reactions-menu-desktop.png') });
    await alice.page.locator('[data-testid="reaction-choice"][data-emoji="\u{1F44D}"]').click();
    assert.deepEqual(await onBob, { text: '\u{1F44D}', animation: 'reaction-rise' });
    await bob.page.screenshot({ path: join(RESULTS_DIR, 'chat-reaction-desktop.png') });
    assert.deepEqual(await onCarol, { text: '\u{1F44D}', animation: 'reaction-fade' });
    assert.deepEqual(await onSelf, { text: '\u{1F44D}', animation: 'reaction-rise' }, 'our own reaction shows on our tile');
    await alice.page.setViewportSize(PHONE);
    await alice.page.getByTestId('reaction-toggle').click();
    await alice.page.getByTestId('reaction-menu').waitFor({ state: 'visible' });
    await alice.page.screenshot({ path: join(RESULTS_DIR, 'chat-reactions-menu-phone.png') });
    await alice.page.keyboard.press('Escape');
    await alice.page.setViewportSize(DESKTOP);
    // Every one disappears after a few seconds.
    await cameraTile(bob, ids.alice).getByTestId('reaction').waitFor({ state: 'detached', timeout: 10_000 });
  });
});
