// One remote video track (a publisher's camera or screen), decoded into a canvas while its tile is on
// screen: the page creates a VideoReceiver when the tile becomes visible and closes it when the tile
// leaves, so hidden tiles cost no decoder.
//
// Simulcast: every spatial layer of the track arrives on this one stream. A selecting server sends
// one layer and switches only at a keyframe of the new one; the old server forwards all of them. So
// the receiver decodes one layer at a time and moves to another only at that layer's keyframe, when
// it is the layer this tile wants or a layer that was not arriving before (the server switched).
//
// Decode pressure (the decode queue grows): first skip non-reference temporal layers (T2, then T1
// with the T2 frames that depend on it), then ask for a lower layer (onPressure), and reset the
// decoder, which freezes the tile until the next keyframe, only when the queue is far behind anyway.
import { FreezeDetector } from '../quality/freeze';
import { Codec, VIDEO_CODEC_STRINGS, VPX_COLOR_SPACE, codecName, toNumber, type HeaderFields } from '../protocol';
import { LATENCY_SAMPLES, type PeerStats, type TileStats } from '../stats';

export interface VideoReceiverOptions {
  canvas: HTMLCanvasElement;
  tileStats: TileStats;
  /** The publisher's stats, for the camera track (kept for existing tests and the debug overlay). */
  peerStats?: PeerStats;
  /** Height this tile wants (0 = highest): chooses among layers when several arrive. */
  wantedHeight(): number;
  requestKeyframe(spatialLayer: number): void;
  /** A frame was drawn (the tile swaps its placeholder for the canvas). */
  onFrame(width: number, height: number): void;
  /** Skipping temporal layers did not keep up: the page asks the server for a lower layer. */
  onPressure(): void;
  /**
   * The track announces temporal layers: a new subscriber's replay carries only T0 frames, so a
   * sequence gap before a T0 frame is expected from the first frame on.
   */
  temporallyLayered?(): boolean;
}

const KEYFRAME_REQUEST_INTERVAL_MS = 1000;
/** Decode-time bookkeeping entries kept at most; weight of the newest frame in the running mean. */
const DECODE_TIMING_ENTRIES = 64;
const DECODE_TIME_WEIGHT = 0.1;
/** Decode queue lengths (frames) at which T2, then T1 frames are skipped, and the decoder reset. */
const SKIP_T2_QUEUE = 3;
const SKIP_T1_QUEUE = 6;
const RESET_QUEUE = 30;
/** This many skipped frames within PRESSURE_WINDOW_MS means skipping is not enough. */
const PRESSURE_SKIPS = 12;
const PRESSURE_WINDOW_MS = 2000;
/** A layer with no frame for this long is no longer arriving (the server switched away from it). */
const LAYER_SILENCE_MS = 400;
const MAX_SPATIAL_LAYERS = 3;

export class VideoReceiver {
  private decoder: VideoDecoder | null = null;
  private codec: Codec | null = null;
  /** Spatial layer being decoded (null before the first keyframe) and its frame size. */
  private layer: number | null = null;
  private configuredSize = '';
  private needKeyframe = true;
  /** After skipping a T1 frame, every frame above T0 is skipped until the next T0 (they reference it). */
  private skipUpperUntilBase = false;
  /** Temporal layers above 0 were seen: a sequence gap before a T0 frame is a dropped upper layer. */
  private temporalLayersInUse = false;
  private readonly lastSequence: (number | null)[] = new Array<number | null>(MAX_SPATIAL_LAYERS).fill(null);
  private readonly lastSeenAt: number[] = new Array<number>(MAX_SPATIAL_LAYERS).fill(-Infinity);
  private readonly layerHeights: number[] = new Array<number>(MAX_SPATIAL_LAYERS).fill(0);
  private lastKeyframeRequestAt = -Infinity;
  private skipTimes: number[] = [];
  private closed = false;
  private readonly context: CanvasRenderingContext2D | null;
  /** decode() time per chunk timestamp, to measure decode time (bounded: the decode queue is short). */
  private readonly decodeStartedAt = new Map<number, number>();
  private readonly freezes = new FreezeDetector();

  constructor(private readonly options: VideoReceiverOptions) {
    this.context = options.canvas.getContext('2d', { alpha: false });
    options.tileStats.decodersCreated++;
  }

  handle(header: HeaderFields, payload: Uint8Array): void {
    if (this.closed) return;
    const now = performance.now();
    const spatial = Math.min(header.spatialLayer, MAX_SPATIAL_LAYERS - 1);
    const stats = this.options.tileStats;
    if (!stats.layersSeen.includes(spatial)) stats.layersSeen = [...stats.layersSeen, spatial].sort();
    if (header.height) this.layerHeights[spatial] = header.height;
    if (header.temporalLayer > 0) this.temporalLayersInUse = true;
    const wasArriving = now - this.lastSeenAt[spatial]! < LAYER_SILENCE_MS;
    this.lastSeenAt[spatial] = now;
    const previous = this.lastSequence[spatial];
    this.lastSequence[spatial] = header.sequence;
    if (header.keyframe) this.countKeyframe();

    if (this.layer !== spatial) {
      if (!header.keyframe || !this.shouldSwitchTo(spatial, wasArriving, now)) {
        if (this.layer !== null) stats.skippedOtherLayer++;
        else this.maybeRequestKeyframe(spatial);
        return;
      }
      this.layer = spatial;
      this.needKeyframe = true;
    } else if (previous !== null && header.sequence !== ((previous + 1) >>> 0)) {
      // A gap: harmless when the missing frames were upper temporal layers (a server drops those
      // under pressure) and this frame is a base frame; otherwise a reference is gone.
      const layered = this.temporalLayersInUse || this.options.temporallyLayered?.() === true;
      if (!(layered && header.temporalLayer === 0)) this.needKeyframe = true;
    }

    if (this.decoder && this.decoder.decodeQueueSize > RESET_QUEUE) {
      this.reset(spatial); // far behind even after skipping and asking for less: the last resort
    }
    if (this.needKeyframe) {
      if (!header.keyframe) {
        this.maybeRequestKeyframe(spatial);
        return;
      }
      this.needKeyframe = false;
    }
    if (!this.decoder || this.decoder.state === 'closed' || this.codec !== header.codec) {
      if (!header.keyframe || !this.createDecoder(header.codec)) return;
    }
    if (header.keyframe) this.configureFor(header);
    if (!header.keyframe && this.skipUnderPressure(header.temporalLayer, now)) return;
    try {
      const timestamp = toNumber(header.captureTimeUs);
      if (this.decodeStartedAt.size >= DECODE_TIMING_ENTRIES) this.decodeStartedAt.clear();
      this.decodeStartedAt.set(timestamp, now);
      this.decoder!.decode(
        new EncodedVideoChunk({
          type: header.keyframe ? 'key' : 'delta',
          timestamp,
          data: payload,
        }),
      );
    } catch {
      this.reset(spatial);
    }
  }

  /** Stops decoding for good. Safe to call twice; later packets and late decoder output are ignored. */
  close(): void {
    this.closed = true;
    this.closeDecoder();
  }

  /**
   * Moves to another spatial layer at its keyframe: the one this tile wants, a better one than the
   * current when several arrive, or one that only now started arriving (the server switched to it).
   */
  private shouldSwitchTo(spatial: number, wasArriving: boolean, now: number): boolean {
    if (this.layer === null) return true;
    if (!wasArriving) return true; // a selecting server switched layers
    if (now - this.lastSeenAt[this.layer]! >= LAYER_SILENCE_MS) return true; // current one stopped
    const target = this.targetLayer(now);
    return Math.abs(spatial - target) < Math.abs(this.layer - target);
  }

  /** Among the layers arriving, the highest whose height fits the wish (the lowest if none does). */
  private targetLayer(now: number): number {
    const wanted = this.options.wantedHeight();
    let target = -1;
    let lowest = -1;
    for (let layer = 0; layer < MAX_SPATIAL_LAYERS; layer++) {
      if (now - this.lastSeenAt[layer]! >= LAYER_SILENCE_MS) continue;
      if (lowest < 0) lowest = layer;
      if (wanted === 0 || this.layerHeights[layer]! <= wanted) target = layer;
    }
    return target >= 0 ? target : Math.max(lowest, 0);
  }

  /** True when this frame is skipped to let the decoder catch up; may also escalate. */
  private skipUnderPressure(temporalLayer: number, now: number): boolean {
    const queue = this.decoder!.decodeQueueSize;
    const stats = this.options.tileStats;
    if (temporalLayer === 0) this.skipUpperUntilBase = false;
    let skip = false;
    if (temporalLayer >= 1 && this.skipUpperUntilBase) skip = true;
    else if (temporalLayer === 2 && queue > SKIP_T2_QUEUE) skip = true;
    else if (temporalLayer === 1 && queue > SKIP_T1_QUEUE) {
      skip = true;
      this.skipUpperUntilBase = true;
    }
    if (!skip) return false;
    if (temporalLayer === 2) stats.skippedT2++;
    else stats.skippedT1++;
    if (this.options.peerStats) this.options.peerStats.videoFramesSkipped++;
    this.skipTimes.push(now);
    while (this.skipTimes.length && now - this.skipTimes[0]! > PRESSURE_WINDOW_MS) this.skipTimes.shift();
    if (this.skipTimes.length >= PRESSURE_SKIPS) {
      this.skipTimes = [];
      stats.pressureDowngrades++;
      if (this.options.peerStats) this.options.peerStats.videoPressureDowngrades++;
      this.options.onPressure();
    }
    return true;
  }

  private countKeyframe(): void {
    if (this.options.peerStats) this.options.peerStats.videoKeyframesReceived++;
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
        this.countReset();
        this.needKeyframe = true;
        this.maybeRequestKeyframe(this.layer ?? 0);
      },
    });
    this.decoder = decoder;
    this.codec = codec;
    this.configuredSize = '';
    this.options.tileStats.decoding = true;
    if (this.options.peerStats) this.options.peerStats.videoCodec = codecName(codec);
    return true;
  }

  /**
   * (Re)configures at a keyframe whose layer or size differs from the current configuration, so a
   * spatial switch starts on a decoder set up for the new size. configure() keeps the decoder
   * object; frames queued before it are still decoded.
   */
  private configureFor(header: HeaderFields): void {
    const size = `${this.layer}:${header.width}x${header.height}`;
    if (size === this.configuredSize) return;
    const codec = this.codec!;
    const vpx = codec === Codec.VP8 || codec === Codec.VP9;
    // optimizeForLatency: software decoders otherwise hold back 1-2 frames.
    this.decoder!.configure({
      codec: VIDEO_CODEC_STRINGS[codec]!,
      optimizeForLatency: true,
      ...(header.width && header.height ? { codedWidth: header.width, codedHeight: header.height } : {}),
      ...(vpx ? { colorSpace: VPX_COLOR_SPACE } : {}),
    });
    this.configuredSize = size;
    this.options.tileStats.spatialLayer = this.layer ?? 0;
  }

  private reset(spatial: number): void {
    this.countReset();
    this.closeDecoder();
    this.needKeyframe = true;
    this.skipUpperUntilBase = false;
    this.maybeRequestKeyframe(spatial);
  }

  private countReset(): void {
    this.options.tileStats.decoderResets++;
    if (this.options.peerStats) this.options.peerStats.videoDecoderResets++;
  }

  private closeDecoder(): void {
    const decoder = this.decoder;
    this.decoder = null;
    this.options.tileStats.decoding = false;
    if (decoder && decoder.state !== 'closed') decoder.close();
  }

  private maybeRequestKeyframe(spatial: number): void {
    const now = performance.now();
    if (now - this.lastKeyframeRequestAt < KEYFRAME_REQUEST_INTERVAL_MS) return;
    this.lastKeyframeRequestAt = now;
    if (this.options.peerStats) this.options.peerStats.keyframeRequestsSent++;
    this.options.requestKeyframe(spatial);
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
      const tile = this.options.tileStats;
      tile.framesDecoded++;
      tile.width = frame.displayWidth;
      tile.height = frame.displayHeight;
      // frame.timestamp is the sender's capture_time_us (wall clock, microseconds).
      if (tile.latencyMs.length >= LATENCY_SAMPLES) tile.latencyMs.shift();
      tile.latencyMs.push(Date.now() - frame.timestamp / 1000);
      const peer = this.options.peerStats;
      if (peer) {
        const now = performance.now();
        const started = this.decodeStartedAt.get(frame.timestamp);
        if (started !== undefined) {
          this.decodeStartedAt.delete(frame.timestamp);
          peer.videoDecodeMs += (now - started - peer.videoDecodeMs) * DECODE_TIME_WEIGHT;
        }
        if (this.freezes.frame(now)) peer.videoFreezes++;
        peer.videoFramesDecoded++;
        peer.videoWidth = frame.displayWidth;
        peer.videoHeight = frame.displayHeight;
        if (peer.firstVideoFrameAt === null) {
          peer.firstVideoFrameAt = performance.now();
          peer.firstVideoFrameMs = Math.round(peer.firstVideoFrameAt - peer.createdAt);
        }
      }
      this.options.onFrame(frame.displayWidth, frame.displayHeight);
    } finally {
      frame.close();
    }
  }
}
