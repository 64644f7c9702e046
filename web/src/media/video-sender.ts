// Camera track -> MediaStreamTrackProcessor (main thread: Chromium has no processor in workers)
// -> WebCodecs VideoEncoder -> one media envelope per encoded frame.
import { Codec, MediaKind, type HeaderFields } from '../protocol';
import { wallClockUs } from './capture';

export interface VideoSenderOptions {
  /** Preferred codec; VP9 falls back to VP8 when the browser cannot encode it. */
  preferred: 'vp9' | 'vp8';
  bitrate: number;
  frameRate: number;
  keyframeIntervalMs: number;
  send(header: Partial<HeaderFields>, payload: Uint8Array): void;
  /** Bytes already queued on the transport; above the limit video is dropped up to a keyframe. */
  backlogBytes(): number;
  onSent(keyframe: boolean): void;
  onDropped(): void;
  onError(message: string): void;
}

interface ChosenCodec {
  codec: Codec;
  config: VideoEncoderConfig;
}

const CANDIDATES: Array<{ name: 'vp9' | 'vp8'; codec: Codec; string: string }> = [
  { name: 'vp9', codec: Codec.VP9, string: 'vp09.00.10.08' },
  { name: 'vp8', codec: Codec.VP8, string: 'vp8' },
];
const MAX_BACKLOG_BYTES = 512 * 1024;
const MAX_ENCODE_QUEUE = 3;

/** Finds the first supported codec, preferring temporal layers (L1T3) which also stop VP9's extra keyframes. */
async function chooseCodec(options: VideoSenderOptions, width: number, height: number): Promise<ChosenCodec> {
  const ordered = [...CANDIDATES].sort((a, b) => Number(b.name === options.preferred) - Number(a.name === options.preferred));
  for (const candidate of ordered) {
    for (const scalabilityMode of ['L1T3', undefined]) {
      const config: VideoEncoderConfig = {
        codec: candidate.string,
        width,
        height,
        bitrate: options.bitrate,
        framerate: options.frameRate,
        latencyMode: 'realtime',
        ...(scalabilityMode ? { scalabilityMode } : {}),
      };
      const support = await VideoEncoder.isConfigSupported(config).catch(() => null);
      if (support?.supported) return { codec: candidate.codec, config };
    }
  }
  throw new Error('This browser cannot encode VP9 or VP8 video');
}

export class VideoSender {
  enabled = true;
  codec: Codec | null = null;
  private encoder: VideoEncoder | null = null;
  private chosen: ChosenCodec | null = null;
  private reader: ReadableStreamDefaultReader<VideoFrame> | null = null;
  private stopped = false;
  private forceKeyframe = true;
  private dropUntilKeyframe = false;
  private lastKeyframeAt = 0;
  private sequence = 0;
  // Offset from the capture clock to the wall clock. The smallest offset seen is the one least
  // inflated by processing delay; recomputing it per frame would let a later frame's offset be
  // applied to an earlier chunk and make capture times jitter or run backwards.
  private captureToWallUs: number | null = null;
  private width = 0;
  private height = 0;

  constructor(private readonly track: MediaStreamTrack, private readonly options: VideoSenderOptions) {}

  /** Starts reading frames; resolves when the read loop ends (track ended or stop()). */
  async run(): Promise<void> {
    const processor = new MediaStreamTrackProcessor<VideoFrame>({ track: this.track, maxBufferSize: 2 });
    this.reader = processor.readable.getReader();
    while (!this.stopped) {
      const { value: frame, done } = await this.reader.read().catch(() => ({ value: undefined, done: true }));
      if (done || !frame) break;
      try {
        await this.handleFrame(frame);
      } finally {
        frame.close();
      }
    }
  }

  /** Test hook: replace the next frame with an undecodable "keyframe" to exercise receivers' recovery. */
  sendCorruptFrameNext = false;

  /** Next encoded frame is a keyframe (KeyframeRequest from the server, or a new peer joined). */
  requestKeyframe(): void {
    this.forceKeyframe = true;
  }

  stop(): void {
    this.stopped = true;
    this.reader?.cancel().catch(() => {});
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
    this.captureToWallUs = null; // a new capture track may start a new timestamp base
  }

  private async handleFrame(frame: VideoFrame): Promise<void> {
    if (!this.enabled || this.stopped) return;
    // displayWidth/Height describe the visible rectangle (the fake camera delivers 640x480 coded
    // frames with a 640x360 visibleRect); the encoder scales/crops from visibleRect itself.
    const width = frame.displayWidth & ~1;
    const height = frame.displayHeight & ~1;
    if (!this.encoder || this.encoder.state === 'closed' || width !== this.width || height !== this.height) {
      await this.configure(width, height);
      if (!this.encoder || this.stopped) return;
    }
    if (this.encoder.encodeQueueSize > MAX_ENCODE_QUEUE) return; // encoder is behind: skip, refs stay valid
    const now = performance.now();
    const keyFrame = this.forceKeyframe || now - this.lastKeyframeAt >= this.options.keyframeIntervalMs;
    if (keyFrame) {
      this.forceKeyframe = false;
      this.lastKeyframeAt = now;
    }
    const offsetUs = wallClockUs() - frame.timestamp;
    if (this.captureToWallUs === null || offsetUs < this.captureToWallUs) this.captureToWallUs = offsetUs;
    this.encoder.encode(frame, { keyFrame });
  }

  private async configure(width: number, height: number): Promise<void> {
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
    try {
      this.chosen ??= await chooseCodec(this.options, width, height);
    } catch (error) {
      this.options.onError(String(error instanceof Error ? error.message : error));
      this.stopped = true;
      return;
    }
    const encoder = new VideoEncoder({
      output: (chunk, metadata) => this.onEncoded(chunk, metadata),
      error: (error) => {
        this.options.onError(`Video encoder error: ${error.message}`);
        this.encoder = null; // recreated on the next frame
      },
    });
    encoder.configure({ ...this.chosen.config, width, height });
    this.encoder = encoder;
    this.codec = this.chosen.codec;
    this.width = width;
    this.height = height;
    this.forceKeyframe = true;
  }

  private onEncoded(chunk: EncodedVideoChunk, metadata?: EncodedVideoChunkMetadata): void {
    if (this.stopped || this.codec === null) return;
    const keyframe = chunk.type === 'key';
    if (keyframe) this.dropUntilKeyframe = false;
    if (!keyframe && (this.dropUntilKeyframe || this.options.backlogBytes() > MAX_BACKLOG_BYTES)) {
      // Receivers would decode garbage after a dropped reference frame: drop up to a keyframe.
      this.dropUntilKeyframe = true;
      this.forceKeyframe = true;
      this.options.onDropped();
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
    this.options.send(
      {
        kind: MediaKind.VIDEO,
        trackId: 0,
        sequence: this.sequence,
        captureTimeUs: BigInt(Math.round(chunk.timestamp + (this.captureToWallUs ?? 0))),
        keyframe: flaggedKeyframe,
        temporalLayer: metadata?.svc?.temporalLayerId ?? 0,
        codec: this.codec,
        width: this.width,
        height: this.height,
      },
      payload,
    );
    this.options.onSent(keyframe);
  }
}
