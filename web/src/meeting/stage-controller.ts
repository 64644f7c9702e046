// Ties the layout to what is received: after every layout change each remote video tile gets a
// decoder or loses it (on screen or not) and a subscription wish (paused, its pixel height rounded to
// an encoding, or the highest layer when large); decode pressure lowers a track; the dominant speaker
// comes from ActiveSpeakers, or from audio levels while the server sends none.
import { VideoDefault } from '../gen/videocall_pb';
import type { ControlMessage } from '../protocol';
import { stats } from '../stats';
import { Stage, type LayoutMode } from '../ui/stage';
import type { Tile } from '../ui/tile';
import type { RemotePeer } from './remote-peer';
import type { RemoteVideo } from './remote-video';
import { HIGHEST, SubscriptionManager, ladderHeight, type DefaultsInit, type Wish } from './subscriptions';

/** Audio at or above this level (-dBov, lower is louder) counts as speaking, as on the tile. */
const SPEAKING_LEVEL = 45;
/** Without ActiveSpeakers: the speaker changes only after the current one was quiet this long. */
const FALLBACK_SPEAKER_HOLD_MS = 1500;

export class StageController {
  readonly stage: Stage;
  readonly subscriptions: SubscriptionManager;
  private readonly videos = new Map<string, RemoteVideo>();
  private readonly lastLoudAt = new Map<number, number>();
  private serverSendsSpeakers = false;
  private selfTile: Tile | null = null;

  constructor(send: (message: ControlMessage) => void) {
    this.stage = new Stage(() => this.refresh());
    this.subscriptions = new SubscriptionManager(send, () => stats.subscriptions, this.defaultsFor('grid'));
  }

  /** Hello's subscription defaults, stated for the current layout. */
  helloDefaults(): DefaultsInit {
    this.subscriptions.setDefaults(this.defaultsFor(this.stage.mode));
    return this.subscriptions.helloDefaults();
  }

  addSelf(tile: Tile): void {
    this.selfTile = tile;
    this.stage.add({ tile, participantId: null, source: 'camera' }, true);
  }

  addPeer(peer: RemotePeer): void {
    this.videos.set(peer.camera.key, peer.camera);
    this.stage.add({ tile: peer.camera.tile, participantId: peer.id, source: 'camera' });
    peer.start();
  }

  removePeer(peer: RemotePeer): void {
    for (const video of peer.videos()) {
      this.videos.delete(video.key);
      this.stage.remove(video.tile);
    }
    this.lastLoudAt.delete(peer.id);
    if (this.stage.dominant === peer.id) this.stage.setDominant(null);
  }

  screenAdded(peer: RemotePeer, video: RemoteVideo): void {
    this.videos.set(video.key, video);
    this.stage.add({ tile: video.tile, participantId: peer.id, source: 'screen' });
  }

  screenRemoved(video: RemoteVideo): void {
    this.videos.delete(video.key);
    this.stage.remove(video.tile);
  }

  togglePin(key: string): void {
    this.stage.togglePin(key);
  }

  toggleMode(): LayoutMode {
    this.stage.setMode(this.stage.mode === 'grid' ? 'speaker' : 'grid');
    return this.stage.mode;
  }

  /** The server's dominant speaker (PROTOCOL.md §11.5); from now on audio levels are not used. */
  onActiveSpeakers(dominant: number): void {
    this.serverSendsSpeakers = true;
    stats.layout.activeSpeakerEvents++;
    this.stage.setDominant(dominant || null);
  }

  /** Every remote audio packet's level: picks the speaker while the server sends no ActiveSpeakers. */
  noteAudioLevel(participantId: number, level: number): void {
    if (this.serverSendsSpeakers || level > SPEAKING_LEVEL) return;
    const now = performance.now();
    this.lastLoudAt.set(participantId, now);
    const current = this.stage.dominant;
    if (current === participantId) return;
    if (current !== null && now - (this.lastLoudAt.get(current) ?? -Infinity) < FALLBACK_SPEAKER_HOLD_MS) return;
    this.stage.setDominant(participantId);
  }

  /** The height a tile's receiver aims for when several layers arrive (0 = highest). */
  wantedHeight(key: string): number {
    const wish = this.subscriptions.effective(key);
    return typeof wish === 'number' ? wish : HIGHEST;
  }

  onPressure(key: string, decodedHeight: number): void {
    this.subscriptions.lower(key, decodedHeight);
  }

  onJoined(): void {
    this.subscriptions.onJoined();
  }

  onDisconnected(): void {
    this.subscriptions.onDisconnected();
  }

  dispose(): void {
    this.subscriptions.dispose();
    this.stage.dispose();
  }

  /** Grid: every camera at the height of a full page's tile. Speaker view: only the last speaker. */
  private defaultsFor(mode: LayoutMode): DefaultsInit {
    if (mode === 'speaker') return { video: VideoDefault.PAUSED, videoMaxHeight: 0, lastN: 1, lastNMaxHeight: HIGHEST };
    return { video: VideoDefault.MAX_HEIGHT, videoMaxHeight: ladderHeight(this.stage.fullPageTileHeight()), lastN: 0, lastNMaxHeight: 0 };
  }

  /** After a layout change: decoders for tiles on screen, and one subscription update. */
  private refresh(): void {
    const wishes = new Map<string, Wish>();
    for (const video of this.videos.values()) {
      const view = this.stage.view(video.key);
      video.setOnScreen(view.visible);
      const wish: Wish = !view.visible ? 'paused' : view.large || video.stats.source === 'screen' ? HIGHEST : ladderHeight(view.pixelHeight);
      wishes.set(video.key, wish);
      video.stats.visible = view.visible;
      video.stats.large = view.large;
      video.stats.pixelHeight = view.pixelHeight;
    }
    this.subscriptions.setWishes(wishes);
    this.subscriptions.setDefaults(this.defaultsFor(this.stage.mode));
    for (const video of this.videos.values()) video.stats.wanted = this.subscriptions.effective(video.key) ?? 'paused';
    const { mode, page, pages, perPage, pinned, large, dominant } = this.stage;
    const viewport = `${window.innerWidth}x${window.innerHeight}`;
    Object.assign(stats.layout, { mode, page, pages, perPage, pinned, large, dominantSpeaker: dominant, viewport });
    this.selfTile?.element.classList.toggle('large', large === 'self');
  }
}
