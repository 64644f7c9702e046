// One encoding of a video track: a WebCodecs VideoEncoder at a fixed size (Chromium scales the
// captured frame itself, which measured cheapest: no main-thread work, where OffscreenCanvas or
// createImageBitmap scaling cost 1.7-1.8 ms per 360p frame and 34-70 ms per 720p frame on a loaded
// 2-core machine), its own keyframes, sequence numbers and skip accounting.
import { Codec, MediaKind, type HeaderFields } from '../protocol';
import { newEncodingStats, type EncodingStats } from '../stats';
import { TemporalDropState, type EncodingSpec } from './simulcast';

export interface ChosenCodec {
  codec: Codec;
  /** Base configuration (codec string, latency mode, scalability); size and bitrate come per encoding. */
  config: VideoEncoderConfig;
}

const CANDIDATES: Array<{ name: 'vp9' | 'vp8'; codec: Codec; string: string }> = [
  { name: 'vp9', codec: Codec.VP9, string: 'vp09.00.10.08' },
  { name: 'vp8', codec: Codec.VP8, string: 'vp8' },
];

/** First supported codec for `spec`, preferring L1T3 (temporal layers; also stops VP9's extra keyframes). */
export async function chooseCodec(preferred: 'vp9' | 'vp8', spec: EncodingSpec, contentHint?: string): Promise<ChosenCodec> {
  const ordered = [...CANDIDATES].sort((a, b) => Number(b.name === preferred) - Number(a.name === preferred));
  for (const candidate of ordered) {
    for (const scalabilityMode of ['L1T3', undefined]) {
      const config: VideoEncoderConfig = {
        codec: candidate.string,
        width: spec.width,
        height: spec.height,
        bitrate: spec.bitrate,
        framerate: spec.maxFps,
        latencyMode: 'realtime',
        ...(scalabilityMode ? { scalabilityMode } : {}),
        ...(contentHint ? { contentHint } : {}),
      };
      const support = await VideoEncoder.isConfigSupported(config).catch(() => null);
      if (support?.supported) return { codec: candidate.codec, config };
    }
  }
  throw new Error('This browser cannot encode VP9 or VP8 video');
}

/**
 * Transport backlog (bytes queued, all tracks together) above which a frame is not even encoded.
 * Skipping before the encoder keeps every reference intact: the stream just has fewer frames.
 * Higher encodings give way first (the limit is divided by spatial layer + 1).
 */
export const BACKLOG_SKIP_BYTES = 512 * 1024;
/**
 * Backlog above which an already encoded delta frame is dropped. Above BACKLOG_SKIP_BYTES plus the
 * largest envelope, so that one big keyframe (a 1080p screen) never makes the frames after it drop.
 */
export const BACKLOG_DROP_BYTES = BACKLOG_SKIP_BYTES + (1 << 20);
/** Frames waiting inside one encoder before the next captured frame is skipped. */
export const MAX_ENCODE_QUEUE = 2;
/** Room for the media header and envelope framing when checking max_envelope_bytes. */
const ENVELOPE_OVERHEAD_BYTES = 256;

export interface EncodingContext {
  trackId: number;
  kind: MediaKind;
  keyframeIntervalMs: number;
  send(header: Partial<HeaderFields>, payload: Uint8Array): void;
  backlogBytes(): number;
  /** Largest envelope the server accepts (JoinAccepted.max_envelope_bytes). */
  maxEnvelopeBytes(): number;
  /** Capture clock to wall clock, microseconds (capture_time_us). */
  captureToWallUs(): number;
  onEncoded(latencyMs: number): void;
  onBusySkip(): void;
  onError(message: string): void;
}

export class VideoEncoding {
  readonly stats: EncodingStats;
  private encoder: VideoEncoder | null = null;
  private forceKeyframe = true;
  private lastKeyframeAt = -Infinity;
  private sequence = 0;
  private bitrate: number;
  private readonly drops = new TemporalDropState();
  /** encode() time per frame timestamp, for the encode latency (bounded: entries leave on output). */
  private readonly pending = new Map<number, number>();
  private latencySumMs = 0;
  private latencyCount = 0;
  /** Test hook: replace the next frame with an undecodable "keyframe" to exercise receivers' recovery. */
  sendCorruptFrameNext = false;

  constructor(readonly spec: EncodingSpec, private readonly chosen: ChosenCodec, private readonly context: EncodingContext) {
    this.stats = newEncodingStats(context.trackId, spec.spatialLayer, spec.width, spec.height);
    this.bitrate = spec.bitrate;
    this.configure();
  }

  /** The next frame of this encoding is a keyframe (KeyframeRequest naming this spatial layer). */
  requestKeyframe(): void {
    this.forceKeyframe = true;
  }

  /** Encodes `frame` (any size: the encoder scales it) unless the transport or encoder is behind. */
  encode(frame: VideoFrame): void {
    if (!this.encoder || this.encoder.state === 'closed') this.configure();
    if (!this.encoder) return;
    if (this.context.backlogBytes() > BACKLOG_SKIP_BYTES / (1 + this.spec.spatialLayer)) {
      this.stats.skippedBacklog++;
      return;
    }
    if (this.encoder.encodeQueueSize > MAX_ENCODE_QUEUE) {
      this.stats.skippedEncoderBusy++;
      this.context.onBusySkip();
      return;
    }
    const now = performance.now();
    const keyFrame = this.forceKeyframe || now - this.lastKeyframeAt >= this.context.keyframeIntervalMs;
    if (keyFrame) {
      this.forceKeyframe = false;
      this.lastKeyframeAt = now;
    }
    if (this.pending.size > 64) this.pending.clear(); // an encoder that never answers must not grow this
    this.pending.set(frame.timestamp, now);
    this.encoder.encode(frame, { keyFrame });
  }

  /** Mean encode latency since the last call (the stats show it; the governor gets every sample). */
  takeEncodeLatency(): number {
    const mean = this.latencyCount > 0 ? this.latencySumMs / this.latencyCount : 0;
    this.latencySumMs = this.latencyCount = 0;
    this.stats.encodeMs = Math.round(mean * 10) / 10;
    return mean;
  }

  close(): void {
    this.stats.active = false;
    const encoder = this.encoder;
    this.encoder = null;
    if (encoder && encoder.state !== 'closed') encoder.close();
  }

  private configure(): void {
    const encoder = new VideoEncoder({
      output: (chunk, metadata) => this.onOutput(encoder, chunk, metadata),
      error: (error) => {
        this.context.onError(`Video encoder error (${this.spec.width}x${this.spec.height}): ${error.message}`);
        if (this.encoder === encoder) this.encoder = null; // recreated on the next frame
      },
    });
    try {
      encoder.configure({ ...this.chosen.config, width: this.spec.width, height: this.spec.height, bitrate: this.bitrate, framerate: this.spec.maxFps });
    } catch (error) {
      this.context.onError(`Cannot encode ${this.spec.width}x${this.spec.height}: ${String(error)}`);
      return;
    }
    this.encoder = encoder;
    this.forceKeyframe = true;
  }

  private onOutput(encoder: VideoEncoder, chunk: EncodedVideoChunk, metadata?: EncodedVideoChunkMetadata): void {
    if (this.encoder !== encoder) return; // output of an encoder we replaced or closed
    const startedAt = this.pending.get(chunk.timestamp);
    if (startedAt !== undefined) {
      this.pending.delete(chunk.timestamp);
      const latency = performance.now() - startedAt;
      this.latencySumMs += latency;
      this.latencyCount++;
      this.context.onEncoded(latency);
    }
    const keyframe = chunk.type === 'key';
    const temporalLayer = metadata?.svc?.temporalLayerId ?? 0;
    if (chunk.byteLength + ENVELOPE_OVERHEAD_BYTES > this.context.maxEnvelopeBytes()) {
      // The server closes a connection that sends a larger envelope: never send it. Lower the
      // bitrate so the next keyframe fits (text-heavy screens make the largest keyframes).
      this.stats.skippedOversize++;
      this.drop(temporalLayer, keyframe);
      this.bitrate = Math.max(100_000, Math.round(this.bitrate * 0.6));
      this.encoder = null;
      encoder.close();
      this.configure();
      return;
    }
    if (this.drops.mustDrop(temporalLayer, keyframe)) {
      this.stats.skippedBacklog++;
      return;
    }
    if (!keyframe && this.context.backlogBytes() > BACKLOG_DROP_BYTES) {
      this.stats.skippedBacklog++;
      this.drop(temporalLayer, keyframe);
      return;
    }
    let payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    let flaggedKeyframe = keyframe;
    if (this.sendCorruptFrameNext) {
      this.sendCorruptFrameNext = false;
      payload = new Uint8Array(64); // all zeros: not a valid VP8/VP9 frame header
      flaggedKeyframe = true;
    }
    this.sequence = (this.sequence + 1) >>> 0;
    this.context.send(
      {
        kind: this.context.kind,
        trackId: this.context.trackId,
        sequence: this.sequence,
        captureTimeUs: BigInt(Math.round(chunk.timestamp + this.context.captureToWallUs())),
        keyframe: flaggedKeyframe,
        temporalLayer,
        spatialLayer: this.spec.spatialLayer,
        codec: this.chosen.codec,
        width: this.spec.width,
        height: this.spec.height,
      },
      payload,
    );
    const stats = this.stats;
    stats.framesSent++;
    stats.bytesSent += payload.byteLength;
    if (temporalLayer < stats.temporalLayers.length) stats.temporalLayers[temporalLayer]!++;
    if (keyframe) {
      stats.keyframesSent++;
      stats.largestKeyframeBytes = Math.max(stats.largestKeyframeBytes, payload.byteLength);
    }
  }

  /** Drops an encoded frame; a lost reference frame needs a keyframe (taken once the backlog allows). */
  private drop(temporalLayer: number, keyframe: boolean): void {
    if (this.drops.dropped(temporalLayer, keyframe)) this.forceKeyframe = true;
  }
}
