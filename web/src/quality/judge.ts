// Connection quality as a person reads it: good, fair or poor, from round-trip time, packet loss,
// frame rate against the expected rate, and video freezes. Pure (no DOM, no clock): the monitor
// feeds it one sample a second, the unit tests feed it sequences.
import {
  FPS_FAIR_RATIO,
  FPS_POOR_RATIO,
  FREEZES_FAIR,
  FREEZES_POOR,
  LOSS_FAIR,
  LOSS_POOR,
  QUALITY_DEGRADE_SAMPLES,
  QUALITY_RECOVER_MARGIN,
  QUALITY_RECOVER_SAMPLES,
  RTT_FAIR_MS,
  RTT_POOR_MS,
} from './thresholds';

export type QualityLevel = 'good' | 'fair' | 'poor';

/** One measurement; null where it does not apply (no video expected, no audio received yet). */
export interface QualitySample {
  rttMs: number | null;
  /** Share of packets missing in the judging window, 0..1. */
  loss: number | null;
  /** Frames drawn (or sent) per second, and what the sender aims for. */
  fps: number | null;
  expectedFps: number | null;
  /** Freezes within the judging window. */
  freezes: number;
}

const RANK: Record<QualityLevel, number> = { good: 0, fair: 1, poor: 2 };
const worst = (a: QualityLevel, b: QualityLevel): QualityLevel => (RANK[a] >= RANK[b] ? a : b);

/** A "higher is worse" metric against its two thresholds, scaled by `margin` (1 = as configured). */
function above(value: number | null, fair: number, poor: number, margin: number): QualityLevel {
  if (value === null || !Number.isFinite(value)) return 'good';
  if (value >= poor * margin) return 'poor';
  if (value >= fair * margin) return 'fair';
  return 'good';
}

/** Each metric's level (with thresholds scaled by `margin`) and its cause in words. */
function metricLevels(sample: QualitySample, margin: number): [QualityLevel, string][] {
  const levels: [QualityLevel, string][] = [
    [above(sample.rttMs, RTT_FAIR_MS, RTT_POOR_MS, margin), 'long delay to the server'],
    [above(sample.loss, LOSS_FAIR, LOSS_POOR, margin), 'lost audio'],
    [above(sample.freezes, FREEZES_FAIR, FREEZES_POOR, margin), 'video freezes'],
  ];
  if (sample.fps !== null && sample.expectedFps) {
    // Lower is worse: compare the shortfall (1 - ratio) against (1 - threshold).
    const shortfall = 1 - Math.min(1, sample.fps / sample.expectedFps);
    levels.push([above(shortfall, 1 - FPS_FAIR_RATIO, 1 - FPS_POOR_RATIO, margin), 'low frame rate']);
  }
  return levels;
}

/**
 * The level a sample shows on its own: its worst metric. `margin` < 1 makes every threshold
 * stricter: the judge uses it to decide whether a sample is clearly better than the level shown.
 */
export function qualityLevel(sample: QualitySample, margin = 1): QualityLevel {
  return metricLevels(sample, margin).reduce<QualityLevel>((level, [metric]) => worst(level, metric), 'good');
}

/** What makes a sample worse than good, in words for the details panel (worst first). */
export function qualityCauses(sample: QualitySample): string[] {
  return metricLevels(sample, 1)
    .filter(([level]) => level !== 'good')
    .sort((a, b) => RANK[b[0]] - RANK[a[0]])
    .map(([, cause]) => cause);
}

/** The shown level with hysteresis (see QUALITY_DEGRADE_SAMPLES and QUALITY_RECOVER_SAMPLES). */
export class QualityJudge {
  private current: QualityLevel | null = null;
  private worseStreak = 0;
  private betterStreak = 0;

  /** Null until the first sample. */
  get level(): QualityLevel | null {
    return this.current;
  }

  update(sample: QualitySample): QualityLevel {
    const raw = qualityLevel(sample);
    if (this.current === null) return (this.current = raw);
    if (RANK[raw] > RANK[this.current]) {
      this.betterStreak = 0;
      if (++this.worseStreak >= QUALITY_DEGRADE_SAMPLES) {
        this.current = raw;
        this.worseStreak = 0;
      }
      return this.current;
    }
    this.worseStreak = 0;
    const clearly = qualityLevel(sample, QUALITY_RECOVER_MARGIN);
    if (RANK[clearly] < RANK[this.current]) {
      if (++this.betterStreak >= QUALITY_RECOVER_SAMPLES) {
        this.current = clearly;
        this.betterStreak = 0;
      }
    } else {
      this.betterStreak = 0;
    }
    return this.current;
  }

  reset(): void {
    this.current = null;
    this.worseStreak = 0;
    this.betterStreak = 0;
  }
}
