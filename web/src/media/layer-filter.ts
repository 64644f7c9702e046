// Until the receiving side chooses layers itself: a server that forwards every simulcast encoding
// (one without selective forwarding) would feed one decoder three interleaved streams. This keeps
// one encoding per track: the highest seen, switching only at a keyframe of the new one.

/** How long the followed encoding may be silent before a lower one takes over (it was dropped). */
const SILENT_LAYER_MS = 1000;

export class SpatialLayerFilter {
  private current: number | null = null;
  private lastSeenAt = 0;

  /** Whether a frame of `spatialLayer` should reach the decoder. */
  accept(spatialLayer: number, keyframe: boolean, now: number): boolean {
    if (spatialLayer === this.current) {
      this.lastSeenAt = now;
      return true;
    }
    const silent = now - this.lastSeenAt > SILENT_LAYER_MS;
    const better = this.current === null || spatialLayer > this.current || silent;
    if (!better || !keyframe) return false;
    this.current = spatialLayer;
    this.lastSeenAt = now;
    return true;
  }
}
