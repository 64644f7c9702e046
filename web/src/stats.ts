// Live client state exposed as window.__vc for tests and debugging (read with page.evaluate).

export interface PeerStats {
  videoFramesDecoded: number;
  audioFramesDecoded: number;
  videoKeyframesReceived: number;
  keyframeRequestsSent: number;
  videoDecoderResets: number;
  videoCodec: string | null;
  videoWidth: number;
  videoHeight: number;
  /** From the AudioWorklet playout (jitter buffer); zero while audio output is blocked. */
  audioBufferedMs: number;
  audioUnderruns: number;
  audioPlayedMs: number;
  audioTargetMs: number;
  /** Milliseconds from this peer appearing to its first drawn video frame (null until then). */
  firstVideoFrameMs: number | null;
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
}

export type ConnectionStatus = 'idle' | 'joining' | 'connecting' | 'connected' | 'left' | 'error';

export interface VcStats {
  meetingId: string | null;
  selfId: number | null;
  displayName: string | null;
  transport: string | null;
  /** Base URL (origin) of the server node in use, and every node the page may fail over to. */
  server: string | null;
  servers: string[];
  connection: ConnectionStatus;
  /** Everyone else in the meeting (the local participant is not included). */
  roster: RosterEntry[];
  /** Receive-only participants (recorders, viewers): they get everyone's media but have no tile. */
  receiveOnly: { id: number; name: string }[];
  /** Keyed by participant id (as a string). Entries are removed when the peer leaves. */
  peers: Record<string, PeerStats>;
  sent: { videoFrames: number; audioFrames: number; videoKeyframes: number; videoDropped: number; keyframeRequestsReceived: number };
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
}

function freshStats(): VcStats {
  return {
    meetingId: null,
    selfId: null,
    displayName: null,
    transport: null,
    server: null,
    servers: [],
    connection: 'idle',
    roster: [],
    receiveOnly: [],
    peers: {},
    sent: { videoFrames: 0, audioFrames: 0, videoKeyframes: 0, videoDropped: 0, keyframeRequestsReceived: 0 },
    videoCodec: null,
    rttMs: null,
    joins: 0,
    resumed: false,
    rosterEvents: { joined: 0, left: 0, updated: 0 },
    audioOutput: null,
    lastError: null,
  };
}

declare global {
  interface Window {
    __vc: VcStats;
    /** Test hooks, present while in a meeting. */
    __vcDebug?: { dropTransport(): void; sendCorruptVideoFrame(): void };
  }
}

export const stats: VcStats = freshStats();
window.__vc = stats;

/** Clears everything between meetings (the object identity stays the same). */
export function resetStats(): void {
  Object.assign(stats, freshStats());
}

export function newPeerStats(): PeerStats {
  return {
    videoFramesDecoded: 0,
    audioFramesDecoded: 0,
    videoKeyframesReceived: 0,
    keyframeRequestsSent: 0,
    videoDecoderResets: 0,
    videoCodec: null,
    videoWidth: 0,
    videoHeight: 0,
    firstVideoFrameMs: null,
    audioBufferedMs: 0,
    audioUnderruns: 0,
    audioPlayedMs: 0,
    audioTargetMs: 0,
    createdAt: performance.now(),
  };
}
