// Protocol session for one meeting: REST join, transport, Hello, and dispatch of server messages.
// Media capture/playback and UI live elsewhere; this class only speaks the wire protocol.
import { joinMeeting, refreshToken, serverOrigin, type JoinResponse } from '../api';
import { MeetingError, closeCodeText } from '../errors';
import type { ChatMessage, HostActionEvent, MeetingSettings, Participant } from '../gen/videocall_pb';
import {
  type ControlMessage,
  type HeaderFields,
  ParticipantRole,
  MediaKind,
  decodeEnvelope,
  encodeControl,
  encodeMedia,
  helloMessage,
  toNumber,
} from '../protocol';
import { E2eeSession, type E2eeOptions } from '../e2ee/e2ee-session';
import { stats, tallyReceived } from '../stats';
import { connectTransport, type Transport, type TransportOptions } from '../transport';

export type { Participant };
export type HelloSubscriptions = Parameters<typeof helloMessage>[1];

/** Where the session is connected: a server base URL (origin) and the transport's name. */
export interface ConnectionInfo {
  server: string;
  transport: string;
}

export interface SessionEvents {
  joined(selfId: number, self: Participant | undefined, roster: Participant[], resumed: boolean, via: ConnectionInfo): void;
  participantJoined(participant: Participant): void;
  participantLeft(participantId: number): void;
  participantUpdated(participant: Participant): void;
  media(header: HeaderFields, payload: Uint8Array): void;
  /** The server asks for a keyframe of one of our tracks (`spatialLayer`: the camera encoding). */
  keyframeRequested(kind: MediaKind, trackId: number, spatialLayer: number): void;
  /** The server's dominant speaker changed (PROTOCOL.md §11.5); servers before issue 10 never send it. */
  activeSpeakers?(dominant: number, recent: number[]): void;
  /** Chat (PROTOCOL.md §12): `live` for a ChatMessage, false for a ChatHistory (join, other nodes). */
  chat?(messages: ChatMessage[], live: boolean): void;
  reaction?(participantId: number, emoji: string): void;
  /** In the waiting room (PROTOCOL.md §14.3): no roster, no media until a host admits us. */
  waiting?(settings: MeetingSettings | undefined): void;
  /** Host actions (PROTOCOL.md §14.4), the waiting list (hosts and co-hosts only) and settings. */
  hostAction?(event: HostActionEvent): void;
  waitingList?(waiting: Participant[]): void;
  settings?(settings: MeetingSettings): void;
  /** One request was refused (`request`: its Control field number); the connection stays up. */
  refused?(code: number, message: string, request: number): void;
  rtt(milliseconds: number): void;
  /** The transport dropped; the session is trying to resume within the server's grace period. */
  reconnecting(attempt: number, server: string): void;
  /** The session is over because of an error; it will not deliver further events. */
  failed(error: MeetingError): void;
}

const JOIN_ACCEPT_TIMEOUT_MS = 10_000;
const CLOSE_SERVER_SHUTTING_DOWN = 4503;
const CLOSE_UNAUTHORIZED = 4401;
/** Liveness tick; every second tick sends a ping, which the server answers with a pong. */
const LIVENESS_TICK_MS = 500;
/**
 * Nothing at all from the server for this long (pongs, media, control) means the connection is
 * dead even though the transport has not noticed (a frozen or unplugged node: no RST, no ICMP).
 * The other nodes hold a lost node's participants for 4 s (PROTOCOL.md §8), so this must be well
 * below that for a failover to resume the identity.
 */
const SILENCE_TIMEOUT_MS = 2_000;
/** A reconnect's WebSocket must open within this time (WebTransport has its own 1.5 s limit). */
const RECONNECT_WEBSOCKET_TIMEOUT_MS = 2_000;
/**
 * Backoff before each reconnect round; the server holds our identity for about 5 s (a killed
 * node's participants are held by the other nodes for 4 s). A round tries the current server,
 * then each other known server in list order, and stops at the first that connects.
 */
const RECONNECT_DELAYS_MS = [250, 750, 1500, 3000];
/**
 * Backoff after a graceful shutdown (4503) of the only server: a restart (a deploy, systemd) takes
 * longer than a network blip, so the rounds are spread over about a minute before giving up. The new
 * process accepts our still-valid token (the secret lives in its data directory), so the same
 * identity comes back, though not `resumed` (the room is new).
 */
const RESTART_RECONNECT_DELAYS_MS = [500, 1000, 1500, 2000, 3000, 4000, ...new Array<number>(9).fill(5000)];
/** How long a reconnect waits for another node's token endpoint before using its WebSocket directly. */
const FAILOVER_REFRESH_TIMEOUT_MS = 1000;
/** Refresh the room token this long before it expires when a reconnect needs it. */
const TOKEN_MARGIN_S = 15;
/** Renew the room token this long before it expires, so a reconnect keeps our identity. */
const TOKEN_RENEW_BEFORE_S = 60;
const TOKEN_RENEW_RETRY_MS = 10_000;
const TOKEN_RENEW_TIMEOUT_MS = 5_000;

/** Transport options from a join/token response that `server` gave (its URLs are relative to it). */
function transportOptionsFrom(join: JoinResponse, server: string): TransportOptions {
  return {
    wsUrl: new URL(join.ws_url, `${server}/`).toString(),
    token: join.token,
    ...(join.webtransport?.url
      ? { webTransport: { url: join.webtransport.url, certificateHashes: join.webtransport.certificate_hashes ?? [] } }
      : {}),
  };
}

/** What the participant-level MediaState says (Hello and MediaState messages). */
export interface MediaStateFields {
  micOn: boolean;
  cameraOn: boolean;
  screenOn?: boolean;
}

/** Until JoinAccepted says otherwise (limits::kMaxEnvelopeBytes). */
const DEFAULT_MAX_ENVELOPE_BYTES = 1 << 20;

export class MeetingSession {
  private joined = false;
  /** JoinAccepted said WAITING: the transport is up but we are not in the meeting yet. */
  private waiting = false;
  private maxEnvelope = DEFAULT_MAX_ENVELOPE_BYTES;
  private ended = false;
  private pingTimer: number | undefined;
  private acceptTimer: number | undefined;
  private nonce = 0;
  private reconnectAttempt = 0;
  private renewTimer: number | undefined;
  /** Joined with an invitation token: a fresh guest join is no way back in (it may be off). */
  private invited = false;
  /**
   * Server base URLs (origins) to connect through: the page's own server first, then the
   * `alternate_servers` the join and token responses announce. `serverIndex` is the one in use.
   */
  private readonly servers: string[] = [];
  private serverIndex = 0;
  /** A graceful shutdown (4503) of the current server: resume through the next one. */
  private serverLeaving = false;
  /** Reconnecting after a server restart (4503): the longer backoff, and a fresh join if the pass is refused. */
  private restarting = false;
  private freshJoinRequired = false;
  /** performance.now() of the last message from the server, and of the last liveness check. */
  private lastReceivedAt = 0;
  private lastCheckAt = 0;
  private ticks = 0;
  /** End-to-end encryption (PROTOCOL.md §15); media waits while a join sets it up. */
  private e2ee: E2eeSession | undefined;
  private e2eeReady: Promise<void> = Promise.resolve();
  private e2eePending = false;
  /** Encryption and decryption are asynchronous: these chains keep frames in order. */
  private sendChain: Promise<void> = Promise.resolve();
  private receiveChain: Promise<void> = Promise.resolve();

  private constructor(
    private transport: Transport,
    private readonly events: SessionEvents,
    /** The latest join or token response; its URLs belong to `joinServer`. */
    private join: JoinResponse,
    private joinServer: string,
    private readonly meetingId: string,
    private readonly displayName: string,
    private mediaState: MediaStateFields,
    private readonly subscriptionDefaults?: () => HelloSubscriptions,
  ) {
    this.servers.push(joinServer);
    this.learnServers(join);
  }

  /** JoinAccepted received and the transport up: media and track messages may be sent. */
  get isJoined(): boolean {
    return this.joined && !this.waiting && !this.ended;
  }

  /** Largest envelope the server accepts (JoinAccepted.max_envelope_bytes); larger ones close the connection. */
  get maxEnvelopeBytes(): number {
    return this.maxEnvelope;
  }

  get transportName(): string {
    return this.transport.name;
  }

  /** Base URL of the server the session is connected (or reconnecting) to. */
  get serverUrl(): string {
    return this.servers[this.serverIndex]!;
  }

  /** Every server the session knows, current first in list order (for the UI and tests). */
  get knownServers(): readonly string[] {
    return this.servers;
  }

  /** Appends servers a response announces that are not in the list yet; the order never changes. */
  private learnServers(join: JoinResponse): void {
    for (const url of join.alternate_servers ?? []) {
      const origin = serverOrigin(url);
      if (origin && !this.servers.includes(origin)) this.servers.push(origin);
    }
  }

  /** Joins over REST, connects the transport and sends Hello. Throws MeetingError. */
  static async start(
    meetingId: string,
    displayName: string,
    /** What we send, once the devices are open (the join and connect run meanwhile). */
    mediaReady: Promise<{ micOn: boolean; cameraOn: boolean }>,
    events: SessionEvents,
    /** Hello's subscription defaults, asked again for each reconnect's Hello. */
    subscriptionDefaults?: () => HelloSubscriptions,
    /** The answer for a backend-minted token (`#token=` link): no guest join then. */
    invitation?: JoinResponse,
    /** End-to-end encryption settings (passphrase, key agreement, browser support, status). */
    e2ee?: Omit<E2eeOptions, 'sendControl' | 'requestKeyframe'>,
  ): Promise<MeetingSession> {
    const server = window.location.origin;
    mediaReady.catch(() => {}); // handled below; a join failure must not leave it unhandled
    const join = invitation ?? (await joinMeeting(meetingId, displayName, server));
    let transport: Transport;
    try {
      transport = await connectTransport(transportOptionsFrom(join, server));
    } catch (error) {
      throw new MeetingError(
        'Cannot connect to the media server',
        `The meeting was found but the media connection could not be opened. ${error instanceof Error ? error.message : ''}`,
        'transport',
      );
    }
    let mediaState: { micOn: boolean; cameraOn: boolean };
    try {
      mediaState = await mediaReady;
    } catch (error) {
      transport.close();
      throw error;
    }
    const session = new MeetingSession(transport, events, join, server, meetingId, displayName, mediaState, subscriptionDefaults);
    session.invited = invitation !== undefined;
    if (e2ee) {
      session.e2ee = await E2eeSession.create({
        ...e2ee,
        sendControl: (message) => session.sendControl(message),
        requestKeyframe: (publisher, kind, trackId) => session.requestKeyframe(publisher, kind, trackId),
      });
    }
    session.attach(transport);
    return session;
  }

  /** Wires a freshly connected transport and sends Hello (also after a reconnect). */
  private attach(transport: Transport): void {
    this.transport = transport;
    transport.onmessage = (bytes) => this.receive(bytes);
    transport.onclose = ({ code, reason }) => this.onClosed(code, reason);
    transport.send(encodeControl(helloMessage(this.mediaState, this.subscriptionDefaults?.(), this.e2ee?.helloFields())));
    window.clearTimeout(this.acceptTimer);
    this.acceptTimer = window.setTimeout(() => {
      this.fail(new MeetingError('Could not join the meeting', 'The server did not accept the connection in time.', 'timeout'));
    }, JOIN_ACCEPT_TIMEOUT_MS);
  }

  /** Remembered so a reconnect's Hello carries the current state; fields not given are kept. */
  setMediaState(state: Partial<MediaStateFields>): void {
    this.mediaState = { ...this.mediaState, ...state };
    this.sendControl({ case: 'mediaState', value: this.mediaState });
  }

  sendMedia(header: Partial<HeaderFields>, payload: Uint8Array): void {
    if (!this.isJoined || this.e2eePending) return; // never cleartext before E2EE is set up
    if (!this.e2ee?.active) {
      stats.sent.bytes += payload.byteLength; // send bitrate for the connection details
      this.transport.send(encodeMedia(header, payload));
      return;
    }
    const sealed = this.e2ee.encrypt(header, payload);
    if (!sealed) return;
    this.sendChain = this.sendChain
      .then(async () => {
        const bytes = await sealed;
        if (!this.isJoined) return;
        stats.sent.bytes += bytes.byteLength;
        this.transport.send(encodeMedia(header, bytes));
      })
      .catch(() => {});
  }

  /** End-to-end encryption counters (window.__vcDebug.e2ee in tests). */
  get e2eeStats() {
    return this.e2ee?.stats;
  }

  sendControl(message: ControlMessage): void {
    if (!this.ended) this.transport.send(encodeControl(message));
  }

  backlogBytes(): number {
    return this.transport.backlogBytes();
  }

  requestKeyframe(publisherId: number, kind: MediaKind, trackId = 0): void {
    this.sendControl({
      case: 'keyframeRequest',
      value: { publisherParticipantId: BigInt(publisherId), kind, trackId },
    });
  }

  /** Test hook (window.__vcDebug): lose the transport as a network failure would. */
  simulateDrop(): void {
    this.transport.simulateDrop();
  }

  /** Leaves on purpose: tells the server (no reconnect grace) and closes the transport. */
  leave(): void {
    if (this.ended) return;
    this.sendControl({ case: 'leave', value: {} });
    this.shutdown();
  }

  private shutdown(code = 1000): void {
    this.ended = true;
    window.clearTimeout(this.renewTimer);
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.acceptTimer);
    this.transport.close(code);
  }

  private fail(error: MeetingError): void {
    if (this.ended) return;
    this.shutdown();
    this.events.failed(error);
  }

  private onClosed(code: number, reason: string): void {
    if (this.ended) return;
    if (this.serverLeaving || code === CLOSE_SERVER_SHUTTING_DOWN) {
      // The node is going away on purpose (deploy, restart). With others, resume through the next
      // one at once; alone, wait for it to come back with the restart backoff.
      this.serverLeaving = false;
      this.restarting = true;
      const others = this.servers.length > 1;
      if (others) this.serverIndex = (this.serverIndex + 1) % this.servers.length;
      void this.reconnect(others);
      return;
    }
    if (code === CLOSE_UNAUTHORIZED && this.restarting && !this.freshJoinRequired) {
      // The restarted server does not know our pass (its secret changed): join as someone new.
      this.freshJoinRequired = true;
      void this.reconnect(true);
      return;
    }
    if (code < 4000 && (this.joined || this.reconnectAttempt > 0)) {
      void this.reconnect(); // network blip or server restart: resume within the grace period
      return;
    }
    if (code >= 4000) {
      this.fail(new MeetingError('Disconnected by the server', reason || closeCodeText(code), code));
    } else {
      this.fail(
        new MeetingError(
          'Connection to the server was lost',
          this.joined ? 'The meeting connection dropped. Check your network and rejoin.' : closeCodeText(code),
          code,
        ),
      );
    }
  }

  /** Keeps a valid token for our identity at hand for as long as the call lasts. */
  private scheduleTokenRenewal(delayMs?: number): void {
    window.clearTimeout(this.renewTimer);
    // 60 s ahead, or a third of the remaining lifetime for short-lived tokens (--token-lifetime).
    const remainingMs = this.join.expires_at * 1000 - Date.now();
    const aheadMs = Math.min(TOKEN_RENEW_BEFORE_S * 1000, remainingMs / 3);
    const dueMs = delayMs ?? Math.max(1000, remainingMs - aheadMs);
    this.renewTimer = window.setTimeout(() => void this.renewToken(), dueMs);
  }

  /** Renews through the current server, else through the others in list order. */
  private async renewToken(): Promise<void> {
    if (this.ended) return;
    const start = this.serverIndex;
    for (let step = 0; step < this.servers.length; step++) {
      const server = this.servers[(start + step) % this.servers.length]!;
      try {
        this.adopt(await refreshToken(this.meetingId, this.join.token, server, TOKEN_RENEW_TIMEOUT_MS), server);
        this.scheduleTokenRenewal();
        return;
      } catch {
        // unreachable, or a cross-origin node that does not allow the call: try the next one
      }
      if (this.ended) return;
    }
    // Network blip or server restart: try again while the current token is still valid.
    if (Date.now() / 1000 < this.join.expires_at) this.scheduleTokenRenewal(TOKEN_RENEW_RETRY_MS);
  }

  /** Takes a join or token response that `server` gave as the current one. */
  private adopt(join: JoinResponse, server: string): void {
    this.join = join;
    this.joinServer = server;
    this.learnServers(join);
  }

  /**
   * Connects a transport through `server` for our identity. The token verifies on every node (they
   * share the secret). With the response's own server, its WebSocket/WebTransport URLs are used
   * as they are; another node is asked for a fresh token first, because its answer carries its own
   * endpoints and WebTransport certificate hashes (dev certificates differ per node). If that node
   * cannot be asked (down, or a cross-origin API without CORS), its WebSocket is tried directly
   * with the current token. A token about to expire means a fresh join (a new identity) instead.
   */
  private async connectVia(server: string): Promise<Transport> {
    if (this.freshJoinRequired || Date.now() / 1000 >= this.join.expires_at - TOKEN_MARGIN_S) {
      if (this.invited) {
        throw new MeetingError('Your invitation has expired', 'Open the meeting again with a new link from the organiser.', 401);
      }
      const join = await joinMeeting(this.meetingId, this.displayName, server);
      const transport = await connectTransport(transportOptionsFrom(join, server), RECONNECT_WEBSOCKET_TIMEOUT_MS);
      this.adopt(join, server);
      this.freshJoinRequired = false;
      return transport;
    }
    if (server !== this.joinServer) {
      try {
        this.adopt(await refreshToken(this.meetingId, this.join.token, server, FAILOVER_REFRESH_TIMEOUT_MS), server);
      } catch {
        return connectTransport({ wsUrl: new URL('/ws', `${server}/`).toString(), token: this.join.token }, RECONNECT_WEBSOCKET_TIMEOUT_MS);
      }
    }
    return connectTransport(transportOptionsFrom(this.join, server), RECONNECT_WEBSOCKET_TIMEOUT_MS);
  }

  /** `moveOn`: the first round starts at once (the current server is skipped, not waited for). */
  private async reconnect(moveOn = false): Promise<void> {
    this.joined = false;
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.acceptTimer);
    const delays = this.restarting ? RESTART_RECONNECT_DELAYS_MS : RECONNECT_DELAYS_MS;
    while (!this.ended && this.reconnectAttempt < delays.length) {
      const delay = moveOn && this.reconnectAttempt === 0 ? 0 : delays[this.reconnectAttempt]!;
      this.reconnectAttempt++;
      this.events.reconnecting(this.reconnectAttempt, this.serverUrl);
      await new Promise((resolve) => window.setTimeout(resolve, delay));
      if (this.ended) return;
      // The current server first (a network blip), then the next ones (the node is gone).
      const first = this.serverIndex;
      for (let step = 0; step < this.servers.length && !this.ended; step++) {
        const index = (first + step) % this.servers.length;
        this.serverIndex = index;
        if (step > 0) this.events.reconnecting(this.reconnectAttempt, this.serverUrl);
        try {
          // Room tokens are short-lived and renewed ahead of expiry (scheduleTokenRenewal). Only if
          // that failed for a whole token lifetime is a fresh join (a new identity) the way back in.
          const transport = await this.connectVia(this.servers[index]!);
          if (this.ended) return transport.close();
          this.attach(transport);
          return;
        } catch {
          // this server is unreachable: the next one, or the next round after a delay
        }
      }
      this.serverIndex = first;
    }
    this.fail(
      this.restarting
        ? new MeetingError('Server restart', 'The server shut down (4503) and did not come back within the reconnect time.', CLOSE_SERVER_SHUTTING_DOWN)
        : new MeetingError(
            'Connection to the server was lost',
            'The meeting connection dropped and could not be restored. Check your network and rejoin.',
            'disconnected',
          ),
    );
  }

  private receive(bytes: Uint8Array): void {
    if (this.ended) return;
    this.lastReceivedAt = performance.now();
    let envelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch {
      return; // tolerate garbage rather than tear the call down; the server never sends it
    }
    const body = envelope.body;
    if (body.case === 'media') {
      const header = body.value.header;
      if (header) {
        tallyReceived(header, body.value.payload.byteLength);
        const e2ee = this.e2ee;
        if (!e2ee || (!e2ee.active && !this.e2eePending)) {
          this.events.media(header, body.value.payload);
          return;
        }
        // Frames that do not authenticate are dropped and counted (e2ee.stats), never decoded.
        const payload = body.value.payload;
        const ready = this.e2eeReady;
        this.receiveChain = this.receiveChain
          .then(async () => {
            await ready;
            const plaintext = e2ee.active ? await e2ee.decrypt(header, payload) : payload;
            if (plaintext && !this.ended) this.events.media(header, plaintext);
          })
          .catch(() => {});
      }
      return;
    }
    if (body.case !== 'control') return;
    const message = body.value.message;
    switch (message.case) {
      case 'joinAccepted': {
        const accepted = message.value;
        this.joined = true;
        if (accepted.maxEnvelopeBytes > 0) this.maxEnvelope = accepted.maxEnvelopeBytes;
        this.reconnectAttempt = 0;
        this.restarting = false;
        window.clearTimeout(this.acceptTimer);
        window.clearInterval(this.pingTimer);
        this.lastCheckAt = performance.now();
        this.pingTimer = window.setInterval(() => {
          this.checkAlive();
          if (this.joined && ++this.ticks % 2 === 0) this.ping();
        }, LIVENESS_TICK_MS);
        this.scheduleTokenRenewal();
        this.waiting = accepted.self?.role === ParticipantRole.WAITING;
        if (this.waiting) {
          this.events.waiting?.(accepted.settings);
          break;
        }
        if (accepted.settings) this.events.settings?.(accepted.settings);
        if (this.e2ee) {
          this.e2eePending = true;
          this.e2eeReady = this.e2ee.onJoined(accepted).then(() => {
            this.e2eePending = false;
          });
        }
        this.events.joined(toNumber(accepted.participantId), accepted.self, accepted.roster, accepted.resumed, {
          server: this.serverUrl,
          transport: this.transport.name,
        });
        break;
      }
      case 'participantJoined':
        if (message.value.participant) {
          this.e2ee?.onParticipant(message.value.participant);
          this.events.participantJoined(message.value.participant);
        }
        break;
      case 'participantLeft':
        this.e2ee?.onLeft(toNumber(message.value.participantId));
        this.events.participantLeft(toNumber(message.value.participantId));
        break;
      case 'participantUpdated':
        if (message.value.participant) {
          this.e2ee?.onParticipant(message.value.participant);
          this.events.participantUpdated(message.value.participant);
        }
        break;
      case 'e2eeKeyMessage':
        this.e2ee?.onKeyMessage(message.value);
        break;
      case 'keyframeRequest':
        this.events.keyframeRequested(message.value.kind, message.value.trackId, message.value.spatialLayer);
        break;
      case 'activeSpeakers':
        this.events.activeSpeakers?.(
          toNumber(message.value.dominantParticipantId),
          message.value.recentParticipantIds.map(toNumber),
        );
        break;
      case 'error':
        if (message.value.code === CLOSE_SERVER_SHUTTING_DOWN) {
          this.serverLeaving = true; // the close that follows reconnects (onClosed)
          break;
        }
        if (message.value.code === CLOSE_UNAUTHORIZED && this.restarting && !this.freshJoinRequired) {
          break; // the close that follows joins afresh (onClosed)
        }
        this.fail(
          new MeetingError(
            'Disconnected by the server',
            message.value.message || closeCodeText(message.value.code),
            message.value.code,
          ),
        );
        break;
      case 'chatMessage':
        this.events.chat?.([message.value], true);
        break;
      case 'chatHistory':
        this.events.chat?.(message.value.messages, false);
        break;
      case 'reaction':
        this.events.reaction?.(toNumber(message.value.participantId), message.value.emoji);
        break;
      case 'hostActionEvent':
        this.events.hostAction?.(message.value);
        break;
      case 'waitingList':
        this.events.waitingList?.(message.value.waiting);
        break;
      case 'meetingSettings':
        this.events.settings?.(message.value);
        break;
      case 'refused':
        this.events.refused?.(message.value.code, message.value.message, message.value.request);
        break;
      case 'pong':
        this.events.rtt((Date.now() * 1000 - toNumber(message.value.clientTimeUs)) / 1000);
        break;
      default:
        break; // unknown or client-only messages are ignored (forward compatibility)
    }
  }

  /**
   * Called every liveness tick while joined: after SILENCE_TIMEOUT_MS without a message the
   * connection is given up and the session resumes through the next server at once (this one did
   * not answer; with a single server, the same one). A check that itself ran late means this page was
   * stalled (background tab, overloaded machine), not the server: it only restarts the clock.
   */
  private checkAlive(): void {
    const now = performance.now();
    const stalled = now - this.lastCheckAt > 2 * LIVENESS_TICK_MS;
    this.lastCheckAt = now;
    if (stalled) {
      this.lastReceivedAt = now;
      return;
    }
    if (now - this.lastReceivedAt <= SILENCE_TIMEOUT_MS) return;
    console.warn(`no message from ${this.serverUrl} for ${Math.round(now - this.lastReceivedAt)} ms: reconnecting`);
    this.transport.close();
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    void this.reconnect(true);
  }

  private ping(): void {
    this.nonce++;
    this.sendControl({
      case: 'ping',
      value: { nonce: BigInt(this.nonce), clientTimeUs: BigInt(Date.now() * 1000) },
    });
  }
}
