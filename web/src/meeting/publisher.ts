// The local participant's published tracks (PROTOCOL.md §11.1): microphone (id 1), simulcast
// camera (2), screen share (3) and screen audio (4). Each track is announced with PublishTrack
// before its first frame, updated on mute and layer changes, removed with UnpublishTrack, and
// announced again after every JoinAccepted (a resumed identity keeps them, a new one has none).
import { TrackSource, type VideoLayer } from '../gen/videocall_pb';
import { AudioSender } from '../media/audio-sender';
import { openScreenCapture, type ScreenCapture } from '../media/screen-capture';
import { cameraEncodings, screenEncoding, type EncodingSpec } from '../media/simulcast';
import { VideoSender } from '../media/video-sender';
import { Codec, MediaKind, codecName, type ControlMessage, type HeaderFields } from '../protocol';
import { stats, type EncodingStats, type PublisherDebugHooks } from '../stats';

export const TRACK_IDS = { microphone: 1, camera: 2, screen: 3, screenAudio: 4 } as const;

/** What the publisher needs of the session (MeetingSession implements it). */
export interface PublisherSession {
  readonly isJoined: boolean;
  readonly maxEnvelopeBytes: number;
  sendControl(message: ControlMessage): void;
  sendMedia(header: Partial<HeaderFields>, payload: Uint8Array): void;
  backlogBytes(): number;
  setMediaState(state: { micOn?: boolean; cameraOn?: boolean; screenOn?: boolean }): void;
}

export interface PublisherOptions {
  preferredCodec: 'vp9' | 'vp8';
  cameraFrameRate: number;
  /** Most camera encodings (cameraCapturePlan); fewer when the source is small or the CPU slow. */
  cameraMaxLayers: number;
  keyframeIntervalMs: number;
  onError(message: string): void;
  /** Screen sharing started or ended (by us, or by the browser's own "Stop sharing"). */
  onScreenChange(sharing: boolean): void;
}

interface LocalTrack {
  source: TrackSource;
  kind: MediaKind;
  codec: Codec;
  muted: boolean;
  layers: EncodingSpec[];
  temporalLayers: number;
}

/** Screen keyframes are large (a 1080p text slide): periodic ones are rare, requests come first. */
const SCREEN_KEYFRAME_INTERVAL_MS = 10_000;
const AUDIO_BITRATE = 32_000;
/**
 * On WebTransport, control and media travel on different QUIC streams, so the first frames after a
 * PublishTrack can reach the server before it and be dropped as media of an unknown track
 * (PROTOCOL.md §7, §11.1). One more keyframe this much later lets receivers start anyway.
 */
const PUBLISH_RACE_KEYFRAME_MS = 300;

export class Publisher {
  private readonly tracks = new Map<number, LocalTrack>();
  private camera: VideoSender | null = null;
  private microphone: AudioSender | null = null;
  private screen: { capture: ScreenCapture; video: VideoSender; audio: AudioSender | null } | null = null;
  private screenStarting = false;
  private started = false;
  private raceTimer: number | undefined;

  constructor(
    private readonly session: PublisherSession,
    /** The current camera and microphone tracks; replaced by setCameraTrack/setMicrophoneTrack. */
    private readonly media: { video: MediaStreamTrack | null; audio: MediaStreamTrack | null },
    private readonly options: PublisherOptions,
  ) {}

  get screenSharing(): boolean {
    return this.screen !== null;
  }

  /** After each JoinAccepted: (re)publish every track, start the senders the first time. */
  onJoined(): void {
    for (const trackId of this.tracks.keys()) this.publish(trackId);
    if (!this.started) {
      this.started = true;
      this.startCamera();
      this.startMicrophone();
    }
    this.requestKeyframes(); // receivers (new or resumed) can only start decoding at a keyframe
    window.clearTimeout(this.raceTimer);
    this.raceTimer = window.setTimeout(() => this.requestKeyframes(), PUBLISH_RACE_KEYFRAME_MS);
  }

  /** A peer joined: it needs keyframes of everything we send (the old server has no GOP cache). */
  requestKeyframes(): void {
    this.camera?.requestKeyframe();
    this.screen?.video.requestKeyframe();
  }

  /** KeyframeRequest from the server; `spatialLayer` names one camera encoding. */
  keyframeRequested(kind: MediaKind, trackId: number, spatialLayer: number): void {
    stats.sent.keyframeRequestsReceived++;
    const sender =
      trackId === TRACK_IDS.screen || kind === MediaKind.SCREEN
        ? this.screen?.video
        : trackId === TRACK_IDS.camera || kind === MediaKind.VIDEO || kind === MediaKind.UNSPECIFIED
          ? this.camera
          : null;
    // Track id 0 comes from servers that predate tracks: then every encoding gets one.
    sender?.requestKeyframe(trackId === 0 ? undefined : spatialLayer, true);
  }

  setMicOn(on: boolean): void {
    if (this.microphone) this.microphone.enabled = on;
    this.setMuted(TRACK_IDS.microphone, !on);
  }

  setCameraOn(on: boolean): void {
    if (this.camera) {
      this.camera.enabled = on;
      if (on) this.camera.requestKeyframe();
    }
    this.setMuted(TRACK_IDS.camera, !on);
  }

  /**
   * A new camera track (another device, or the camera back on), or null (camera off: the track was
   * stopped so the camera light goes out). The sender keeps its encodings; the new track's first
   * frame is a keyframe. A camera that was off since the join starts its sender here.
   */
  setCameraTrack(track: MediaStreamTrack | null): void {
    this.media.video = track;
    if (this.camera) this.camera.setTrack(track);
    else if (this.started && track) this.startCamera();
  }

  /** A new microphone track (another device); the encoder carries on. */
  setMicrophoneTrack(track: MediaStreamTrack): void {
    this.media.audio = track;
    if (this.microphone) this.microphone.setTrack(track);
    else if (this.started) this.startMicrophone();
  }

  /** Test hook (window.__vcDebug): the next camera frame of every encoding is undecodable. */
  sendCorruptVideoFrame(): void {
    this.camera?.sendCorruptFrameNext();
  }

  /** Hooks for tests (window.__vcDebug) that enter through the same paths as the real events. */
  debugHooks(): PublisherDebugHooks {
    return {
      keyframeRequest: (kind, trackId, spatialLayer) => this.keyframeRequested(kind, trackId, spatialLayer),
      endScreenCaptureFromBrowser: () => {
        const track = this.screen?.capture.video;
        if (!track) return;
        track.stop(); // stop() alone fires no 'ended'; the browser's own UI does both
        track.dispatchEvent(new Event('ended'));
      },
    };
  }

  /** Asks the browser for a screen, window or tab and publishes it (and its audio when offered). */
  async startScreenShare(): Promise<void> {
    if (this.screen || this.screenStarting) return;
    this.screenStarting = true;
    let capture: ScreenCapture;
    try {
      capture = await openScreenCapture();
    } catch (error) {
      this.screenStarting = false;
      // Cancelling the picker is a choice, not an error worth a banner.
      if (!(error instanceof DOMException && error.name === 'NotAllowedError')) this.options.onError(`Screen share failed: ${String(error)}`);
      return;
    }
    this.screenStarting = false;
    const video = new VideoSender(capture.video, {
      trackId: TRACK_IDS.screen,
      kind: MediaKind.SCREEN,
      preferred: this.options.preferredCodec,
      keyframeIntervalMs: SCREEN_KEYFRAME_INTERVAL_MS,
      plan: (width, height) => [screenEncoding(width, height, capture.frameRate)],
      maxLayers: 1,
      contentHint: capture.video.contentHint || 'text',
      endsWithTrack: true,
      ...this.videoPlumbing(TRACK_IDS.screen, TrackSource.SCREEN, MediaKind.SCREEN),
    });
    const audio = capture.audio ? this.audioSender(capture.audio, TRACK_IDS.screenAudio) : null;
    this.screen = { capture, video, audio };
    stats.screenSharing = true;
    if (capture.audio) this.declare(TRACK_IDS.screenAudio, { source: TrackSource.SCREEN_AUDIO, kind: MediaKind.AUDIO, codec: Codec.OPUS, muted: false, layers: [], temporalLayers: 0 });
    this.session.setMediaState({ screenOn: true });
    this.options.onScreenChange(true);
    // The browser's own "Stop sharing" ends the track: the read loop ends and so does the share.
    // Only this share: a later one must not be stopped by this one's late end.
    const ended = () => {
      if (this.screen?.video === video) this.stopScreenShare();
    };
    capture.video.addEventListener('ended', ended);
    void video.run().then(ended);
    if (audio) void audio.run();
  }

  /** Stops sharing: senders, capture, UnpublishTrack, MediaState.screen_on = false. Idempotent. */
  stopScreenShare(): void {
    const screen = this.screen;
    if (!screen) return;
    this.screen = null;
    screen.video.stop();
    screen.audio?.stop();
    screen.capture.stop();
    this.unpublish(TRACK_IDS.screen);
    this.unpublish(TRACK_IDS.screenAudio);
    stats.screenSharing = false;
    this.session.setMediaState({ screenOn: false });
    this.options.onScreenChange(false);
  }

  stop(): void {
    window.clearTimeout(this.raceTimer);
    this.stopScreenShare();
    this.camera?.stop();
    this.microphone?.stop();
    this.camera = this.microphone = null;
  }

  private startCamera(): void {
    const track = this.media.video;
    if (!track) return;
    this.camera = new VideoSender(track, {
      trackId: TRACK_IDS.camera,
      kind: MediaKind.VIDEO,
      preferred: this.options.preferredCodec,
      keyframeIntervalMs: this.options.keyframeIntervalMs,
      plan: (width, height, layers) => cameraEncodings(width, height, layers, this.options.cameraFrameRate),
      maxLayers: this.options.cameraMaxLayers,
      onGovernor: (layers) => (stats.cameraLayersAllowed = layers),
      ...this.videoPlumbing(TRACK_IDS.camera, TrackSource.CAMERA, MediaKind.VIDEO),
    });
    stats.cameraLayersAllowed = this.options.cameraMaxLayers;
    this.camera.enabled = track.enabled;
    void this.camera.run();
  }

  private startMicrophone(): void {
    const track = this.media.audio;
    if (!track) return;
    this.declare(TRACK_IDS.microphone, { source: TrackSource.MICROPHONE, kind: MediaKind.AUDIO, codec: Codec.OPUS, muted: !track.enabled, layers: [], temporalLayers: 0 });
    this.microphone = this.audioSender(track, TRACK_IDS.microphone);
    this.microphone.enabled = track.enabled;
    void this.microphone.run();
  }

  private audioSender(track: MediaStreamTrack, trackId: number): AudioSender {
    return new AudioSender(track, {
      trackId,
      bitrate: AUDIO_BITRATE,
      send: (header, payload) => this.session.sendMedia(header, payload),
      onSent: () => stats.sent.audioFrames++,
      onError: this.options.onError,
    });
  }

  /** Sender callbacks shared by camera and screen: the track is (re)published when layers change. */
  private videoPlumbing(trackId: number, source: TrackSource, kind: MediaKind) {
    const counted = trackId === TRACK_IDS.camera; // the legacy stats.sent counters describe the camera
    return {
      send: (header: Partial<HeaderFields>, payload: Uint8Array) => {
        this.session.sendMedia(header, payload);
        if (!counted) return;
        stats.sent.videoFrames++;
        if (header.keyframe) stats.sent.videoKeyframes++;
      },
      backlogBytes: () => this.session.backlogBytes(),
      maxEnvelopeBytes: () => this.session.maxEnvelopeBytes,
      onLayers: (codec: Codec, layers: EncodingSpec[], temporalLayers: number) => {
        if (counted) stats.videoCodec = codecName(codec);
        const muted = trackId === TRACK_IDS.camera ? !(this.camera?.enabled ?? true) : false;
        this.declare(trackId, { source, kind, codec, muted, layers, temporalLayers });
      },
      onEncodingStats: (encoding: EncodingStats) => {
        stats.encodings[`${trackId}/${encoding.spatialLayer}`] = encoding;
      },
      onError: this.options.onError,
    };
  }

  /** Remembers a track's description and publishes it (before any frame of it is sent). */
  private declare(trackId: number, track: LocalTrack): void {
    const before = this.tracks.get(trackId);
    this.tracks.set(trackId, track);
    this.publish(trackId);
    if (track.kind === MediaKind.AUDIO || !this.session.isJoined) return;
    const added = track.layers.filter((layer) => !before?.layers.some((old) => old.spatialLayer === layer.spatialLayer && old.height === layer.height));
    const sender = trackId === TRACK_IDS.camera ? () => this.camera : () => this.screen?.video;
    for (const layer of added) window.setTimeout(() => sender()?.requestKeyframe(layer.spatialLayer), PUBLISH_RACE_KEYFRAME_MS);
  }

  private setMuted(trackId: number, muted: boolean): void {
    const track = this.tracks.get(trackId);
    if (!track || track.muted === muted) return;
    track.muted = muted;
    this.publish(trackId);
  }

  private publish(trackId: number): void {
    const track = this.tracks.get(trackId);
    if (!track) return;
    const layers: Array<Omit<VideoLayer, '$typeName' | '$unknown'>> = track.layers.map((layer) => ({
      spatialLayer: layer.spatialLayer,
      width: layer.width,
      height: layer.height,
      maxBitrateBps: layer.bitrate,
      maxFps: layer.maxFps,
    }));
    stats.tracks[String(trackId)] = {
      source: TrackSource[track.source] ?? 'UNSPECIFIED',
      kind: MediaKind[track.kind] ?? 'UNSPECIFIED',
      muted: track.muted,
      layers: layers.map(({ spatialLayer, width, height }) => ({ spatialLayer, width, height })),
    };
    if (!this.session.isJoined) return; // sent with the others after the next JoinAccepted
    this.session.sendControl({
      case: 'publishTrack',
      value: {
        track: {
          trackId,
          source: track.source,
          kind: track.kind,
          codec: track.codec,
          muted: track.muted,
          layers,
          temporalLayers: track.temporalLayers,
        },
      },
    });
  }

  private unpublish(trackId: number): void {
    if (!this.tracks.delete(trackId)) return;
    delete stats.tracks[String(trackId)];
    if (this.session.isJoined) this.session.sendControl({ case: 'unpublishTrack', value: { trackId } });
  }
}
