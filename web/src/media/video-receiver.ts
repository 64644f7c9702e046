// One remote camera stream: VideoDecoder (configured from header.codec) drawing into a canvas.
// Decoding only starts (and restarts after any error or sequence gap) at a keyframe; meanwhile a
// rate-limited KeyframeRequest goes to that publisher.
import { Codec, VIDEO_CODEC_STRINGS, VPX_COLOR_SPACE, codecName, toNumber, type HeaderFields } from '../protocol';
import type { PeerStats } from '../stats';

export interface VideoReceiverOptions {
  canvas: HTMLCanvasElement;
  stats: PeerStats;
  requestKeyframe(): void;
  /** A frame was drawn (the tile swaps its placeholder for the canvas). */
  onFrame(): void;
}

const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
const MAX_DECODE_QUEUE = 8;

export class VideoReceiver {
  private decoder: VideoDecoder | null = null;
  private codec: Codec | null = null;
  private needKeyframe = true;
  private lastSequence: number | null = null;
  private lastKeyframeRequestAt = -Infinity;
  private closed = false;
  private readonly context: CanvasRenderingContext2D | null;

  constructor(private readonly options: VideoReceiverOptions) {
    this.context = options.canvas.getContext('2d', { alpha: false });
  }

  handle(header: HeaderFields, payload: Uint8Array): void {
    if (this.closed) return;
    if (this.lastSequence !== null && header.sequence !== ((this.lastSequence + 1) >>> 0)) {
      this.needKeyframe = true; // a lost reference frame would corrupt every following delta
    }
    this.lastSequence = header.sequence;
    if (header.keyframe) this.options.stats.videoKeyframesReceived++;

    if (!this.decoder || this.decoder.state === 'closed' || this.codec !== header.codec) {
      if (!this.createDecoder(header.codec)) return;
    }
    if (this.decoder!.decodeQueueSize > MAX_DECODE_QUEUE) {
      this.restart(); // far behind: skip ahead to the next keyframe instead of growing latency
    }
    if (this.needKeyframe) {
      if (!header.keyframe) {
        this.maybeRequestKeyframe();
        return;
      }
      this.needKeyframe = false;
    }
    try {
      this.decoder!.decode(
        new EncodedVideoChunk({
          type: header.keyframe ? 'key' : 'delta',
          timestamp: toNumber(header.captureTimeUs),
          data: payload,
        }),
      );
    } catch {
      this.restart();
    }
  }

  /** Stops decoding for good. Safe to call twice; later packets and late decoder output are ignored. */
  close(): void {
    this.closed = true;
    this.closeDecoder();
  }

  private createDecoder(codec: Codec): boolean {
    this.closeDecoder();
    const codecString = VIDEO_CODEC_STRINGS[codec];
    if (!codecString) return false;
    const decoder = new VideoDecoder({
      output: (frame) => this.draw(frame),
      error: () => {
        // Only react to errors from the decoder still in use; close() never triggers this.
        if (this.closed || this.decoder !== decoder) return;
        this.decoder = null;
        this.options.stats.videoDecoderResets++;
        this.needKeyframe = true;
        this.maybeRequestKeyframe();
      },
    });
    // optimizeForLatency: software decoders otherwise hold back 1-2 frames.
    const vpx = codec === Codec.VP8 || codec === Codec.VP9;
    decoder.configure({ codec: codecString, optimizeForLatency: true, ...(vpx ? { colorSpace: VPX_COLOR_SPACE } : {}) });
    this.decoder = decoder;
    this.codec = codec;
    this.needKeyframe = true;
    this.options.stats.videoCodec = codecName(codec);
    return true;
  }

  private restart(): void {
    this.options.stats.videoDecoderResets++;
    if (this.codec !== null) this.createDecoder(this.codec);
    this.maybeRequestKeyframe();
  }

  private closeDecoder(): void {
    const decoder = this.decoder;
    this.decoder = null;
    if (decoder && decoder.state !== 'closed') decoder.close();
  }

  private maybeRequestKeyframe(): void {
    const now = performance.now();
    if (now - this.lastKeyframeRequestAt < KEYFRAME_REQUEST_INTERVAL_MS) return;
    this.lastKeyframeRequestAt = now;
    this.options.stats.keyframeRequestsSent++;
    this.options.requestKeyframe();
  }

  private draw(frame: VideoFrame): void {
    try {
      if (this.closed || !this.context) return;
      // Display size already reflects visibleRect and pixel aspect; drawImage(frame) reads only
      // the visible rectangle, so the coded padding never shows.
      const { canvas } = this.options;
      if (canvas.width !== frame.displayWidth || canvas.height !== frame.displayHeight) {
        canvas.width = frame.displayWidth;
        canvas.height = frame.displayHeight;
      }
      this.context.drawImage(frame, 0, 0, canvas.width, canvas.height);
      const stats = this.options.stats;
      stats.videoFramesDecoded++;
      stats.videoWidth = frame.displayWidth;
      stats.videoHeight = frame.displayHeight;
      stats.firstVideoFrameMs ??= Math.round(performance.now() - stats.createdAt);
      this.options.onFrame();
    } finally {
      frame.close();
    }
  }
}
