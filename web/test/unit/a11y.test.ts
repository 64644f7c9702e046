// Unit tests of the keyboard and screen-reader helpers: the shortcut matcher (one table for the
// handler and the help dialog), the batching of roster announcements, and the 1:1 self-view
// corner logic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANNOUNCE_BATCH_MS, RosterAnnouncer, rosterSentence, type Timer } from '../../src/ui/announcer';
import { cornerAfterKey, nearestCorner } from '../../src/ui/pip';
import { SHORTCUTS, ariaKeys, chordKeys, isMacPlatform, matchShortcut, type KeyInput } from '../../src/ui/shortcuts';

const key = (init: Partial<KeyInput>): KeyInput => ({ key: '', code: '', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...init });

test('Ctrl (⌘ on a Mac) + D and E toggle mic and camera, also while typing', () => {
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD', ctrlKey: true }), false, false), 'mic');
  assert.equal(matchShortcut(key({ key: 'e', code: 'KeyE', ctrlKey: true }), false, true), 'camera');
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD', metaKey: true }), true, false), 'mic');
  // The other platform's modifier does nothing; neither do extra modifiers or the bare letter.
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD', metaKey: true }), false, false), null);
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD', ctrlKey: true }), true, false), null);
  assert.equal(matchShortcut(key({ key: 'D', code: 'KeyD', ctrlKey: true, shiftKey: true }), false, false), null);
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD', ctrlKey: true, altKey: true }), false, false), null);
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD' }), false, false), null);
  // Held keys repeat: one toggle per press. IME composition is text.
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD', ctrlKey: true, repeat: true }), false, false), null);
  assert.equal(matchShortcut(key({ key: 'd', code: 'KeyD', ctrlKey: true, isComposing: true }), false, false), null);
});

test('chat and hand: Ctrl+Alt (⌘+Control on a Mac) by key position, whatever Alt/Option types', () => {
  assert.equal(matchShortcut(key({ key: 'c', code: 'KeyC', ctrlKey: true, altKey: true }), false, false), 'chat');
  assert.equal(matchShortcut(key({ key: '˙', code: 'KeyH', metaKey: true, ctrlKey: true }), true, false), 'hand');
  assert.equal(matchShortcut(key({ key: 'h', code: 'KeyH', ctrlKey: true }), false, false), null);
  // An AZERTY or Dvorak layout still uses the same physical keys (code), as Meet does.
  assert.equal(matchShortcut(key({ key: 'x', code: 'KeyC', ctrlKey: true, altKey: true }), false, false), 'chat');
});

test('"?" opens the help, but not while typing in a text field', () => {
  assert.equal(matchShortcut(key({ key: '?', code: 'Slash', shiftKey: true }), false, false), 'help');
  assert.equal(matchShortcut(key({ key: '?', code: 'Minus', shiftKey: true }), true, false), 'help'); // another layout
  assert.equal(matchShortcut(key({ key: '?', code: 'Slash', shiftKey: true }), false, true), null);
  assert.equal(matchShortcut(key({ key: '?', code: 'Slash', shiftKey: true, ctrlKey: true }), false, false), null);
});

test('the help dialog lists every shortcut with this platform’s key names', () => {
  assert.deepEqual(SHORTCUTS.map((s) => s.action).sort(), ['camera', 'chat', 'hand', 'help', 'mic']);
  const mic = SHORTCUTS.find((s) => s.action === 'mic')!.chord;
  const hand = SHORTCUTS.find((s) => s.action === 'hand')!.chord;
  assert.deepEqual(chordKeys(mic, false), ['Ctrl', 'D']);
  assert.deepEqual(chordKeys(mic, true), ['⌘', 'D']);
  assert.deepEqual(chordKeys(hand, false), ['Ctrl', 'Alt', 'H']);
  assert.deepEqual(chordKeys(hand, true), ['⌘', 'Control', 'H']);
  assert.equal(ariaKeys(hand, false), 'Control+Alt+H');
  assert.equal(ariaKeys(mic, true), 'Meta+D');
  // Every listed chord is matched by the handler, on both platforms (one table for both).
  for (const mac of [false, true]) {
    for (const shortcut of SHORTCUTS) {
      const { chord } = shortcut;
      const input = key({
        key: chord.key ?? chord.code!.slice(3).toLowerCase(),
        code: chord.code ?? 'Slash',
        shiftKey: chord.key === '?',
        ctrlKey: mac ? !!chord.second : !!chord.mod,
        metaKey: mac && !!chord.mod,
        altKey: !mac && !!chord.second,
      });
      assert.equal(matchShortcut(input, mac, false), shortcut.action, `${shortcut.action} mac=${mac}`);
    }
  }
  assert.ok(isMacPlatform('MacIntel') && isMacPlatform('iPhone') && !isMacPlatform('Linux x86_64') && !isMacPlatform('Win32'));
});

test('roster sentences name a few people and count the rest', () => {
  assert.equal(rosterSentence('joined', ['Alice']), 'Alice joined.');
  assert.equal(rosterSentence('left', ['Alice', 'Bob']), 'Alice and Bob left.');
  assert.equal(rosterSentence('joined', ['A', 'B', 'C', 'D']), 'A, B, C and D joined.');
  assert.equal(rosterSentence('joined', ['A', 'B', 'C', 'D', 'E']), 'A, B, C and 2 others joined.');
  assert.equal(rosterSentence('raised their hand', ['Alice']), 'Alice raised their hand.');
  assert.equal(rosterSentence('raised their hand', ['Alice', 'Bob']), 'Alice and Bob raised their hands.');
  assert.equal(rosterSentence('joined', []), '');
});

/** A timer the test fires by hand. */
function manualTimer(): Timer & { fire(): void; pending: number } {
  const runs = new Map<number, () => void>();
  let next = 1;
  return {
    set: (run, ms) => {
      assert.equal(ms, ANNOUNCE_BATCH_MS);
      runs.set(next, run);
      return next++;
    },
    clear: (handle) => void runs.delete(handle),
    fire() {
      const due = [...runs.values()];
      runs.clear();
      for (const run of due) run();
    },
    get pending() {
      return runs.size;
    },
  };
}

test('a burst of 30 joins is one announcement, not 30', () => {
  const said: string[] = [];
  const timer = manualTimer();
  const announcer = new RosterAnnouncer((text) => said.push(text), timer);
  for (let i = 1; i <= 30; i++) announcer.note('joined', `Bot ${i}`);
  announcer.note('raised their hand', 'Carol');
  assert.deepEqual(said, []);
  assert.equal(timer.pending, 1, 'one timer for the whole burst');
  timer.fire();
  assert.deepEqual(said, ['Bot 1, Bot 2, Bot 3 and 27 others joined. Carol raised their hand.']);
  // The next event starts a new batch.
  announcer.note('left', 'Bot 4');
  timer.fire();
  assert.deepEqual(said.slice(1), ['Bot 4 left.']);
  // Disposed with events pending: nothing is said later.
  announcer.note('left', 'Bot 5');
  announcer.dispose();
  timer.fire();
  assert.equal(said.length, 2);
});

test('the self-view snaps to the nearest corner; arrow keys move it to the next one', () => {
  assert.equal(nearestCorner(10, 10, 800, 600), 'top-left');
  assert.equal(nearestCorner(790, 10, 800, 600), 'top-right');
  assert.equal(nearestCorner(10, 590, 800, 600), 'bottom-left');
  assert.equal(nearestCorner(500, 400, 800, 600), 'bottom-right');
  assert.equal(cornerAfterKey('bottom-right', 'ArrowLeft'), 'bottom-left');
  assert.equal(cornerAfterKey('bottom-left', 'ArrowUp'), 'top-left');
  assert.equal(cornerAfterKey('top-left', 'ArrowRight'), 'top-right');
  assert.equal(cornerAfterKey('top-right', 'ArrowDown'), 'bottom-right');
  assert.equal(cornerAfterKey('top-right', 'ArrowUp'), 'top-right');
  assert.equal(cornerAfterKey('top-right', 'Enter'), null);
});
