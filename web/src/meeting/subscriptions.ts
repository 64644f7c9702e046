// What this page receives (PROTOCOL.md §11.3): defaults stated in Hello, then one UpdateSubscriptions
// per layout change carrying only what changed. The layout reports a wish per remote video track
// (paused, or a height); decode pressure can cap a track lower for a while.
import { VideoDefault, type SubscriptionDefaults } from '../gen/videocall_pb';
import type { ControlMessage } from '../protocol';
import type { SubscriptionStats } from '../stats';

/** Heights of the simulcast encodings senders offer (issue 10 contract). */
export const LAYER_HEIGHTS = [180, 360, 720] as const;
/** A large tile (pinned, spotlight, screen) asks for the highest layer. */
export const HIGHEST = 0;
/** Layout changes arrive in bursts (resize, page switch): one message after they settle. */
const DEBOUNCE_MS = 150;
/** After decode pressure lowered a track, try its wish again once it has been calm this long. */
const PRESSURE_HOLD_MS = 10_000;

export type Wish = 'paused' | number;
export type DefaultsInit = { video: VideoDefault; videoMaxHeight: number; lastN: number; lastNMaxHeight: number };

/**
 * The encoding height for a tile this many device pixels high: the smallest encoding that does not
 * need more than 1.33x upscaling, else the highest. A tile never asks for more than it can show.
 */
export function ladderHeight(pixelHeight: number): number {
  for (const height of LAYER_HEIGHTS) if (pixelHeight <= height * 1.33) return height;
  return LAYER_HEIGHTS[LAYER_HEIGHTS.length - 1];
}

export function trackKey(publisherId: number, trackId: number): string {
  return `${publisherId}/${trackId}`;
}

function parseKey(key: string): { publisherParticipantId: bigint; trackId: number } {
  const [publisher, track] = key.split('/');
  return { publisherParticipantId: BigInt(publisher!), trackId: Number(track) };
}

function sameDefaults(a: DefaultsInit | null, b: DefaultsInit): boolean {
  return !!a && a.video === b.video && a.videoMaxHeight === b.videoMaxHeight && a.lastN === b.lastN && a.lastNMaxHeight === b.lastNMaxHeight;
}

export class SubscriptionManager {
  /** The layout's wish per track key, and the pressure cap (a height) with when it was set. */
  private readonly wishes = new Map<string, Wish>();
  private readonly caps = new Map<string, { height: number; at: number }>();
  /** What the server was last told, per track key, and the defaults it has. */
  private sent = new Map<string, Wish>();
  private sentDefaults: DefaultsInit | null = null;
  private defaults: DefaultsInit;
  private timer: number | undefined;
  private expiryTimer: number | undefined;
  private connected = false;

  constructor(
    private readonly send: (message: ControlMessage) => void,
    /** Read on each use: the page replaces the stats object when a meeting starts. */
    private readonly stats: () => SubscriptionStats,
    initial: DefaultsInit,
  ) {
    this.defaults = initial;
    this.recordDefaults();
  }

  /** Defaults for Hello (also on every reconnect's Hello). */
  helloDefaults(): DefaultsInit {
    this.recordDefaults();
    this.sentDefaults = { ...this.defaults };
    return this.defaults;
  }

  setDefaults(defaults: DefaultsInit): void {
    if (sameDefaults(this.defaults, defaults)) return;
    this.defaults = defaults;
    this.recordDefaults();
    this.schedule();
  }

  /** The full set of wishes for the tracks the layout knows; tracks not listed are forgotten. */
  setWishes(wishes: Map<string, Wish>): void {
    for (const key of [...this.wishes.keys()]) {
      if (!wishes.has(key)) {
        this.wishes.delete(key);
        this.caps.delete(key);
      }
    }
    for (const [key, wish] of wishes) this.wishes.set(key, wish);
    this.schedule();
  }

  /** What the track is effectively asked at (the wish, capped by decode pressure). */
  effective(key: string, now = performance.now()): Wish | undefined {
    const wish = this.wishes.get(key);
    if (wish === undefined || wish === 'paused') return wish;
    const cap = this.caps.get(key);
    if (!cap) return wish;
    if (now - cap.at > PRESSURE_HOLD_MS) {
      this.caps.delete(key);
      return wish;
    }
    return wish === HIGHEST ? cap.height : Math.min(wish, cap.height);
  }

  /**
   * Decode pressure on this track: ask for the next lower encoding than it gets now. Returns false
   * when it is already at the lowest.
   */
  lower(key: string, currentHeight: number): boolean {
    const current = this.effective(key);
    if (current === undefined || current === 'paused') return false;
    const now = current === HIGHEST ? Math.max(currentHeight, LAYER_HEIGHTS[0]) : current;
    const lower = [...LAYER_HEIGHTS].reverse().find((height) => height < now);
    if (lower === undefined) return false;
    this.caps.set(key, { height: lower, at: performance.now() });
    this.schedule();
    return true;
  }

  /** The transport is up (joined, or rejoined after a reconnect: the server may have forgotten). */
  onJoined(): void {
    this.connected = true;
    this.sent = new Map(); // Hello carried the defaults; every explicit wish goes again
    this.flush();
  }

  onDisconnected(): void {
    this.connected = false;
  }

  dispose(): void {
    window.clearTimeout(this.timer);
    window.clearTimeout(this.expiryTimer);
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, DEBOUNCE_MS);
  }

  /** Sends what differs from what the server has; nothing when nothing changed. */
  private flush(): void {
    window.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.connected) return;
    const set: { track: ReturnType<typeof parseKey>; paused: boolean; maxHeight: number }[] = [];
    const summary: string[] = [];
    let expiring = false;
    for (const key of this.wishes.keys()) {
      if (this.caps.has(key)) expiring = true;
      const wish = this.effective(key)!;
      if (this.sent.get(key) === wish) continue;
      this.sent.set(key, wish);
      set.push({ track: parseKey(key), paused: wish === 'paused', maxHeight: wish === 'paused' ? 0 : wish });
      summary.push(`${key}:${wish}`);
    }
    const remove = [...this.sent.keys()].filter((key) => !this.wishes.has(key));
    for (const key of remove) this.sent.delete(key);
    const defaultsChanged = !sameDefaults(this.sentDefaults, this.defaults);
    if (set.length || remove.length || defaultsChanged) {
      const value: { set: typeof set; remove: ReturnType<typeof parseKey>[]; defaults?: SubscriptionDefaults | DefaultsInit } = {
        set,
        remove: remove.map(parseKey),
      };
      if (defaultsChanged) {
        value.defaults = { ...this.defaults };
        this.sentDefaults = { ...this.defaults };
      }
      this.send({ case: 'updateSubscriptions', value });
      this.stats().updatesSent++;
      this.stats().lastUpdate = summary;
    }
    this.stats().current = Object.fromEntries(this.sent);
    // A pressure cap runs out after PRESSURE_HOLD_MS: look again then, to step back up.
    window.clearTimeout(this.expiryTimer);
    if (expiring) this.expiryTimer = window.setTimeout(() => this.flush(), PRESSURE_HOLD_MS / 2);
  }

  private recordDefaults(): void {
    const d = this.defaults;
    this.stats().defaults = { video: VideoDefault[d.video] ?? String(d.video), maxHeight: d.videoMaxHeight, lastN: d.lastN, lastNMaxHeight: d.lastNMaxHeight };
  }
}
