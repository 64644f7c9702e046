// Microphone track -> track reader (MediaStreamTrackProcessor, or an AudioWorklet where there is
// none) -> AudioEncoder (Opus, 20 ms) -> media envelopes.
import { Codec, MediaKind, type HeaderFields } from '../protocol';
import { wallClockUs } from './capture';
import { readAudioTrack, type TrackReader } from './track-reader';

export interface AudioSenderOptions {
  /** MediaHeader.track_id: 1 for the microphone, 4 for screen audio. */
  trackId: number;
  bitrate: number;
  send(header: Partial<HeaderFields>, payload: Uint8Array): void;
  onSent(): void;
  onError(message: string): void;
}

/** RMS of the first channel as -dBov in 0 (loudest) .. 127 (silence), as RFC 6464. */
function audioLevel(data: AudioData): number {
  const samples = new Float32Array(data.numberOfFrames);
  data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
  let sum = 0;
  for (const sample of samples) sum += sample * sample;
  const rms = Math.sqrt(sum / Math.max(1, samples.length));
  if (rms <= 0) return 127;
  return Math.min(127, Math.max(0, Math.round(-20 * Math.log10(rms))));
}

export class AudioSender {
  enabled = true;
  private encoder: AudioEncoder | null = null;
  private reader: TrackReader<AudioData> | null = null;
  private stopped = false;
  private sequence = 0;
  private level = 127;
  private sampleRate = 0;
  private channels = 0;
  // Offset from the capture clock to the wall clock. The smallest offset seen is the one least
  // inflated by processing delay; recomputing it per frame would let a later frame's offset be
  // applied to an earlier chunk and make capture times jitter or run backwards.
  private captureToWallUs: number | null = null;

  constructor(private track: MediaStreamTrack, private readonly options: AudioSenderOptions) {}

  /** Reads until stop() or until the current track ends by itself; setTrack switches tracks. */
  async run(): Promise<void> {
    this.setTrack(this.track);
    while (!this.stopped) {
      const reader = this.reader;
      if (!reader) break;
      const { value: data, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !data) {
        if (reader !== this.reader) continue; // replaced by setTrack: read the new one
        break;
      }
      try {
        this.handleData(data);
      } finally {
        data.close();
      }
    }
  }

  /**
   * Switches the microphone without a new encoder: Opus frames are independent, so receivers hear
   * the new device from its first packet. A different sample rate or channel count reconfigures.
   */
  setTrack(track: MediaStreamTrack): void {
    this.reader?.cancel().catch(() => {});
    this.track = track;
    if (this.stopped) return;
    try {
      this.reader = readAudioTrack(track);
    } catch (error) {
      this.reader = null;
      this.options.onError(error instanceof Error ? error.message : String(error));
    }
    this.captureToWallUs = null; // a new capture track may start a new timestamp base
  }

  stop(): void {
    this.stopped = true;
    this.reader?.cancel().catch(() => {});
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
  }

  private handleData(data: AudioData): void {
    if (!this.enabled || this.stopped) return;
    if (!this.encoder || this.encoder.state === 'closed' || data.sampleRate !== this.sampleRate || data.numberOfChannels !== this.channels) {
      this.configure(data);
    }
    if (!this.encoder) return;
    this.level = audioLevel(data);
    const offsetUs = wallClockUs() - data.timestamp;
    if (this.captureToWallUs === null || offsetUs < this.captureToWallUs) this.captureToWallUs = offsetUs;
    this.encoder.encode(data);
  }

  private configure(data: AudioData): void {
    this.captureToWallUs = null; // a new capture track may start a new timestamp base
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.sampleRate = data.sampleRate;
    this.channels = data.numberOfChannels;
    try {
      // Inside the try: a browser without AudioEncoder throws here (capabilities.ts tells the user).
      const encoder = new AudioEncoder({
        output: (chunk) => this.onEncoded(chunk),
        error: (error) => {
          this.options.onError(`Audio encoder error: ${error.message}`);
          this.encoder = null;
        },
      });
      encoder.configure({
        codec: 'opus',
        sampleRate: data.sampleRate,
        numberOfChannels: data.numberOfChannels,
        bitrate: this.options.bitrate,
        opus: { frameDuration: 20_000, useinbandfec: true },
      } as AudioEncoderConfig);
      this.encoder = encoder;
    } catch (error) {
      this.options.onError(`Cannot encode audio: ${String(error)}`);
      this.stopped = true;
    }
  }

  private onEncoded(chunk: EncodedAudioChunk): void {
    if (this.stopped) return;
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    this.sequence = (this.sequence + 1) >>> 0;
    this.options.send(
      {
        kind: MediaKind.AUDIO,
        trackId: this.options.trackId,
        sequence: this.sequence,
        captureTimeUs: BigInt(Math.round(chunk.timestamp + (this.captureToWallUs ?? 0))),
        keyframe: true,
        audioLevel: this.level,
        codec: Codec.OPUS,
      },
      payload,
    );
    this.options.onSent();
  }
}
