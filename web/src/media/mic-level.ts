// Microphone level for the pre-join meter: reads a clone of the track (so stopping the meter never
// touches the track that will be sent) through MediaStreamTrackProcessor, which needs no
// AudioContext and so works before any click (autoplay policy).

/** RMS of one chunk mapped to 0..1 on a -60..0 dBFS scale (speech sits around 0.5-0.8). */
export function levelOf(samples: Float32Array): number {
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  if (rms <= 0) return 0;
  return Math.min(1, Math.max(0, (20 * Math.log10(rms) + 60) / 60));
}

export class MicLevelMeter {
  private readonly clone: MediaStreamTrack;
  private stopped = false;
  private level = 0;
  private frame = 0;

  constructor(private readonly track: MediaStreamTrack, private readonly onLevel: (level: number) => void) {
    this.clone = track.clone();
    void this.read();
    this.frame = requestAnimationFrame(() => this.draw());
  }

  stop(): void {
    this.stopped = true;
    cancelAnimationFrame(this.frame);
    this.clone.stop();
    this.onLevel(0);
  }

  private async read(): Promise<void> {
    if (typeof MediaStreamTrackProcessor === 'undefined') return;
    const reader = new MediaStreamTrackProcessor<AudioData>({ track: this.clone }).readable.getReader();
    let samples = new Float32Array(0);
    while (!this.stopped) {
      const { value: data, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !data) break;
      if (samples.length !== data.numberOfFrames) samples = new Float32Array(data.numberOfFrames);
      data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
      data.close();
      // Fast attack, slow release: the bar follows speech without flickering.
      const now = this.track.enabled ? levelOf(samples) : 0; // muted: the clone still hears, the call does not
      this.level = now > this.level ? now : this.level * 0.9 + now * 0.1;
    }
    reader.cancel().catch(() => {});
  }

  private draw(): void {
    if (this.stopped) return;
    this.onLevel(this.level);
    this.frame = requestAnimationFrame(() => this.draw());
  }
}
