// Samples the page's counters once a second and turns them into what the indicators and the
// connection details panel show: one QualityJudge and 60 s of bitrate and RTT per subject (our own
// connection, "self", and each remote peer as we receive it).
import { CAMERA_TRACK_ID } from '../meeting/remote-video';
import { stats, type PeerStats } from '../stats';
import { QualityJudge, qualityCauses, type QualityLevel, type QualitySample } from './judge';
import { RingSeries } from './history';
import { lossBetween } from './loss';
import { CAMERA_FRAME_RATE, QUALITY_HISTORY_SAMPLES, QUALITY_SAMPLE_MS, QUALITY_WINDOW_SAMPLES } from './thresholds';

/** What the monitor needs to know about one remote peer. */
export interface MonitoredPeer {
  id: number;
  name: string;
  stats: PeerStats;
  cameraOn: boolean;
  /** A decoder runs for the peer's camera tile (it is on screen): frames are expected. */
  videoDecoding: boolean;
}

export type Subject = 'self' | number;

/** Everything the details panel shows for one subject; null where it does not apply (yet). */
export interface ConnectionSnapshot {
  subject: Subject;
  name: string;
  level: QualityLevel | null;
  /** What pulls the latest sample below good ("low frame rate"), worst first. */
  causes: string[];
  rttMs: number | null;
  sendKbps: number | null;
  receiveKbps: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
  codec: string | null;
  decodeMs: number | null;
  freezes: number | null;
  /** Share of audio packets lost over the last QUALITY_WINDOW_SAMPLES seconds. */
  loss: number | null;
  jitterBufferMs: number | null;
  history: { sendKbps: number[]; receiveKbps: number[]; rttMs: number[] };
}

interface Counters {
  /** performance.now() of the reading. */
  at: number;
  sentBytes: number;
  receivedBytes: number;
  frames: number;
  freezes: number;
  audio: { received: number; lost: number };
}

/** Per subject: counters at each of the last QUALITY_WINDOW_SAMPLES ticks, graphs and the judge. */
class Track {
  readonly judge = new QualityJudge();
  readonly sendKbps = new RingSeries(QUALITY_HISTORY_SAMPLES);
  readonly receiveKbps = new RingSeries(QUALITY_HISTORY_SAMPLES);
  readonly rttMs = new RingSeries(QUALITY_HISTORY_SAMPLES);
  readonly window: Counters[] = [];
  fps: number | null = null;
  loss: number | null = null;
  /** The latest judged sample, for the causes the panel names. */
  sample: QualitySample | null = null;

  /** Adds this tick's counters; returns the oldest kept ones (the window's start). */
  advance(now: Counters): Counters {
    const last = this.window[this.window.length - 1];
    // Counters that went back belong to a new receiver (the peer's tile was recreated): start over.
    if (last && (now.frames < last.frames || now.receivedBytes < last.receivedBytes || now.audio.received < last.audio.received)) {
      this.window.length = 0;
    }
    this.window.push(now);
    if (this.window.length > QUALITY_WINDOW_SAMPLES + 1) this.window.shift();
    return this.window[0]!;
  }

  /** The counters one tick ago. */
  previous(): Counters | null {
    return this.window.length >= 2 ? this.window[this.window.length - 2]! : null;
  }
}

const kbps = (bytes: number, ms: number) => Math.max(0, Math.round((bytes * 8) / ms));

export class ConnectionMonitor {
  private readonly tracks = new Map<Subject, Track>();
  private timer: number | undefined;
  private readonly listeners = new Set<() => void>();
  private reconnecting = false;

  constructor(private readonly peers: () => MonitoredPeer[]) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = window.setInterval(() => this.tick(), QUALITY_SAMPLE_MS);
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Called after every sample (the indicators and an open panel redraw). */
  onSample(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** While the session reconnects the level is not judged (the indicator says "Reconnecting…"). */
  setReconnecting(reconnecting: boolean): void {
    this.reconnecting = reconnecting;
    stats.quality.reconnecting = reconnecting;
    // Nothing flows while reconnecting: judge afresh from the first samples after it.
    if (reconnecting) {
      for (const track of this.tracks.values()) {
        track.judge.reset();
        track.window.length = 0;
        track.sample = null;
      }
    }
    for (const listener of this.listeners) listener();
  }

  get isReconnecting(): boolean {
    return this.reconnecting;
  }

  level(subject: Subject): QualityLevel | null {
    return this.tracks.get(subject)?.judge.level ?? null;
  }

  private track(subject: Subject): Track {
    let track = this.tracks.get(subject);
    if (!track) this.tracks.set(subject, (track = new Track()));
    return track;
  }

  /** Samples every counter once (public for tests that drive it without the timer). */
  tick(): void {
    const now = performance.now();
    const peers = this.peers();
    for (const subject of [...this.tracks.keys()]) {
      if (subject !== 'self' && !peers.some((peer) => peer.id === subject)) this.tracks.delete(subject);
    }
    const received = receivedBytesBySender();
    const selfTrack = this.track('self');
    const rtt = stats.rttMs;
    let allAudio = { received: 0, lost: 0 };
    for (const peer of peers) {
      allAudio = {
        received: allAudio.received + peer.stats.audioPacketsReceived,
        lost: allAudio.lost + peer.stats.audioPacketsLost,
      };
    }
    const totalReceived = [...received.values()].reduce((sum, bytes) => sum + bytes, 0);
    const camera = sentCamera();
    const selfCounters: Counters = { at: now, sentBytes: stats.sent.bytes, receivedBytes: totalReceived, frames: camera.frames, freezes: 0, audio: allAudio };
    this.sample(selfTrack, selfCounters, rtt, camera.active ? CAMERA_FRAME_RATE : null);
    for (const peer of peers) {
      const counters: Counters = {
        at: now,
        sentBytes: stats.sent.bytes,
        receivedBytes: received.get(peer.id) ?? 0,
        frames: peer.stats.videoFramesDecoded,
        freezes: peer.stats.videoFreezes,
        audio: { received: peer.stats.audioPacketsReceived, lost: peer.stats.audioPacketsLost },
      };
      // The peer's own link is not visible from here: its tile is judged by what reaches us.
      this.sample(this.track(peer.id), counters, null, peer.cameraOn && peer.videoDecoding ? CAMERA_FRAME_RATE : null);
    }
    stats.quality.self = selfTrack.judge.level;
    stats.quality.peers = Object.fromEntries(peers.map((peer) => [String(peer.id), this.level(peer.id) ?? 'unknown']));
    for (const listener of this.listeners) listener();
  }

  private sample(track: Track, now: Counters, rttMs: number | null, expectedFps: number | null): void {
    const start = track.advance(now);
    const previous = track.previous(); // the tick before this one (null after a fresh start)
    const windowMs = Math.max(1, now.at - start.at);
    const stepMs = previous ? Math.max(1, now.at - previous.at) : 1;
    track.sendKbps.push(previous ? kbps(now.sentBytes - previous.sentBytes, stepMs) : 0);
    track.receiveKbps.push(previous ? kbps(now.receivedBytes - previous.receivedBytes, stepMs) : 0);
    if (rttMs !== null) track.rttMs.push(rttMs);
    track.fps = expectedFps !== null && track.window.length > 1 ? ((now.frames - start.frames) * 1000) / windowMs : null;
    track.loss = lossBetween(start.audio, now.audio);
    if (this.reconnecting || track.window.length < 2) return;
    track.sample = { rttMs, loss: track.loss, fps: track.fps, expectedFps, freezes: now.freezes - start.freezes };
    track.judge.update(track.sample);
  }

  snapshot(subject: Subject, peer: MonitoredPeer | null): ConnectionSnapshot {
    const track = this.track(subject);
    const self = subject === 'self';
    const camera = sentCamera();
    return {
      subject,
      name: peer?.name ?? stats.displayName ?? '',
      level: this.reconnecting ? null : track.judge.level,
      causes: track.sample && !this.reconnecting ? qualityCauses(track.sample) : [],
      rttMs: stats.rttMs,
      sendKbps: this.tracks.get('self')?.sendKbps.last() ?? null,
      receiveKbps: track.receiveKbps.last(),
      width: self ? camera.width || null : peer?.stats.videoWidth || null,
      height: self ? camera.height || null : peer?.stats.videoHeight || null,
      fps: track.fps === null ? null : Math.round(track.fps),
      codec: self ? stats.videoCodec : peer?.stats.videoCodec ?? null,
      decodeMs: self || !peer?.stats.videoFramesDecoded ? null : Math.round(peer.stats.videoDecodeMs * 10) / 10,
      freezes: self ? null : peer?.stats.videoFreezes ?? null,
      loss: track.loss,
      jitterBufferMs: self ? null : peer && peer.stats.audioPacketsReceived > 0 ? Math.round(peer.stats.audioBufferedMs) : null,
      history: {
        sendKbps: (this.tracks.get('self')?.sendKbps ?? track.sendKbps).toArray(),
        receiveKbps: track.receiveKbps.toArray(),
        rttMs: (this.tracks.get('self')?.rttMs ?? track.rttMs).toArray(),
      },
    };
  }
}

/** Bytes received so far per sender (stats.received is keyed sender/track/layer). */
function receivedBytesBySender(): Map<number, number> {
  const bySender = new Map<number, number>();
  for (const entry of Object.values(stats.received)) bySender.set(entry.senderId, (bySender.get(entry.senderId) ?? 0) + entry.bytes);
  return bySender;
}

/** Frames our camera has sent (its best encoding) and that encoding's size. */
function sentCamera(): { frames: number; width: number; height: number; active: boolean } {
  let best = { frames: 0, width: 0, height: 0, active: false };
  for (const [key, encoding] of Object.entries(stats.encodings)) {
    if (!key.startsWith(`${CAMERA_TRACK_ID}/`) || !encoding.active) continue;
    if (encoding.height >= best.height) best = { frames: encoding.framesSent, width: encoding.width, height: encoding.height, active: true };
  }
  return best;
}
