// AudioWorklet playout for one peer: a small adaptive jitter buffer in front of the audio clock.
// Prebuffers to the target before playing, trims back to the target when twice as deep (latency
// creep), and on underrun fades out, outputs silence and prebuffers again. Each underrun raises the
// target by 20 ms (up to 120 ms); 10 s without one lowers it by 10 ms (down to 60 ms).
const ms = (milliseconds: number) => Math.round((sampleRate * milliseconds) / 1000);
const MIN_TARGET = ms(60);
const MAX_TARGET = ms(120);
const TARGET_STEP_UP = ms(20);
const TARGET_STEP_DOWN = ms(10);
const CALM_SAMPLES = ms(10_000);
const CAPACITY = ms(500);
const STATS_EVERY_BLOCKS = 200; // 128-sample blocks: about every 0.53 s at 48 kHz

/** Posted to the main thread for window.__vc. */
export interface PlayoutStats {
  bufferedMs: number;
  underruns: number;
  trimmedMs: number;
  playedMs: number;
  targetMs: number;
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
  private target = MIN_TARGET;
  private calmSamples = 0;

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
    if (this.size > 2 * this.target) {
      this.trimmedSamples += this.size - this.target;
      this.skip(this.size - this.target);
    }
  }

  private skip(count: number): void {
    this.readIndex = (this.readIndex + count) % CAPACITY;
    this.size -= count;
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]![0]!;
    if (!this.playing && this.size >= this.target) this.playing = true;
    let i = 0;
    if (this.playing) {
      for (; i < out.length && this.size > 0; i++) {
        out[i] = this.ring[this.readIndex]!;
        this.readIndex = (this.readIndex + 1) % CAPACITY;
        this.size--;
      }
      this.lastSample = i > 0 ? out[i - 1]! : this.lastSample;
      this.playedSamples += i;
      this.calmSamples += i;
      if (i < out.length) {
        this.playing = false; // underrun: conceal below, then prebuffer again
        this.underruns++;
        this.target = Math.min(MAX_TARGET, this.target + TARGET_STEP_UP);
        this.calmSamples = 0;
      } else if (this.calmSamples >= CALM_SAMPLES) {
        this.target = Math.max(MIN_TARGET, this.target - TARGET_STEP_DOWN);
        this.calmSamples = 0;
      }
    }
    // Concealment: decay the last sample to zero instead of a hard click, then silence.
    for (; i < out.length; i++) {
      this.lastSample *= 0.9;
      out[i] = this.lastSample;
    }
    if (++this.blocks % STATS_EVERY_BLOCKS === 0) {
      const toMs = (samples: number) => Math.round((samples * 1000) / sampleRate);
      const stats: PlayoutStats = {
        bufferedMs: toMs(this.size),
        underruns: this.underruns,
        trimmedMs: toMs(this.trimmedSamples),
        playedMs: toMs(this.playedSamples),
        targetMs: toMs(this.target),
      };
      this.port.postMessage(stats);
    }
    return true;
  }
}

registerProcessor('vc-playout', PlayoutProcessor);
