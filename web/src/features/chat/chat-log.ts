// The chat as this page knows it: messages from the live stream and from histories (after every
// join, and when a server node learns older messages), de-duplicated by id, in sent order, bounded.
// Pure: unit-tested in test/unit.

export interface ChatEntry {
  id: number;
  senderId: number;
  senderName: string;
  sentAtMs: number;
  text: string;
}

/** The server keeps 100 (limits::kChatHistoryMessages); the page keeps a little more. */
export const MAX_CHAT_ENTRIES = 300;

export class ChatLog {
  private readonly list: ChatEntry[] = [];
  private readonly ids = new Set<number>();

  get entries(): readonly ChatEntry[] {
    return this.list;
  }

  /** Adds what is new; returns the added entries (oldest first) so the view can insert them. */
  add(incoming: ChatEntry[]): ChatEntry[] {
    const added: ChatEntry[] = [];
    for (const entry of incoming) {
      if (this.ids.has(entry.id)) continue;
      this.ids.add(entry.id);
      added.push(entry);
      // Usually the newest: scan from the end for its place.
      let at = this.list.length;
      while (at > 0 && earlier(entry, this.list[at - 1])) at--;
      this.list.splice(at, 0, entry);
    }
    while (this.list.length > MAX_CHAT_ENTRIES) this.ids.delete(this.list.shift()!.id);
    return added.filter((entry) => this.ids.has(entry.id));
  }

  /** Position of an entry in the log (for inserting its element), or -1. */
  indexOf(id: number): number {
    return this.list.findIndex((entry) => entry.id === id);
  }
}

function earlier(a: ChatEntry, b: ChatEntry): boolean {
  return a.sentAtMs !== b.sentAtMs ? a.sentAtMs < b.sentAtMs : a.id < b.id;
}

/** Counts messages that arrived while the panel was closed, not counting our own. */
export class UnreadCounter {
  private count = 0;
  constructor(private open = false) {}

  get value(): number {
    return this.count;
  }

  setOpen(open: boolean): void {
    this.open = open;
    if (open) this.count = 0;
  }

  /** `live`: a message that arrived now (not a history replayed on join). */
  note(entries: readonly ChatEntry[], selfId: number | null, live: boolean): void {
    if (this.open || !live) return;
    this.count += entries.filter((entry) => entry.senderId !== selfId).length;
  }
}
