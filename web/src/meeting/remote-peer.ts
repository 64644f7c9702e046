// Everything the page holds for one remote participant: tile, decoders and stats.
import type { Participant } from '../gen/videocall_pb';
import { AudioReceiver } from '../media/audio-receiver';
import { SpatialLayerFilter } from '../media/layer-filter';
import type { AudioOutput } from '../media/audio-output';
import { VideoReceiver } from '../media/video-receiver';
import { ConnectionState } from '../gen/videocall_pb';
import { MediaKind, ParticipantRole, type HeaderFields, toNumber } from '../protocol';
import { newPeerStats, type PeerStats } from '../stats';
import { Tile } from '../ui/tile';

export class RemotePeer {
  readonly id: number;
  readonly tile: Tile;
  readonly stats: PeerStats = newPeerStats();
  name: string;
  micOn: boolean;
  cameraOn: boolean;
  role: ParticipantRole;
  connectionState: ConnectionState;
  private readonly video: VideoReceiver;
  private readonly audio: AudioReceiver;
  private readonly cameraLayer = new SpatialLayerFilter();

  constructor(participant: Participant, audioOutput: AudioOutput | null, requestKeyframe: (kind: MediaKind) => void) {
    this.id = toNumber(participant.participantId);
    this.name = participant.displayName;
    this.micOn = participant.micOn;
    this.cameraOn = participant.cameraOn;
    this.role = participant.role;
    this.connectionState = participant.connectionState;
    const canvas = document.createElement('canvas');
    canvas.width = 640;
    canvas.height = 360;
    this.tile = new Tile({ id: this.id, name: this.name, isSelf: false, media: canvas });
    this.tile.setMicOn(this.micOn);
    this.tile.setCameraOn(this.cameraOn);
    this.video = new VideoReceiver({
      canvas,
      stats: this.stats,
      requestKeyframe: () => requestKeyframe(MediaKind.VIDEO),
      onFrame: () => this.tile.setHasVideo(true),
    });
    const player = audioOutput?.createPlayer((playout) => {
      this.stats.audioBufferedMs = playout.bufferedMs;
      this.stats.audioUnderruns = playout.underruns;
      this.stats.audioPlayedMs = playout.playedMs;
      this.stats.audioTargetMs = playout.targetMs;
    });
    this.audio = new AudioReceiver(player ?? null, this.stats);
  }

  update(participant: Participant): void {
    this.name = participant.displayName || this.name;
    this.micOn = participant.micOn;
    this.cameraOn = participant.cameraOn;
    this.role = participant.role;
    this.connectionState = participant.connectionState;
    this.tile.setName(this.name);
    this.tile.setMicOn(this.micOn);
    this.tile.setCameraOn(this.cameraOn);
    this.tile.setReconnecting(participant.connectionState === ConnectionState.RECONNECTING);
    // Camera back on: show the placeholder until a fresh frame is actually drawn.
    if (!this.cameraOn) this.tile.setHasVideo(false);
  }

  /** Shown as reconnecting while the server we just moved to has not reported this peer yet. */
  markReconnecting(): void {
    this.connectionState = ConnectionState.RECONNECTING;
    this.tile.setReconnecting(true);
  }

  handleMedia(header: HeaderFields, payload: Uint8Array): void {
    if (header.kind === MediaKind.VIDEO) {
      if (this.cameraLayer.accept(header.spatialLayer, header.keyframe, performance.now())) this.video.handle(header, payload);
    } else if (header.kind === MediaKind.AUDIO) {
      this.audio.handle(header, payload);
      this.tile.noteAudioLevel(header.audioLevel);
    }
  }

  close(): void {
    this.video.close();
    this.audio.close();
  }
}
