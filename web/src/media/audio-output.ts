// Shared AudioContext plus one AudioWorklet playout node (with its own jitter buffer) per peer.
import workletUrl from './playout-worklet.ts?worker&url';
import { PLAYOUT_SAMPLE_RATE } from './audio-receiver';
import type { PlayoutStats } from './playout-worklet';

export interface PeerAudioPlayer {
  /** False while the context is suspended (autoplay policy) or the worklet is not loaded. */
  active(): boolean;
  push(samples: Float32Array): void;
  close(): void;
}

export class AudioOutput {
  readonly context: AudioContext;
  private loaded = false;
  private closed = false;
  private readonly ready: Promise<void>;

  constructor() {
    this.context = new AudioContext({ sampleRate: PLAYOUT_SAMPLE_RATE, latencyHint: 'interactive' });
    this.ready = this.context.audioWorklet.addModule(workletUrl).then(() => {
      this.loaded = true;
    });
    this.ready.catch((error) => {
      if (!this.closed) console.error('audio worklet failed to load', error);
    });
  }

  /** True when the browser blocks playback until a user gesture (autoplay policy). */
  get blocked(): boolean {
    return this.context.state === 'suspended';
  }

  /**
   * Plays through this output device ("default" or null: the system's). Only where the browser has
   * AudioContext.setSinkId (the choice is hidden elsewhere); a failure keeps the current device.
   */
  setSpeaker(deviceId: string | null): void {
    const context = this.context as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    if (!context.setSinkId) return;
    context.setSinkId(deviceId === null || deviceId === 'default' ? '' : deviceId).catch((error: unknown) => {
      console.warn(`could not switch the speaker: ${String(error)}`);
    });
  }

  resume(): Promise<void> {
    return this.context.resume();
  }

  createPlayer(onStats: (stats: PlayoutStats) => void): PeerAudioPlayer {
    let node: AudioWorkletNode | null = null;
    let closed = false;
    this.ready
      .then(() => {
        if (closed) return;
        node = new AudioWorkletNode(this.context, 'vc-playout', { numberOfInputs: 0, outputChannelCount: [1] });
        node.connect(this.context.destination);
        node.port.onmessage = (event: MessageEvent<PlayoutStats>) => onStats(event.data);
      })
      .catch(() => {});
    return {
      active: () => this.loaded && node !== null && this.context.state === 'running',
      push: (samples) => node?.port.postMessage(samples, [samples.buffer]),
      close: () => {
        closed = true;
        node?.disconnect();
        node?.port.close();
        node = null;
      },
    };
  }

  close(): void {
    this.closed = true;
    this.context.close().catch(() => {});
  }
}
