// Pure decisions of the sending side (no DOM, unit-tested in test/unit): which simulcast encodings a
// camera offers, what to capture, and when the machine is too slow for the top encoding.

export interface EncodingSpec {
  /** 0 is the lowest; MediaHeader.spatial_layer and VideoLayer.spatial_layer name it. */
  spatialLayer: number;
  width: number;
  height: number;
  bitrate: number;
  maxFps: number;
}

/** The camera ladder of PROTOCOL.md §11 / issue 10: 180p, 360p and 720p at these bitrates. */
export const CAMERA_LADDER: ReadonlyArray<{ height: number; bitrate: number }> = [
  { height: 180, bitrate: 150_000 },
  { height: 360, bitrate: 500_000 },
  { height: 720, bitrate: 1_500_000 },
];

/** Screen share: one encoding, text stays sharp at low frame rates. */
export const SCREEN_LIMITS = { maxWidth: 1920, maxHeight: 1080, maxFps: 15, minFps: 5, bitrate: 2_500_000 };

/** Encoders want even sizes; rounding down never upscales. */
const even = (value: number) => Math.max(2, Math.floor(value / 2) * 2);

/**
 * The encodings a camera delivering `sourceWidth` x `sourceHeight` offers: every rung of the ladder
 * the source reaches (never upscaled), same aspect ratio, at most `maxLayers`, lowest first. A source
 * smaller than the lowest rung is sent as one encoding at its own size.
 */
export function cameraEncodings(sourceWidth: number, sourceHeight: number, maxLayers: number, frameRate: number): EncodingSpec[] {
  if (sourceWidth <= 0 || sourceHeight <= 0) return [];
  const aspect = sourceWidth / sourceHeight;
  const rungs = CAMERA_LADDER.filter((rung) => rung.height <= sourceHeight).slice(0, Math.max(1, maxLayers));
  if (rungs.length === 0) {
    return [{ spatialLayer: 0, width: even(sourceWidth), height: even(sourceHeight), bitrate: CAMERA_LADDER[0]!.bitrate, maxFps: frameRate }];
  }
  return rungs.map((rung, index) => ({
    spatialLayer: index,
    width: even(rung.height * aspect),
    height: rung.height,
    bitrate: rung.bitrate,
    maxFps: frameRate,
  }));
}

/** Screen encoding for a shared surface: its own size, scaled down to fit 1920x1080. */
export function screenEncoding(sourceWidth: number, sourceHeight: number, frameRate: number): EncodingSpec {
  const scale = Math.min(1, SCREEN_LIMITS.maxWidth / sourceWidth, SCREEN_LIMITS.maxHeight / sourceHeight);
  const fps = Math.min(SCREEN_LIMITS.maxFps, Math.max(SCREEN_LIMITS.minFps, Math.round(frameRate)));
  return { spatialLayer: 0, width: even(sourceWidth * scale), height: even(sourceHeight * scale), bitrate: SCREEN_LIMITS.bitrate, maxFps: fps };
}

/**
 * What to ask the camera for. The 720p encoding alone costs 0.65-0.93 of a core in software
 * (docs: shared/docs/browser.md, VP8) and two such pages collapse on 2 cores, so only machines with
 * at least 4 logical cores capture 720p and offer three encodings; the rest capture 360p (two).
 */
export function cameraCapturePlan(hardwareConcurrency: number): { width: number; height: number; maxLayers: number } {
  return hardwareConcurrency >= 4 ? { width: 1280, height: 720, maxLayers: 3 } : { width: 640, height: 360, maxLayers: 2 };
}

export interface LoadGovernorOptions {
  /** Time between captured frames (33 ms at 30 fps). */
  frameIntervalMs: number;
  /** Length of one measurement window. */
  windowMs: number;
  /** Healthy time needed before a dropped encoding comes back; doubles after each relapse. */
  restoreAfterMs: number;
  /** Never fewer encodings than this (the camera keeps 180p and 360p: only the top one is shed). */
  minLayers?: number;
}

/**
 * Watches how the encoders keep up and decides how many encodings the camera can afford. A window
 * where more than a tenth of the frames were skipped because an encoder was still busy, or where
 * encoding took longer on average than the interval between frames, drops the top encoding (never
 * below `minLayers`). After `restoreAfterMs` of windows that were clearly healthy (no skips, encoding in
 * under half a frame interval) it comes back; every relapse doubles that wait, so a machine on the
 * edge does not flap between two and three encodings.
 */
export class EncodeLoadGovernor {
  private allowed: number;
  private windowStart: number | null = null;
  private encoded = 0;
  private skipped = 0;
  private latencySumMs = 0;
  private healthySince: number | null = null;
  private restoreAfterMs: number;
  /** An encoding came back once: dropping again is a relapse. */
  private restored = false;

  constructor(private readonly maxLayers: number, private readonly options: LoadGovernorOptions) {
    this.allowed = maxLayers;
    this.restoreAfterMs = options.restoreAfterMs;
  }

  /** Encodings currently affordable (1..maxLayers). */
  get allowedLayers(): number {
    return this.allowed;
  }

  /** One frame came out of an encoder `latencyMs` after it went in. */
  noteEncoded(latencyMs: number, now: number): void {
    this.windowStart ??= now;
    this.encoded++;
    this.latencySumMs += latencyMs;
  }

  /** A frame was not given to an encoder because it was still busy with earlier ones. */
  noteBusySkip(now: number): void {
    this.windowStart ??= now;
    this.skipped++;
  }

  /** Closes the window when it is due; returns the new number of allowed encodings if it changed. */
  evaluate(now: number): number | null {
    if (this.windowStart === null || now - this.windowStart < this.options.windowMs) return null;
    const total = this.encoded + this.skipped;
    const averageMs = this.encoded > 0 ? this.latencySumMs / this.encoded : 0;
    const overloaded = total > 0 && (this.skipped / total > 0.1 || averageMs > this.options.frameIntervalMs);
    const healthy = total > 0 && this.skipped === 0 && averageMs < this.options.frameIntervalMs / 2;
    this.windowStart = now;
    this.encoded = this.skipped = this.latencySumMs = 0;
    if (overloaded) {
      this.healthySince = null;
      if (this.allowed <= Math.max(1, this.options.minLayers ?? 1)) return null;
      if (this.restored) this.restoreAfterMs *= 2;
      this.allowed--;
      return this.allowed;
    }
    if (!healthy) {
      this.healthySince = null;
      return null;
    }
    this.healthySince ??= now;
    if (this.allowed < this.maxLayers && now - this.healthySince >= this.restoreAfterMs) {
      this.allowed++;
      this.restored = true;
      this.healthySince = null;
      return this.allowed;
    }
    return null;
  }
}

/**
 * Dropping frames after they were encoded (the transport backlog grew meanwhile). In L1T3 the
 * top layer (2) is referenced by nothing, so one such frame can go alone. Layer 0 and 1 frames
 * are references (layer 1 refreshes a buffer that later layer 1 and 2 frames use, and layer 0
 * everything), so after losing one every frame of that layer or above is dropped until the next
 * keyframe, which the caller must request; lower layers keep flowing meanwhile.
 */
export const TOP_TEMPORAL_LAYER = 2;

export class TemporalDropState {
  /** Frames of this temporal layer or higher are dropped until a keyframe; null when none are. */
  private droppingFrom: number | null = null;

  /** Whether the frame must be dropped because it may depend on a frame that was. */
  mustDrop(temporalLayer: number, keyframe: boolean): boolean {
    if (keyframe) this.droppingFrom = null;
    return this.droppingFrom !== null && temporalLayer >= this.droppingFrom;
  }

  /** The frame was dropped; returns whether a keyframe is needed to recover. */
  dropped(temporalLayer: number, keyframe: boolean): boolean {
    const layer = keyframe ? 0 : temporalLayer;
    if (layer >= TOP_TEMPORAL_LAYER) return false;
    this.droppingFrom = this.droppingFrom === null ? layer : Math.min(this.droppingFrom, layer);
    return true;
  }
}
