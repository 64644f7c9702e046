// Capture clock helpers shared by the senders (devices are opened by local-media.ts).

/** Wall-clock now in microseconds since the Unix epoch (capture_time_us). */
export function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
