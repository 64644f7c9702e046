// Live client state exposed as window.__vc for tests and debugging (read with page.evaluate).
import type { CapabilityReport } from './capabilities';

export interface PeerStats {
  videoFramesDecoded: number;
  audioFramesDecoded: number;
  videoKeyframesReceived: number;
  keyframeRequestsSent: number;
  videoDecoderResets: number;
  /** Frames not decoded on purpose under decode pressure (non-reference temporal layers). */
  videoFramesSkipped: number;
  /** Times decode pressure asked the server for a lower layer of this peer's video. */
  videoPressureDowngrades: number;
  videoCodec: string | null;
  videoWidth: number;
  videoHeight: number;
  /** From the AudioWorklet playout (jitter buffer); zero while audio output is blocked. */
  audioBufferedMs: number;
  audioUnderruns: number;
  audioPlayedMs: number;
  audioTargetMs: number;
  /** Mean time from decode() to the decoded frame (ms, running average over recent frames). */
  videoDecodeMs: number;
  /** Frames drawn late enough to count as a freeze (quality/freeze.ts). */
  videoFreezes: number;
  /** Audio packets received from this peer, and missing ones (sequence gaps; quality/loss.ts). */
  audioPacketsReceived: number;
  audioPacketsLost: number;
  /** Milliseconds from this peer appearing to its first drawn video frame (null until then). */
  firstVideoFrameMs: number | null;
  /** performance.now() of the first drawn video frame (null until then); minus joinStartedAt = join to first frame. */
  firstVideoFrameAt: number | null;
  /** performance.now() when the peer appeared; basis for firstVideoFrameMs. */
  createdAt: number;
}

export interface RosterEntry {
  id: number;
  name: string;
  micOn: boolean;
  cameraOn: boolean;
  role: string;
  /** "CONNECTED", or "RECONNECTING" while the server holds the peer's place. */
  connection: string;
  /** Simulcast encodings the peer's camera track offers (0 when the server reports no tracks). */
  videoLayers: number;
}

/** One remote video tile (a publisher's camera or screen track), for tests and debugging. */
export interface TileStats {
  publisherId: number;
  trackId: number;
  source: 'camera' | 'screen';
  /** On screen (current page, in the viewport) and so decoded. */
  visible: boolean;
  /** A VideoDecoder exists for the tile right now. */
  decoding: boolean;
  large: boolean;
  /** Device pixels of the tile's height. */
  pixelHeight: number;
  /** What this page asks the server for: 'paused', or a max height (0 = highest). */
  wanted: 'paused' | number;
  framesDecoded: number;
  /** Size of the last decoded frame (0 before the first, kept after the decoder closes). */
  width: number;
  height: number;
  spatialLayer: number;
  /** Spatial layers that frames arrived on (the old server forwards every layer). */
  layersSeen: number[];
  decodersCreated: number;
  skippedT2: number;
  skippedT1: number;
  /** Frames of a spatial layer other than the one being decoded (dropped). */
  skippedOtherLayer: number;
  pressureDowngrades: number;
  decoderResets: number;
  /**
   * Capture-to-screen latency of the last drawn frames (ms, newest last, at most LATENCY_SAMPLES):
   * the wall clock when drawn minus the sender's capture_time_us. Sender and receiver share a clock
   * only on one machine (the benchmark's case); across machines it includes their clock offset.
   */
  latencyMs: number[];
}

/** How many capture-to-screen latencies a tile keeps (bench/browser reads them). */
export const LATENCY_SAMPLES = 600;

/** What the page subscribed to (PROTOCOL.md §11.3). */
export interface SubscriptionStats {
  /** The defaults sent in Hello (and in the latest UpdateSubscriptions that changed them). */
  defaults: { video: string; maxHeight: number; lastN: number; lastNMaxHeight: number } | null;
  updatesSent: number;
  /** Explicit subscriptions as last sent, keyed "publisher/track". */
  current: Record<string, 'paused' | number>;
  /** The latest UpdateSubscriptions in short form, e.g. ["5/2:360", "7/2:paused"]. */
  lastUpdate: string[];
}

export interface LayoutStats {
  mode: 'grid' | 'speaker';
  /** Zero-based page of the grid and the number of pages. */
  page: number;
  pages: number;
  perPage: number;
  /** Tile key ("publisher/track" or "self") pinned, the large tile, and the dominant speaker. */
  pinned: string | null;
  large: string | null;
  dominantSpeaker: number | null;
  /** ActiveSpeakers messages received (0 when the server does not send them). */
  activeSpeakerEvents: number;
  /** Window size ("1280x800") the layout was last computed for. */
  viewport: string;
}

/** One encoder's output (a simulcast encoding of the camera, or the screen share). */
export interface EncodingStats {
  trackId: number;
  spatialLayer: number;
  width: number;
  height: number;
  /** False once the encoding was dropped (the machine could not afford it) or its track ended. */
  active: boolean;
  framesSent: number;
  keyframesSent: number;
  bytesSent: number;
  /** Frames sent per L1T3 temporal layer (index = temporal_layer). */
  temporalLayers: number[];
  largestKeyframeBytes: number;
  /** Every frame not sent, by reason: the encoder was still busy (its queue full)... */
  skippedEncoderBusy: number;
  /** ...the transport backlog was over its limit (before encoding, or dropped after)... */
  skippedBacklog: number;
  /** ...or the encoded frame would not fit in one envelope (max_envelope_bytes). */
  skippedOversize: number;
  keyframeRequests: number;
  /** Mean time from encode() to the encoded chunk, over the last measurement window. */
  encodeMs: number;
}

/** What this page received, per sender track and encoding (tests read layer ids off it). */
export interface ReceivedTally {
  senderId: number;
  trackId: number;
  kind: number;
  spatialLayer: number;
  frames: number;
  keyframes: number;
  bytes: number;
  temporalLayers: number[];
  width: number;
  height: number;
}

export type ConnectionStatus = 'idle' | 'joining' | 'connecting' | 'waiting' | 'connected' | 'left' | 'error';

export interface VcStats {
  /** End-to-end encryption mode and safety code (null: off). */
  e2ee: { mode: string; safetyCode: string } | null;
  meetingId: string | null;
  selfId: number | null;
  displayName: string | null;
  transport: string | null;
  /** Base URL (origin) of the server node in use, and every node the page may fail over to. */
  server: string | null;
  servers: string[];
  connection: ConnectionStatus;
  /** performance.now() when the user pressed Join (null before): join-to-first-frame basis. */
  joinStartedAt: number | null;
  /** Everyone else in the meeting (the local participant is not included). */
  roster: RosterEntry[];
  /** Receive-only participants (recorders, viewers): they get everyone's media but have no tile. */
  receiveOnly: { id: number; name: string }[];
  /** Keyed by participant id (as a string). Entries are removed when the peer leaves. */
  peers: Record<string, PeerStats>;
  /** videoReaderFallbacks: camera/screen tracks read through a <video> element (video-sender.ts). */
  sent: { videoFrames: number; audioFrames: number; videoKeyframes: number; videoDropped: number; keyframeRequestsReceived: number; bytes: number; videoReaderFallbacks: number };
  /** Per encoder, keyed "trackId/spatialLayer" (camera "2/0".."2/2", screen "3/0"). */
  encodings: Record<string, EncodingStats>;
  /** Tracks as last published (PublishTrack), keyed by track id; removed on UnpublishTrack. */
  tracks: Record<string, { source: string; kind: string; muted: boolean; layers: { spatialLayer: number; width: number; height: number }[] }>;
  /** Encodings the camera can afford now (the load governor's decision). */
  cameraLayersAllowed: number;
  screenSharing: boolean;
  /** Device ids in use (camera null while off), as the device menus show them. */
  localDevices: { camera: string | null; microphone: string | null; speaker: string | null };
  /** Received media, keyed "senderId/trackId/spatialLayer". */
  received: Record<string, ReceivedTally>;
  videoCodec: string | null;
  rttMs: number | null;
  /** JoinAccepted count (more than 1 after reconnects) and whether the last one resumed the identity. */
  joins: number;
  resumed: boolean;
  /** Roster events received from the server, to check for leave/join flicker. */
  rosterEvents: { joined: number; left: number; updated: number };
  /** AudioContext state: "running" once the browser lets the page play sound. */
  audioOutput: string | null;
  lastError: { code: number | string; message: string } | null;
  /** Remote video tiles keyed "publisher/track" (camera 2, screen 3). */
  tiles: Record<string, TileStats>;
  subscriptions: SubscriptionStats;
  layout: LayoutStats;
  /** Connection quality as the indicators show it (quality/monitor.ts), and whether reconnecting. */
  quality: { self: string | null; peers: Record<string, string>; reconnecting: boolean };
  /** What this browser can do (capabilities.ts), once probed on the pre-join screen. */
  capabilities: CapabilityReport | null;
}

function freshStats(): VcStats {
  return {
    e2ee: null,
    meetingId: null,
    selfId: null,
    displayName: null,
    transport: null,
    server: null,
    servers: [],
    connection: 'idle',
    joinStartedAt: null,
    roster: [],
    receiveOnly: [],
    peers: {},
    sent: { videoFrames: 0, audioFrames: 0, videoKeyframes: 0, videoDropped: 0, keyframeRequestsReceived: 0, bytes: 0, videoReaderFallbacks: 0 },
    encodings: {},
    tracks: {},
    cameraLayersAllowed: 0,
    screenSharing: false,
    localDevices: { camera: null, microphone: null, speaker: null },
    received: {},
    videoCodec: null,
    rttMs: null,
    joins: 0,
    resumed: false,
    rosterEvents: { joined: 0, left: 0, updated: 0 },
    audioOutput: null,
    lastError: null,
    tiles: {},
    subscriptions: { defaults: null, updatesSent: 0, current: {}, lastUpdate: [] },
    layout: { mode: 'grid', page: 0, pages: 1, perPage: 0, pinned: null, large: null, dominantSpeaker: null, activeSpeakerEvents: 0, viewport: '' },
    quality: { self: null, peers: {}, reconnecting: false },
    capabilities: null,
  };
}

/** Test hooks of the sending side (src/meeting/publisher.ts). */
export interface PublisherDebugHooks {
  /** As if the server sent KeyframeRequest{kind, track_id, spatial_layer}. */
  keyframeRequest(kind: number, trackId: number, spatialLayer: number): void;
  /** As if the user pressed the browser's own "Stop sharing": the capture track ends. */
  endScreenCaptureFromBrowser(): void;
}

/** What window.__vcDebug.e2ee() reports. */
export interface E2eeDebug {
  mode: string;
  safetyCode: string;
  encrypted: number;
  decrypted: number;
  authFailed: number;
  noKey: number;
  malformed: number;
}

declare global {
  interface Window {
    __vc: VcStats;
    /** Test hooks, present while in a meeting. */
    __vcDebug?: {
      dropTransport(): void;
      sendCorruptVideoFrame(): void;
      /** Grid pages of this many tiles (0: the normal 3x3 or 4x4), to test paging with few participants. */
      setGridPageSize?(tiles: number): void;
      /** End-to-end encryption: mode, safety code and frame counters (PROTOCOL.md §15). */
      e2ee?(): Partial<E2eeDebug>;
    } & Partial<PublisherDebugHooks>;
  }
}

export const stats: VcStats = freshStats();
window.__vc = stats;

/** Clears everything between meetings (the object identity stays the same). */
export function resetStats(): void {
  Object.assign(stats, freshStats());
}

export function newTileStats(publisherId: number, trackId: number, source: 'camera' | 'screen'): TileStats {
  return {
    publisherId,
    trackId,
    source,
    visible: false,
    decoding: false,
    large: false,
    pixelHeight: 0,
    wanted: 'paused',
    framesDecoded: 0,
    width: 0,
    height: 0,
    spatialLayer: 0,
    layersSeen: [],
    decodersCreated: 0,
    skippedT2: 0,
    skippedT1: 0,
    skippedOtherLayer: 0,
    pressureDowngrades: 0,
    decoderResets: 0,
    latencyMs: [],
  };
}

export function newPeerStats(): PeerStats {
  return {
    videoFramesDecoded: 0,
    audioFramesDecoded: 0,
    videoKeyframesReceived: 0,
    keyframeRequestsSent: 0,
    videoDecoderResets: 0,
    videoFramesSkipped: 0,
    videoPressureDowngrades: 0,
    videoCodec: null,
    videoWidth: 0,
    videoHeight: 0,
    videoDecodeMs: 0,
    videoFreezes: 0,
    audioPacketsReceived: 0,
    audioPacketsLost: 0,
    firstVideoFrameMs: null,
    firstVideoFrameAt: null,
    audioBufferedMs: 0,
    audioUnderruns: 0,
    audioPlayedMs: 0,
    audioTargetMs: 0,
    createdAt: performance.now(),
  };
}

export function newEncodingStats(trackId: number, spatialLayer: number, width: number, height: number): EncodingStats {
  return {
    trackId,
    spatialLayer,
    width,
    height,
    active: true,
    framesSent: 0,
    keyframesSent: 0,
    bytesSent: 0,
    temporalLayers: [0, 0, 0],
    largestKeyframeBytes: 0,
    skippedEncoderBusy: 0,
    skippedBacklog: 0,
    skippedOversize: 0,
    keyframeRequests: 0,
    encodeMs: 0,
  };
}

/** Counts one received media envelope (cheap: one map lookup per frame). */
export function tallyReceived(header: {
  senderParticipantId: bigint;
  trackId: number;
  kind: number;
  spatialLayer: number;
  temporalLayer: number;
  keyframe: boolean;
  width: number;
  height: number;
}, bytes: number): void {
  const key = `${header.senderParticipantId}/${header.trackId}/${header.spatialLayer}`;
  let entry = stats.received[key];
  if (!entry) {
    entry = {
      senderId: Number(header.senderParticipantId),
      trackId: header.trackId,
      kind: header.kind,
      spatialLayer: header.spatialLayer,
      frames: 0,
      keyframes: 0,
      bytes: 0,
      temporalLayers: [0, 0, 0],
      width: 0,
      height: 0,
    };
    stats.received[key] = entry;
  }
  entry.frames++;
  entry.bytes += bytes;
  if (header.keyframe) entry.keyframes++;
  if (header.temporalLayer < entry.temporalLayers.length) entry.temporalLayers[header.temporalLayer]!++;
  entry.width = header.width;
  entry.height = header.height;
}
