// Everything the page holds for one remote participant: its camera tile, a screen tile while it
// shares, the audio receiver and stats. Video decoders belong to the tiles (RemoteVideo).
import type { Participant } from '../gen/videocall_pb';
import { ConnectionState, TrackSource } from '../gen/videocall_pb';
import { AudioReceiver } from '../media/audio-receiver';
import type { AudioOutput } from '../media/audio-output';
import { LossCounter } from '../quality/loss';
import { MediaKind, ParticipantRole, type HeaderFields, toNumber } from '../protocol';
import { newPeerStats, type PeerStats } from '../stats';
import type { Tile } from '../ui/tile';
import { CAMERA_TRACK_ID, RemoteVideo, SCREEN_TRACK_ID, type RemoteVideoOptions } from './remote-video';

/** Screen frames still in flight after the roster said the share ended are ignored this long. */
const SCREEN_LATE_FRAMES_MS = 2000;

export interface RemotePeerHooks {
  requestKeyframe(publisherId: number, trackId: number, kind: MediaKind, spatialLayer: number): void;
  wantedHeight(key: string): number;
  onPin(key: string): void;
  onPressure(key: string, decodedHeight: number): void;
  /** A screen tile appeared, or went away (the stage drops it). */
  screenAdded(peer: RemotePeer, video: RemoteVideo): void;
  screenRemoved(video: RemoteVideo): void;
}

export class RemotePeer {
  readonly id: number;
  readonly camera: RemoteVideo;
  screen: RemoteVideo | null = null;
  readonly stats: PeerStats = newPeerStats();
  name: string;
  micOn: boolean;
  cameraOn: boolean;
  role: ParticipantRole;
  connectionState: ConnectionState;
  /** Published tracks from the roster (empty with a server that predates tracks). */
  tracks: Participant['tracks'] = [];
  private screenOn = false;
  /** When the roster last said the share ended: late frames must not bring the tile back. */
  private screenEndedAt = -Infinity;
  private readonly audio: AudioReceiver;
  private readonly audioLoss = new LossCounter();

  constructor(
    participant: Participant,
    audioOutput: AudioOutput | null,
    private readonly hooks: RemotePeerHooks,
  ) {
    this.id = toNumber(participant.participantId);
    this.name = participant.displayName;
    this.micOn = participant.micOn;
    this.cameraOn = participant.cameraOn;
    this.role = participant.role;
    this.connectionState = participant.connectionState;
    this.tracks = participant.tracks;
    this.camera = this.makeVideo('camera', this.trackIdOf(TrackSource.CAMERA) ?? CAMERA_TRACK_ID);
    this.tile.setMicOn(this.micOn);
    this.tile.setCameraOn(this.cameraOn);
    const player = audioOutput?.createPlayer((playout) => {
      this.stats.audioBufferedMs = playout.bufferedMs;
      this.stats.audioUnderruns = playout.underruns;
      this.stats.audioPlayedMs = playout.playedMs;
      this.stats.audioTargetMs = playout.targetMs;
    });
    this.audio = new AudioReceiver(player ?? null, this.stats);
    this.screenOn = participant.screenOn || this.trackIdOf(TrackSource.SCREEN) !== undefined;
  }

  /** The camera tile (the participant's own tile). */
  get tile(): Tile {
    return this.camera.tile;
  }

  /** Called once the page has registered the peer, so a screen tile can join the stage. */
  start(): void {
    this.syncScreen();
  }

  update(participant: Participant): void {
    this.name = participant.displayName || this.name;
    this.micOn = participant.micOn;
    this.cameraOn = participant.cameraOn;
    this.role = participant.role;
    this.connectionState = participant.connectionState;
    this.tracks = participant.tracks;
    this.camera.setName(this.name);
    this.screen?.setName(this.name);
    this.tile.setMicOn(this.micOn);
    this.tile.setCameraOn(this.cameraOn);
    this.tile.setReconnecting(participant.connectionState === ConnectionState.RECONNECTING);
    // Camera back on: show the placeholder until a fresh frame is actually drawn.
    if (!this.cameraOn) this.tile.setHasVideo(false);
    const screenOn = participant.screenOn || this.trackIdOf(TrackSource.SCREEN) !== undefined;
    if (this.screenOn && !screenOn) this.screenEndedAt = performance.now();
    this.screenOn = screenOn;
    this.syncScreen();
  }

  /** Shown as reconnecting while the server we just moved to has not reported this peer yet. */
  markReconnecting(): void {
    this.connectionState = ConnectionState.RECONNECTING;
    this.tile.setReconnecting(true);
  }

  handleMedia(header: HeaderFields, payload: Uint8Array): void {
    if (header.kind === MediaKind.VIDEO) {
      this.camera.handle(header, payload);
    } else if (header.kind === MediaKind.SCREEN) {
      if (!this.screen && performance.now() - this.screenEndedAt > SCREEN_LATE_FRAMES_MS) {
        // A publisher that does not report screen_on: the media itself shows the share.
        this.screenOn = true;
        this.syncScreen();
      }
      this.screen?.handle(header, payload);
    } else if (header.kind === MediaKind.AUDIO) {
      this.audioLoss.note(header.sequence);
      this.stats.audioPacketsReceived = this.audioLoss.received;
      this.stats.audioPacketsLost = this.audioLoss.lost;
      this.audio.handle(header, payload);
      this.tile.noteAudioLevel(header.audioLevel);
    }
  }

  /** Every video tile of this peer (camera first). */
  videos(): RemoteVideo[] {
    return this.screen ? [this.camera, this.screen] : [this.camera];
  }

  close(): void {
    this.camera.close();
    if (this.screen) this.hooks.screenRemoved(this.screen);
    this.screen?.close();
    this.audio.close();
  }

  private trackIdOf(source: TrackSource): number | undefined {
    return this.tracks.find((track) => track.source === source)?.trackId;
  }

  private syncScreen(): void {
    if (this.screenOn && !this.screen) {
      this.screen = this.makeVideo('screen', this.trackIdOf(TrackSource.SCREEN) ?? SCREEN_TRACK_ID);
      this.screen.tile.setMicOn(true);
      this.hooks.screenAdded(this, this.screen);
    } else if (!this.screenOn && this.screen) {
      const screen = this.screen;
      this.screen = null;
      screen.close();
      this.hooks.screenRemoved(screen);
    }
  }

  private makeVideo(source: 'camera' | 'screen', trackId: number): RemoteVideo {
    const options: RemoteVideoOptions = {
      publisherId: this.id,
      trackId,
      source,
      name: this.name,
      // Track id 0 (the publisher's track of that kind) while the roster lists no tracks: a
      // publisher that predates tracks sends track_id 0, and the server matches requests by id.
      requestKeyframe: (track, kind, spatial) =>
        this.hooks.requestKeyframe(this.id, this.tracks.some((t) => t.trackId === track) ? track : 0, kind, spatial),
      wantedHeight: (key) => this.hooks.wantedHeight(key),
      onPin: (key) => this.hooks.onPin(key),
      onPressure: (key, height) => this.hooks.onPressure(key, height),
      temporalLayers: (track) => this.tracks.find((t) => t.trackId === track)?.temporalLayers ?? 0,
    };
    if (source === 'camera') options.peerStats = this.stats;
    return new RemoteVideo(options);
  }
}
