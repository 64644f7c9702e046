// Packet loss from the media header's per-track sequence numbers (PROTOCOL.md §2): a gap of a few
// numbers is loss (dropped by a queue on the way); a long gap is a pause (muted, not forwarded in a
// large room) and is not counted. Reordering cannot happen on one stream, so a lower number is a
// restart (a new sender session) and starts counting afresh.
import { LOSS_MAX_GAP_PACKETS } from './thresholds';

export class LossCounter {
  received = 0;
  lost = 0;
  private last: number | null = null;

  note(sequence: number): void {
    this.received++;
    const last = this.last;
    this.last = sequence >>> 0;
    if (last === null) return;
    const gap = ((sequence - last) >>> 0) - 1; // packets missing in between (wraps at 2^32)
    if (gap > 0 && gap <= LOSS_MAX_GAP_PACKETS) this.lost += gap;
  }

  /** After a pause the receiver knows nothing is missing (a new sender or a re-subscription). */
  restart(): void {
    this.last = null;
  }
}

/** Share of packets lost between two (received, lost) readings; null when nothing was expected. */
export function lossBetween(before: { received: number; lost: number }, after: { received: number; lost: number }): number | null {
  const received = after.received - before.received;
  const lost = after.lost - before.lost;
  return received + lost > 0 ? lost / (received + lost) : null;
}
