// One remote microphone stream: Opus AudioDecoder -> mono Float32 -> AudioWorklet playout.
import { Codec, toNumber, type HeaderFields } from '../protocol';
import type { PeerStats } from '../stats';
import type { PeerAudioPlayer } from './audio-output';

export const PLAYOUT_SAMPLE_RATE = 48_000;

export class AudioReceiver {
  private decoder: AudioDecoder | null = null;
  private closed = false;

  constructor(private readonly player: PeerAudioPlayer | null, private readonly stats: PeerStats) {}

  handle(header: HeaderFields, payload: Uint8Array): void {
    if (this.closed || header.codec !== Codec.OPUS) return;
    if (!this.decoder || this.decoder.state === 'closed') this.createDecoder();
    try {
      this.decoder!.decode(
        new EncodedAudioChunk({ type: 'key', timestamp: toNumber(header.captureTimeUs), data: payload }),
      );
    } catch {
      this.closeDecoder(); // recreated on the next packet; every Opus packet is independently decodable
    }
  }

  close(): void {
    this.closed = true;
    this.closeDecoder();
    this.player?.close();
  }

  private createDecoder(): void {
    const decoder = new AudioDecoder({
      output: (data) => this.play(data),
      error: () => {
        if (this.decoder === decoder) this.decoder = null;
      },
    });
    // Mono at 48 kHz whatever the publisher used: libopus downmixes/resamples while decoding.
    decoder.configure({ codec: 'opus', sampleRate: PLAYOUT_SAMPLE_RATE, numberOfChannels: 1 });
    this.decoder = decoder;
  }

  private closeDecoder(): void {
    const decoder = this.decoder;
    this.decoder = null;
    if (decoder && decoder.state !== 'closed') decoder.close();
  }

  private play(data: AudioData): void {
    try {
      if (this.closed) return;
      this.stats.audioFramesDecoded++;
      if (!this.player?.active()) return;
      const samples = new Float32Array(data.numberOfFrames);
      data.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
      this.player.push(samples);
    } finally {
      data.close();
    }
  }
}
