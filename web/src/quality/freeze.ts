// Video freezes, counted when a frame is drawn late: the gap since the previous frame exceeds
// max(FREEZE_INTERVAL_FACTOR x the average interval, the average + FREEZE_EXTRA_MS). Gaps over
// FREEZE_PAUSE_MS are pauses (camera off, tile off screen) and reset the average instead.
import { FREEZE_EXTRA_MS, FREEZE_INTERVAL_FACTOR, FREEZE_PAUSE_MS } from './thresholds';

/** Weight of the newest interval in the running average. */
const AVERAGE_WEIGHT = 1 / 16;
/** Intervals needed before the average is trusted. */
const WARMUP_FRAMES = 5;

export class FreezeDetector {
  freezes = 0;
  private lastAt: number | null = null;
  private average = 0;
  private intervals = 0;

  /** A frame was drawn at `now` (ms); returns true when the wait for it was a freeze. */
  frame(now: number): boolean {
    const last = this.lastAt;
    this.lastAt = now;
    if (last === null) return false;
    const gap = now - last;
    if (gap > FREEZE_PAUSE_MS) {
      this.intervals = 0;
      this.average = 0;
      return false;
    }
    const frozen =
      this.intervals >= WARMUP_FRAMES && gap > Math.max(FREEZE_INTERVAL_FACTOR * this.average, this.average + FREEZE_EXTRA_MS);
    if (frozen) {
      this.freezes++;
      return true; // a freeze does not stretch the average
    }
    this.average = this.intervals === 0 ? gap : this.average + (gap - this.average) * AVERAGE_WEIGHT;
    this.intervals++;
    return false;
  }
}
