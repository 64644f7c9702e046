// One remote video track (a publisher's camera or screen): its tile, and a decoder only while the tile
// is on screen.
import { MediaKind, type HeaderFields } from '../protocol';
import { VideoReceiver } from '../media/video-receiver';
import { newTileStats, stats, type PeerStats, type TileStats } from '../stats';
import { Tile } from '../ui/tile';
import { trackKey } from './subscriptions';

/** Track ids every client uses (issue 10 contract). */
export const CAMERA_TRACK_ID = 2;
export const SCREEN_TRACK_ID = 3;

export interface RemoteVideoOptions {
  publisherId: number;
  trackId: number;
  source: 'camera' | 'screen';
  name: string;
  /** The publisher's stats, for the camera. */
  peerStats?: PeerStats;
  requestKeyframe(trackId: number, kind: MediaKind, spatialLayer: number): void;
  /** Height the page asks the server for (0 = highest): picks among layers when several arrive. */
  wantedHeight(key: string): number;
  onPin(key: string): void;
  onPressure(key: string, decodedHeight: number): void;
  /** Temporal layers the roster says the track has (0 or 1: none). */
  temporalLayers(trackId: number): number;
}

export class RemoteVideo {
  readonly key: string;
  readonly tile: Tile;
  readonly stats: TileStats;
  private readonly canvas = document.createElement('canvas');
  private receiver: VideoReceiver | null = null;

  constructor(private readonly options: RemoteVideoOptions) {
    this.key = trackKey(options.publisherId, options.trackId);
    this.canvas.width = 640;
    this.canvas.height = 360;
    this.stats = newTileStats(options.publisherId, options.trackId, options.source);
    stats.tiles[this.key] = this.stats;
    this.tile = new Tile({
      id: options.publisherId,
      key: this.key,
      name: options.name,
      isSelf: false,
      media: this.canvas,
      source: options.source,
      onPin: () => options.onPin(this.key),
    });
    this.tile.setDecodeState(false, 0, 0);
  }

  get kind(): MediaKind {
    return this.options.source === 'screen' ? MediaKind.SCREEN : MediaKind.VIDEO;
  }

  get decoding(): boolean {
    return this.receiver !== null;
  }

  /** A decoder exists exactly while the tile is on screen (and so subscribed). */
  setOnScreen(onScreen: boolean): void {
    if (onScreen === (this.receiver !== null)) return;
    if (!onScreen) {
      this.receiver!.close();
      this.receiver = null;
      this.stats.decoding = false;
      this.tile.setDecodeState(false, this.stats.width, this.stats.height);
      return;
    }
    this.receiver = new VideoReceiver({
      canvas: this.canvas,
      tileStats: this.stats,
      ...(this.options.peerStats ? { peerStats: this.options.peerStats } : {}),
      wantedHeight: () => this.options.wantedHeight(this.key),
      requestKeyframe: (spatial) => this.options.requestKeyframe(this.options.trackId, this.kind, spatial),
      onFrame: (width, height) => {
        this.tile.setHasVideo(true);
        this.tile.setDecodeState(true, width, height);
      },
      onPressure: () => this.options.onPressure(this.key, this.stats.height),
      temporallyLayered: () => this.options.temporalLayers(this.options.trackId) > 1,
    });
    this.tile.setDecodeState(true, this.stats.width, this.stats.height);
  }

  handle(header: HeaderFields, payload: Uint8Array): void {
    this.receiver?.handle(header, payload);
  }

  setName(name: string): void {
    this.tile.setName(name);
  }

  close(): void {
    this.receiver?.close();
    this.receiver = null;
    delete stats.tiles[this.key];
  }
}
