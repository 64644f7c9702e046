// AudioWorklet playout for one peer: a small jitter buffer in front of the audio clock.
// Prebuffers to TARGET before playing, trims back to TARGET when deeper than MAX (latency creep),
// and on underrun fades out, outputs silence and prebuffers again.
const TARGET_SAMPLES = Math.round(sampleRate * 0.06);
const MAX_SAMPLES = Math.round(sampleRate * 0.12);
const CAPACITY = Math.round(sampleRate * 0.5);
const STATS_EVERY_BLOCKS = 200; // 128-sample blocks: about every 0.53 s at 48 kHz

/** Posted to the main thread for window.__vc. */
export interface PlayoutStats {
  bufferedMs: number;
  underruns: number;
  trimmedMs: number;
  playedMs: number;
}

class PlayoutProcessor extends AudioWorkletProcessor {
  private readonly ring = new Float32Array(CAPACITY);
  private readIndex = 0;
  private size = 0;
  private playing = false;
  private lastSample = 0;
  private underruns = 0;
  private trimmedSamples = 0;
  private playedSamples = 0;
  private blocks = 0;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<Float32Array>) => this.write(event.data);
  }

  private write(samples: Float32Array): void {
    for (const sample of samples) {
      if (this.size === CAPACITY) this.skip(1);
      this.ring[(this.readIndex + this.size) % CAPACITY] = sample;
      this.size++;
    }
    if (this.size > MAX_SAMPLES) {
      this.trimmedSamples += this.size - TARGET_SAMPLES;
      this.skip(this.size - TARGET_SAMPLES);
    }
  }

  private skip(count: number): void {
    this.readIndex = (this.readIndex + count) % CAPACITY;
    this.size -= count;
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]![0]!;
    if (!this.playing && this.size >= TARGET_SAMPLES) this.playing = true;
    let i = 0;
    if (this.playing) {
      for (; i < out.length && this.size > 0; i++) {
        out[i] = this.ring[this.readIndex]!;
        this.readIndex = (this.readIndex + 1) % CAPACITY;
        this.size--;
      }
      this.lastSample = i > 0 ? out[i - 1]! : this.lastSample;
      this.playedSamples += i;
      if (i < out.length) {
        this.playing = false; // underrun: conceal below, then prebuffer again
        this.underruns++;
      }
    }
    // Concealment: decay the last sample to zero instead of a hard click, then silence.
    for (; i < out.length; i++) {
      this.lastSample *= 0.9;
      out[i] = this.lastSample;
    }
    if (++this.blocks % STATS_EVERY_BLOCKS === 0) {
      const ms = (samples: number) => Math.round((samples * 1000) / sampleRate);
      const stats: PlayoutStats = {
        bufferedMs: ms(this.size),
        underruns: this.underruns,
        trimmedMs: ms(this.trimmedSamples),
        playedMs: ms(this.playedSamples),
      };
      this.port.postMessage(stats);
    }
    return true;
  }
}

registerProcessor('vc-playout', PlayoutProcessor);
