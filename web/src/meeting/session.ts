// Protocol session for one meeting: REST join, transport, Hello, and dispatch of server messages.
// Media capture/playback and UI live elsewhere; this class only speaks the wire protocol.
import { joinMeeting, refreshToken, type JoinResponse } from '../api';
import { MeetingError, closeCodeText } from '../errors';
import type { Participant } from '../gen/videocall_pb';
import {
  type ControlMessage,
  type HeaderFields,
  MediaKind,
  decodeEnvelope,
  encodeControl,
  encodeMedia,
  helloMessage,
  toNumber,
} from '../protocol';
import { connectTransport, type Transport, type TransportOptions } from '../transport';

export type { Participant };

export interface SessionEvents {
  joined(selfId: number, self: Participant | undefined, roster: Participant[], resumed: boolean): void;
  participantJoined(participant: Participant): void;
  participantLeft(participantId: number): void;
  participantUpdated(participant: Participant): void;
  media(header: HeaderFields, payload: Uint8Array): void;
  keyframeRequested(kind: MediaKind): void;
  rtt(milliseconds: number): void;
  /** The transport dropped; the session is trying to resume within the server's grace period. */
  reconnecting(attempt: number): void;
  /** The session is over because of an error; it will not deliver further events. */
  failed(error: MeetingError): void;
}

const JOIN_ACCEPT_TIMEOUT_MS = 10_000;
const PING_INTERVAL_MS = 5_000;
/** Backoff before each reconnect attempt; the server holds our identity for about 5 s. */
const RECONNECT_DELAYS_MS = [250, 750, 1500, 3000];
/** Refresh the room token this long before it expires when a reconnect needs it. */
const TOKEN_MARGIN_S = 15;
/** Renew the room token this long before it expires, so a reconnect keeps our identity. */
const TOKEN_RENEW_BEFORE_S = 60;
const TOKEN_RENEW_RETRY_MS = 10_000;

function transportOptionsFrom(join: JoinResponse): TransportOptions {
  return {
    wsUrl: join.ws_url,
    token: join.token,
    ...(join.webtransport?.url
      ? { webTransport: { url: join.webtransport.url, certificateHashes: join.webtransport.certificate_hashes ?? [] } }
      : {}),
  };
}

export class MeetingSession {
  private joined = false;
  private ended = false;
  private pingTimer: number | undefined;
  private acceptTimer: number | undefined;
  private nonce = 0;
  private reconnectAttempt = 0;
  private renewTimer: number | undefined;

  private constructor(
    private transport: Transport,
    private readonly events: SessionEvents,
    private join: JoinResponse,
    private readonly meetingId: string,
    private readonly displayName: string,
    private mediaState: { micOn: boolean; cameraOn: boolean },
  ) {}

  get transportName(): string {
    return this.transport.name;
  }

  /** Joins over REST, connects the transport and sends Hello. Throws MeetingError. */
  static async start(
    meetingId: string,
    displayName: string,
    mediaState: { micOn: boolean; cameraOn: boolean },
    events: SessionEvents,
  ): Promise<MeetingSession> {
    const join = await joinMeeting(meetingId, displayName);
    let transport: Transport;
    try {
      transport = await connectTransport(transportOptionsFrom(join));
    } catch (error) {
      throw new MeetingError(
        'Cannot connect to the media server',
        `The meeting was found but the media connection could not be opened. ${error instanceof Error ? error.message : ''}`,
        'transport',
      );
    }
    const session = new MeetingSession(transport, events, join, meetingId, displayName, mediaState);
    session.attach(transport);
    return session;
  }

  /** Wires a freshly connected transport and sends Hello (also after a reconnect). */
  private attach(transport: Transport): void {
    this.transport = transport;
    transport.onmessage = (bytes) => this.receive(bytes);
    transport.onclose = ({ code, reason }) => this.onClosed(code, reason);
    transport.send(encodeControl(helloMessage(this.mediaState)));
    window.clearTimeout(this.acceptTimer);
    this.acceptTimer = window.setTimeout(() => {
      this.fail(new MeetingError('Could not join the meeting', 'The server did not accept the connection in time.', 'timeout'));
    }, JOIN_ACCEPT_TIMEOUT_MS);
  }

  /** Remembered so a reconnect's Hello carries the current state. */
  setMediaState(state: { micOn: boolean; cameraOn: boolean }): void {
    this.mediaState = state;
    this.sendControl({ case: 'mediaState', value: state });
  }

  sendMedia(header: Partial<HeaderFields>, payload: Uint8Array): void {
    if (this.joined && !this.ended) this.transport.send(encodeMedia(header, payload));
  }

  sendControl(message: ControlMessage): void {
    if (!this.ended) this.transport.send(encodeControl(message));
  }

  backlogBytes(): number {
    return this.transport.backlogBytes();
  }

  requestKeyframe(publisherId: number, kind: MediaKind): void {
    this.sendControl({
      case: 'keyframeRequest',
      value: { publisherParticipantId: BigInt(publisherId), kind, trackId: 0 },
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
    const dueMs = delayMs ?? Math.max(1000, (this.join.expires_at - TOKEN_RENEW_BEFORE_S) * 1000 - Date.now());
    this.renewTimer = window.setTimeout(() => void this.renewToken(), dueMs);
  }

  private async renewToken(): Promise<void> {
    if (this.ended) return;
    try {
      this.join = { ...this.join, ...(await refreshToken(this.meetingId, this.join.token)) };
      this.scheduleTokenRenewal();
    } catch {
      // Network blip or server restart: try again while the current token is still valid.
      if (Date.now() / 1000 < this.join.expires_at) this.scheduleTokenRenewal(TOKEN_RENEW_RETRY_MS);
    }
  }

  private async reconnect(): Promise<void> {
    this.joined = false;
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.acceptTimer);
    while (!this.ended && this.reconnectAttempt < RECONNECT_DELAYS_MS.length) {
      const delay = RECONNECT_DELAYS_MS[this.reconnectAttempt++]!;
      this.events.reconnecting(this.reconnectAttempt);
      await new Promise((resolve) => window.setTimeout(resolve, delay));
      if (this.ended) return;
      try {
        // Room tokens are short-lived and renewed ahead of expiry (scheduleTokenRenewal). Only if
        // that failed for a whole token lifetime is a fresh join (a new identity) the way back in.
        if (Date.now() / 1000 >= this.join.expires_at - TOKEN_MARGIN_S) {
          this.join = await joinMeeting(this.meetingId, this.displayName);
        }
        const transport = await connectTransport(transportOptionsFrom(this.join));
        if (this.ended) return transport.close();
        this.attach(transport);
        return;
      } catch {
        // try again after the next delay
      }
    }
    this.fail(
      new MeetingError(
        'Connection to the server was lost',
        'The meeting connection dropped and could not be restored. Check your network and rejoin.',
        'disconnected',
      ),
    );
  }

  private receive(bytes: Uint8Array): void {
    if (this.ended) return;
    let envelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch {
      return; // tolerate garbage rather than tear the call down; the server never sends it
    }
    const body = envelope.body;
    if (body.case === 'media') {
      if (body.value.header) this.events.media(body.value.header, body.value.payload);
      return;
    }
    if (body.case !== 'control') return;
    const message = body.value.message;
    switch (message.case) {
      case 'joinAccepted': {
        const accepted = message.value;
        this.joined = true;
        this.reconnectAttempt = 0;
        window.clearTimeout(this.acceptTimer);
        window.clearInterval(this.pingTimer);
        this.pingTimer = window.setInterval(() => this.ping(), PING_INTERVAL_MS);
        this.scheduleTokenRenewal();
        this.events.joined(toNumber(accepted.participantId), accepted.self, accepted.roster, accepted.resumed);
        break;
      }
      case 'participantJoined':
        if (message.value.participant) this.events.participantJoined(message.value.participant);
        break;
      case 'participantLeft':
        this.events.participantLeft(toNumber(message.value.participantId));
        break;
      case 'participantUpdated':
        if (message.value.participant) this.events.participantUpdated(message.value.participant);
        break;
      case 'keyframeRequest':
        this.events.keyframeRequested(message.value.kind);
        break;
      case 'error':
        this.fail(
          new MeetingError(
            'Disconnected by the server',
            message.value.message || closeCodeText(message.value.code),
            message.value.code,
          ),
        );
        break;
      case 'pong':
        this.events.rtt((Date.now() * 1000 - toNumber(message.value.clientTimeUs)) / 1000);
        break;
      default:
        break; // unknown or client-only messages are ignored (forward compatibility)
    }
  }

  private ping(): void {
    this.nonce++;
    this.sendControl({
      case: 'ping',
      value: { nonce: BigInt(this.nonce), clientTimeUs: BigInt(Date.now() * 1000) },
    });
  }
}
