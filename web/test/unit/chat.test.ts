// Unit tests of the chat's pure logic: links (only http/https become links), the de-duplicated and
// ordered log, unread counting, and the order of raised hands.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChatLog, MAX_CHAT_ENTRIES, UnreadCounter, type ChatEntry } from '../../src/features/chat/chat-log';
import { safeHref, splitLinks } from '../../src/features/chat/links';
import { raisedHandOrder } from '../../src/features/hands';
import { isAllowedReaction } from '../../src/features/reactions';

test('http and https URLs become links, with trailing punctuation left as text', () => {
  assert.deepEqual(splitLinks('see https://example.com/a?b=1. ok'), [
    { kind: 'text', text: 'see ' },
    { kind: 'link', text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
    { kind: 'text', text: '. ok' },
  ]);
  assert.deepEqual(splitLinks('www.example.org'), [
    { kind: 'link', text: 'www.example.org', href: 'https://www.example.org/' },
  ]);
  const wiki = splitLinks('(https://en.wikipedia.org/wiki/Foo_(bar))');
  assert.equal(wiki[1].kind, 'link');
  assert.equal(wiki[1].text, 'https://en.wikipedia.org/wiki/Foo_(bar)');
});

test('other schemes, credentials and markup never become links', () => {
  for (const text of ['javascript:alert(1)', 'data:text/html,<b>x</b>', 'file:///etc/passwd', 'ftp://x.org']) {
    assert.deepEqual(splitLinks(text), [{ kind: 'text', text }]);
  }
  assert.equal(safeHref('javascript:alert(1)'), null);
  assert.equal(safeHref('https://bank.example@evil.example/'), null);
  assert.deepEqual(splitLinks('<img src=x onerror=alert(1)>'), [{ kind: 'text', text: '<img src=x onerror=alert(1)>' }]);
  // A quote ends the URL: it cannot smuggle an attribute.
  const segments = splitLinks('https://a.example/"onmouseover="x');
  assert.equal(segments[0].kind, 'link');
  assert.equal(segments[0].text, 'https://a.example/');
});

const entry = (id: number, sentAtMs: number, senderId = 1): ChatEntry => ({ id, senderId, senderName: 'A', sentAtMs, text: `m${id}` });

test('the log drops duplicates and keeps sent order when a history arrives late', () => {
  const log = new ChatLog();
  assert.deepEqual(log.add([entry(3, 30)]).map((e) => e.id), [3]);
  assert.deepEqual(log.add([entry(1, 10), entry(3, 30), entry(2, 20)]).map((e) => e.id), [1, 2]);
  assert.deepEqual(log.entries.map((e) => e.id), [1, 2, 3]);
  assert.equal(log.indexOf(2), 1);
  for (let i = 0; i < MAX_CHAT_ENTRIES + 5; i++) log.add([entry(100 + i, 1000 + i)]);
  assert.equal(log.entries.length, MAX_CHAT_ENTRIES);
  assert.equal(log.indexOf(1), -1);
});

test('unread counts live messages of others while the panel is closed', () => {
  const unread = new UnreadCounter(false);
  unread.note([entry(1, 1, 7), entry(2, 2, 9)], 9, true);
  assert.equal(unread.value, 1);
  unread.note([entry(3, 3, 7)], 9, false); // history on join: not unread
  assert.equal(unread.value, 1);
  unread.setOpen(true);
  assert.equal(unread.value, 0);
  unread.note([entry(4, 4, 7)], 9, true);
  assert.equal(unread.value, 0);
});

test('raised hands are ordered by when they went up, lowered ones left out', () => {
  assert.deepEqual(
    raisedHandOrder([
      { id: 5, raisedAtUs: 300 },
      { id: 2, raisedAtUs: 0 },
      { id: 9, raisedAtUs: 100 },
      { id: 1, raisedAtUs: 300 },
    ]),
    [9, 1, 5],
  );
  assert.ok(isAllowedReaction('\u{1F44D}'));
  assert.ok(!isAllowedReaction('x'));
});
