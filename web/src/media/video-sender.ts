// A video track (camera or screen) -> track reader (MediaStreamTrackProcessor on the main thread:
// Chromium has no processor in workers; a <video>-based replacement in Firefox) -> one VideoEncoding
// per simulcast encoding, all fed the same frames.
import { Codec, MediaKind, type HeaderFields } from '../protocol';
import { stats, type EncodingStats } from '../stats';
import { wallClockUs } from './capture';
import { EncodeLoadGovernor, type EncodingSpec } from './simulcast';
import { readVideoTrack, type TrackReader } from './track-reader';
import { VideoEncoding, chooseCodec, type ChosenCodec } from './video-encoding';

export interface VideoSenderOptions {
  trackId: number;
  kind: MediaKind;
  /** Preferred codec; VP9 falls back to VP8 when the browser cannot encode it. */
  preferred: 'vp9' | 'vp8';
  keyframeIntervalMs: number;
  /** Encodings for a source of this size when `layers` may be offered, lowest first. */
  plan(width: number, height: number, layers: number): EncodingSpec[];
  /** Most encodings the plan may use; the load governor lowers it when encoding falls behind. */
  maxLayers: number;
  /** Passed to the encoder ('text'/'detail' for screens). */
  contentHint?: string;
  send(header: Partial<HeaderFields>, payload: Uint8Array): void;
  backlogBytes(): number;
  maxEnvelopeBytes(): number;
  /** The encodings on offer changed (first frame, source resize, load); republish the track. */
  onLayers(codec: Codec, encodings: EncodingSpec[], temporalLayers: number): void;
  /** A new encoding's stats object (the caller exposes it in window.__vc). */
  onEncodingStats(stats: EncodingStats): void;
  onGovernor?(allowedLayers: number): void;
  onError(message: string): void;
  /** Screens: the sender ends when its track ends. Cameras wait for the next track instead. */
  endsWithTrack?: boolean;
}

const GOVERNOR_WINDOW_MS = 2000;
const GOVERNOR_RESTORE_MS = 20_000;
/**
 * A new camera track that yields no frame through MediaStreamTrackProcessor this long is read
 * through a <video> element instead. Seen in Chromium under load: after camera off and on, the
 * processor of the re-opened track (and of its clones) never delivers although the track plays.
 */
const FIRST_FRAME_FALLBACK_MS = 3000;

/** A promise and the function that resolves it. */
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire = () => {};
  const promise = new Promise<void>((resolve) => (fire = resolve));
  return { promise, fire };
}

export class VideoSender {
  /** False while muted: frames are read and released without encoding. */
  enabled = true;
  codec: Codec | null = null;
  private encodings: VideoEncoding[] = [];
  private chosen: ChosenCodec | null = null;
  private reader: TrackReader<VideoFrame> | null = null;
  /** Resolves when `reader` is replaced: a read the old reader never settles cannot hold the loop. */
  private readerReplaced = signal();
  private framesFromTrack = 0;
  private fallbackTimer = 0;
  /** Wakes the read loop waiting for a track (setTrack, stop). */
  private wake: (() => void) | null = null;
  private stopped = false;
  private sourceWidth = 0;
  private sourceHeight = 0;
  private lastEncodedTimestamp = -Infinity;
  /** Added to the current track's frame timestamps (setTrack); 0 for the first track. */
  private timestampOffset = 0;
  private rebaseTimestamps = false;
  private readonly governor: EncodeLoadGovernor;
  // Offset from the capture clock to the wall clock. The smallest offset seen is the one least
  // inflated by processing delay; recomputing it per frame would let a later frame's offset be
  // applied to an earlier chunk and make capture times jitter or run backwards.
  private captureToWallUs: number | null = null;
  private statsAt = 0;

  constructor(private track: MediaStreamTrack | null, private readonly options: VideoSenderOptions) {
    const frameRate = track?.getSettings().frameRate || 30;
    this.governor = new EncodeLoadGovernor(options.maxLayers, {
      frameIntervalMs: 1000 / frameRate,
      windowMs: GOVERNOR_WINDOW_MS,
      restoreAfterMs: GOVERNOR_RESTORE_MS,
      minLayers: Math.min(2, options.maxLayers), // only the top encoding is ever shed
    });
  }

  /** The encodings currently on offer, lowest first. */
  get specs(): EncodingSpec[] {
    return this.encodings.map((encoding) => encoding.spec);
  }

  /**
   * Reads frames until stop(), from whichever track is current (setTrack). Resolves when stopped,
   * or, with `endsWithTrack` (screens), when the track ends by itself.
   */
  async run(): Promise<void> {
    this.setTrack(this.track);
    while (!this.stopped) {
      const reader = this.reader;
      const replaced = this.readerReplaced.promise; // taken with `reader`: fires if it is replaced
      if (!reader) {
        await new Promise<void>((resolve) => (this.wake = resolve)); // camera off: until a new track
        continue;
      }
      const read = reader.read().catch(() => ({ value: undefined, done: true }));
      const result = await Promise.race([read, replaced.then(() => null)]);
      if (result === null) {
        void read.then(({ value }) => value?.close()); // a late frame of the old reader
        continue;
      }
      const { value: frame, done } = result;
      if (done || !frame) {
        if (reader !== this.reader) continue; // replaced by setTrack: read the new one
        this.reader = null; // the track ended by itself (device gone)
        if (this.options.endsWithTrack) break;
        continue;
      }
      if (reader === this.reader) this.framesFromTrack++;
      try {
        await this.handleFrame(frame);
      } finally {
        frame.close();
      }
    }
  }

  /**
   * Switches the source without touching the encodings (a camera switch or the camera coming back
   * on); null pauses sending until the next track. The first frame of a new track is a keyframe of
   * every encoding, so receivers resume at once; a different size rebuilds the encodings.
   */
  setTrack(track: MediaStreamTrack | null): void {
    this.replaceReader(null);
    this.track = track;
    if (this.stopped) return;
    if (track) {
      try {
        this.replaceReader(readVideoTrack(track, 2));
      } catch (error) {
        this.options.onError(error instanceof Error ? error.message : String(error));
        return;
      }
      this.framesFromTrack = 0;
      // Cameras only: a still screen may rightly send nothing for a while.
      if (this.options.kind !== MediaKind.SCREEN) {
        this.fallbackTimer = window.setTimeout(() => this.readThroughElement(track), FIRST_FRAME_FALLBACK_MS);
      }
      // A new capture track has its own timestamp base (it may start near 0 again): its frames are
      // rebased to follow the last one encoded, since the encoders expect timestamps to increase.
      this.rebaseTimestamps = true;
      this.captureToWallUs = null;
      this.requestKeyframe();
    }
    this.wake?.();
    this.wake = null;
  }

  /** Test hook: the next frame of every encoding is replaced by an undecodable "keyframe". */
  sendCorruptFrameNext(): void {
    for (const encoding of this.encodings) encoding.sendCorruptFrameNext = true;
  }

  /**
   * Next frame a keyframe: `spatialLayer` names one encoding, undefined means all of them.
   * `requested`: a KeyframeRequest asked for it (counted per encoding in the stats).
   */
  requestKeyframe(spatialLayer?: number, requested = false): void {
    for (const encoding of this.encodings) {
      if (spatialLayer !== undefined && encoding.spec.spatialLayer !== spatialLayer) continue;
      if (requested) encoding.stats.keyframeRequests++;
      encoding.requestKeyframe();
    }
  }

  stop(): void {
    this.stopped = true;
    this.replaceReader(null);
    this.wake?.();
    for (const encoding of this.encodings) encoding.close();
    this.encodings = [];
    this.captureToWallUs = null; // a new capture track may start a new timestamp base
  }

  private replaceReader(reader: TrackReader<VideoFrame> | null): void {
    window.clearTimeout(this.fallbackTimer);
    if (this.reader === reader) return;
    this.reader?.cancel().catch(() => {});
    this.reader = reader;
    this.readerReplaced.fire();
    this.readerReplaced = signal();
  }

  /** No frame from the processor yet (FIRST_FRAME_FALLBACK_MS): read the track another way. */
  private readThroughElement(track: MediaStreamTrack): void {
    if (this.stopped || this.track !== track || this.framesFromTrack > 0 || track.readyState !== 'live') return;
    try {
      this.replaceReader(readVideoTrack(track, 2, 'element'));
      stats.sent.videoReaderFallbacks++;
    } catch {
      // No element capture either: keep waiting on the processor.
    }
  }

  private async handleFrame(frame: VideoFrame): Promise<void> {
    if (this.stopped) return;
    // displayWidth/Height describe the visible rectangle (the fake camera delivers 640x480 coded
    // frames with a 640x360 visibleRect); the encoders scale from visibleRect themselves.
    const width = frame.displayWidth & ~1;
    const height = frame.displayHeight & ~1;
    if (this.encodings.length === 0 || width !== this.sourceWidth || height !== this.sourceHeight) {
      await this.rebuild(width, height, this.governor.allowedLayers);
      if (this.stopped || this.encodings.length === 0) return;
    }
    // Muted: the encodings exist (the track is published with its layers) but encode nothing.
    if (!this.enabled) return;
    // Screens are paced to the encodings' frame rate (5-15 fps); cameras send what they capture.
    const maxFps = this.encodings[0]!.spec.maxFps;
    if (this.rebaseTimestamps) {
      this.rebaseTimestamps = false;
      if (this.lastEncodedTimestamp > -Infinity) this.timestampOffset = Math.max(0, this.lastEncodedTimestamp + 1e6 / maxFps - frame.timestamp);
    }
    const timestamp = frame.timestamp + this.timestampOffset;
    if (timestamp - this.lastEncodedTimestamp < 1e6 / maxFps - 2000) return;
    this.lastEncodedTimestamp = timestamp;
    const offsetUs = wallClockUs() - timestamp;
    if (this.captureToWallUs === null || offsetUs < this.captureToWallUs) this.captureToWallUs = offsetUs;
    // Same picture, new timestamp: wraps the frame's buffer, copies nothing.
    const input = timestamp === frame.timestamp ? frame : new VideoFrame(frame, { timestamp });
    try {
      for (const encoding of this.encodings) encoding.encode(input);
    } finally {
      if (input !== frame) input.close();
    }
    this.watchLoad();
  }

  private watchLoad(): void {
    const now = performance.now();
    if (now - this.statsAt >= GOVERNOR_WINDOW_MS) {
      this.statsAt = now;
      for (const encoding of this.encodings) encoding.takeEncodeLatency();
    }
    const layers = this.governor.evaluate(now);
    if (layers === null) return;
    this.options.onGovernor?.(layers);
    if (this.options.plan(this.sourceWidth, this.sourceHeight, layers).length !== this.encodings.length) {
      void this.rebuild(this.sourceWidth, this.sourceHeight, layers);
    }
  }

  /** (Re)creates the encodings for a source size; encodings whose spec is unchanged are kept. */
  private async rebuild(width: number, height: number, layers: number): Promise<void> {
    this.sourceWidth = width;
    this.sourceHeight = height;
    const specs = this.options.plan(width, height, layers);
    if (specs.length === 0) return;
    try {
      this.chosen ??= await chooseCodec(this.options.preferred, specs[specs.length - 1]!, this.options.contentHint);
    } catch (error) {
      this.options.onError(String(error instanceof Error ? error.message : error));
      this.stop();
      return;
    }
    if (this.stopped) return;
    const kept: VideoEncoding[] = [];
    for (const spec of specs) {
      const same = this.encodings.find(
        (encoding) => encoding.spec.spatialLayer === spec.spatialLayer && encoding.spec.width === spec.width && encoding.spec.height === spec.height,
      );
      if (same) {
        kept.push(same);
        continue;
      }
      const encoding = new VideoEncoding(spec, this.chosen, {
        trackId: this.options.trackId,
        kind: this.options.kind,
        keyframeIntervalMs: this.options.keyframeIntervalMs,
        send: this.options.send,
        backlogBytes: this.options.backlogBytes,
        maxEnvelopeBytes: this.options.maxEnvelopeBytes,
        captureToWallUs: () => this.captureToWallUs ?? 0,
        onEncoded: (latencyMs) => this.governor.noteEncoded(latencyMs, performance.now()),
        onBusySkip: () => this.governor.noteBusySkip(performance.now()),
        onError: this.options.onError,
      });
      this.options.onEncodingStats(encoding.stats);
      kept.push(encoding);
    }
    for (const encoding of this.encodings) if (!kept.includes(encoding)) encoding.close();
    this.encodings = kept;
    this.codec = this.chosen.codec;
    this.options.onLayers(this.chosen.codec, specs, this.chosen.config.scalabilityMode === 'L1T3' ? 3 : 1);
  }
}
