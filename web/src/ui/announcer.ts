// Screen-reader announcements. Reusable:
//
//   const live = new LiveRegion();           // one visually hidden role=status, aria-live=polite
//   page.append(live.element);
//   live.say('Recording started');           // read when the reader is idle, never interrupting
//
//   const people = new RosterAnnouncer((text) => live.say(text));
//   people.note('joined', 'Alice');          // events of a burst (30 people arriving) are
//   people.note('joined', 'Bob');            // collected for BATCH_MS and said as one sentence:
//                                            // "Alice and Bob joined."
//
// RosterAnnouncer is sans-I/O apart from the injected timer, and unit-tested.
import { el } from './icons';

/** Roster events this close together are said as one sentence per kind. */
export const ANNOUNCE_BATCH_MS = 1500;
/** Names spelled out in one sentence; the rest are counted ("and 27 others"). */
const NAMES_SAID = 3;
/** Messages kept in the region (older ones are removed; readers announce additions). */
const KEPT = 5;

export type RosterEvent = 'joined' | 'left' | 'raised their hand';

/** "Alice joined." / "Alice and Bob joined." / "Alice, Bob, Carol and 27 others joined." */
export function rosterSentence(event: RosterEvent, names: readonly string[]): string {
  if (names.length === 0) return '';
  const hand = event === 'raised their hand';
  if (names.length === 1) return `${names[0]} ${hand ? 'raised their hand' : event}.`;
  const spelled = names.length <= NAMES_SAID + 1 ? names : names.slice(0, NAMES_SAID);
  const rest = names.length - spelled.length;
  const list = rest > 0 ? `${spelled.join(', ')} and ${rest} others` : `${spelled.slice(0, -1).join(', ')} and ${spelled[spelled.length - 1]}`;
  return `${list} ${hand ? 'raised their hands' : event}.`;
}

export interface Timer {
  set(run: () => void, ms: number): number;
  clear(handle: number): void;
}

const windowTimer: Timer = {
  set: (run, ms) => window.setTimeout(run, ms),
  clear: (handle) => window.clearTimeout(handle),
};

/** Collects joins, leaves and raised hands and says each burst once (see the file comment). */
export class RosterAnnouncer {
  private readonly pending = new Map<RosterEvent, string[]>();
  private handle: number | null = null;

  constructor(private readonly say: (text: string) => void, private readonly timer: Timer = windowTimer) {}

  note(event: RosterEvent, name: string): void {
    const names = this.pending.get(event) ?? [];
    names.push(name);
    this.pending.set(event, names);
    this.handle ??= this.timer.set(() => this.flush(), ANNOUNCE_BATCH_MS);
  }

  /** Says what was collected now (also called by the timer). */
  flush(): void {
    if (this.handle !== null) this.timer.clear(this.handle);
    this.handle = null;
    const order: RosterEvent[] = ['joined', 'left', 'raised their hand'];
    const text = order.map((event) => rosterSentence(event, this.pending.get(event) ?? [])).filter(Boolean).join(' ');
    this.pending.clear();
    if (text) this.say(text);
  }

  dispose(): void {
    if (this.handle !== null) this.timer.clear(this.handle);
    this.handle = null;
    this.pending.clear();
  }
}

/** A polite live region, visually hidden; messages are added as paragraphs (readers say additions). */
export class LiveRegion {
  readonly element = el('div', 'visually-hidden');

  constructor(testId = 'announcer') {
    this.element.setAttribute('role', 'status');
    this.element.setAttribute('aria-live', 'polite');
    this.element.setAttribute('aria-relevant', 'additions');
    this.element.dataset.testid = testId;
  }

  say(text: string): void {
    this.element.append(el('p', '', text));
    while (this.element.childElementCount > KEPT) this.element.firstElementChild!.remove();
  }
}
