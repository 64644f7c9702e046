// Microphone level for the pre-join meter: reads a clone of the track (so stopping the meter never
// touches the track that will be sent) through the track reader: MediaStreamTrackProcessor where it
// exists (no AudioContext, so it works before any click), else the AudioWorklet replacement (whose
// AudioContext may start, autoplay policy permitting, because the page captures the microphone).
import { audioCaptureMethod, readAudioTrack, type TrackReader } from './track-reader';

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
  private reader: TrackReader<AudioData> | null = null;

  constructor(private readonly track: MediaStreamTrack, private readonly onLevel: (level: number) => void) {
    this.clone = track.clone();
    void this.read();
    this.frame = requestAnimationFrame(() => this.draw());
  }

  stop(): void {
    this.stopped = true;
    cancelAnimationFrame(this.frame);
    this.reader?.cancel().catch(() => {}); // a stopped track ends no replacement reader by itself
    this.clone.stop();
    this.onLevel(0);
  }

  private async read(): Promise<void> {
    if (audioCaptureMethod() === null) return;
    const reader = (this.reader = readAudioTrack(this.clone));
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
