// The browser's end-to-end encryption for one meeting session (docs/PROTOCOL.md §15), the same
// protocol as libvideocall's ClientE2ee: it turns roster events and key messages into control
// messages (a key announce, sealed keys), encrypts outgoing payloads and decrypts incoming ones.
// Key management runs one step at a time (a queue), since WebCrypto is asynchronous.
import type { JoinAccepted, Participant } from '../gen/videocall_pb';
import { type ControlMessage, type HeaderFields, MediaKind } from '../protocol';
import { PUBLIC_KEY_BYTES, type X25519Pair, generateX25519 } from './crypto';
import { type E2eeStats, GroupKeys, PassphraseKeys } from './key-ring';
import type { KeyMessage } from './keys';

export type E2eeMode = 'off' | 'passphrase' | 'key-agreement';

export interface E2eeStatus {
  mode: E2eeMode;
  /** Key agreement: 6 groups of 5 digits over everyone's public key (compare out of band). */
  safetyCode: string;
}

export interface E2eeOptions {
  /** Passphrase mode (from the link's #e2ee=... fragment, which never reaches the server). */
  passphrase?: string;
  /** Key agreement even where the meeting does not require it. */
  keyAgreement: boolean;
  /** WebCrypto has X25519 and AES-GCM (e2eeSupported()); without it this client cannot join an E2EE meeting. */
  supported: boolean;
  sendControl(message: ControlMessage): void;
  status(status: E2eeStatus): void;
  requestKeyframe(publisherId: number, kind: MediaKind, trackId: number): void;
}

function sameKey(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

export class E2eeSession {
  readonly stats: E2eeStats = { encrypted: 0, decrypted: 0, authFailed: 0, noKey: 0, malformed: 0 };
  private mode: E2eeMode = 'off';
  private passphraseKeys: PassphraseKeys | undefined;
  private group: GroupKeys | undefined;
  private selfId = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly awaitingKey = new Map<number, Set<string>>();

  private constructor(
    private readonly options: E2eeOptions,
    private readonly pair: X25519Pair | undefined,
  ) {}

  /** Creates the key pair up front, so Hello can carry the public key. */
  static async create(options: E2eeOptions): Promise<E2eeSession> {
    const pair = options.supported && !options.passphrase ? await generateX25519() : undefined;
    return new E2eeSession(options, pair);
  }

  get active(): boolean {
    return this.mode !== 'off';
  }

  /** Hello fields: capability, and the public key when key agreement is already on. */
  helloFields(): { e2eeCapable: boolean; e2eePublicKey?: Uint8Array } {
    if (!this.options.supported) return { e2eeCapable: false };
    return this.options.keyAgreement && this.pair ? { e2eeCapable: true, e2eePublicKey: this.pair.publicKey } : { e2eeCapable: true };
  }

  private run(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step).catch((error: unknown) => console.warn('e2ee step failed', error));
    return this.queue;
  }

  private sendKeys(messages: KeyMessage[]): void {
    for (const m of messages) {
      this.options.sendControl({
        case: 'e2eeKeyMessage',
        value: { toParticipantId: BigInt(m.toParticipantId), keyId: m.keyId, sealed: m.sealed },
      });
    }
  }

  private async reportStatus(): Promise<void> {
    this.options.status({ mode: this.mode, safetyCode: this.group ? await this.group.safetyCode() : '' });
  }

  /** Starts encryption when configured or required (awaited before any media goes out). */
  onJoined(accepted: JoinAccepted): Promise<void> {
    return this.run(async () => {
      const self = Number(accepted.participantId);
      if (this.options.passphrase) {
        if (!this.passphraseKeys || this.selfId !== self) {
          this.passphraseKeys = await PassphraseKeys.create(this.options.passphrase, accepted.meetingId);
          await this.passphraseKeys.startSending(self);
        }
        this.selfId = self;
        this.mode = 'passphrase';
        await this.reportStatus();
        return;
      }
      if (!(this.options.keyAgreement || accepted.e2eeRequired) || !this.pair) return;
      if (!this.group || this.selfId !== self || this.group.meetingId !== accepted.meetingId) {
        this.group = await GroupKeys.create(accepted.meetingId, this.pair);
        await this.group.start(self);
      }
      this.selfId = self;
      this.mode = 'key-agreement';
      this.options.sendControl({ case: 'e2eeKeyAnnounce', value: { publicKey: this.pair.publicKey } });
      for (const peer of accepted.roster) await this.learnKey(peer, true);
      await this.reportStatus();
    });
  }

  private async learnKey(participant: Participant, force: boolean): Promise<boolean> {
    if (!this.group || participant.e2eePublicKey.byteLength !== PUBLIC_KEY_BYTES) return false;
    const id = Number(participant.participantId);
    if (!force && sameKey(this.group.peers.get(id), participant.e2eePublicKey)) return false;
    this.sendKeys(await this.group.peerKey(id, participant.e2eePublicKey));
    return true;
  }

  /** ParticipantJoined / ParticipantUpdated. */
  onParticipant(participant: Participant): void {
    void this.run(async () => {
      if (this.mode === 'key-agreement' && (await this.learnKey(participant, false))) await this.reportStatus();
    });
  }

  onLeft(participantId: number): void {
    void this.run(async () => {
      this.awaitingKey.delete(participantId);
      if (this.mode === 'passphrase') this.passphraseKeys?.receiver.forget(participantId);
      if (this.mode !== 'key-agreement' || !this.group?.peers.has(participantId)) return;
      this.sendKeys(await this.group.peerLeft(participantId));
      await this.reportStatus();
    });
  }

  onKeyMessage(value: { fromParticipantId: bigint; toParticipantId: bigint; keyId: number; sealed: Uint8Array }): void {
    void this.run(async () => {
      if (this.mode !== 'key-agreement' || !this.group) return;
      const from = Number(value.fromParticipantId);
      const ok = await this.group.onKeyMessage({ fromParticipantId: from, toParticipantId: Number(value.toParticipantId), keyId: value.keyId, sealed: value.sealed });
      if (!ok) return;
      // Frames of that sender we dropped for want of a key: decoding restarts at a keyframe.
      for (const track of this.awaitingKey.get(from) ?? []) {
        const [kind, trackId] = track.split(':').map(Number);
        this.options.requestKeyframe(from, kind as MediaKind, trackId!);
      }
      this.awaitingKey.delete(from);
    });
  }

  /** Encrypts one payload (our id goes into the header the tag covers); undefined if not ready. */
  encrypt(header: Partial<HeaderFields>, payload: Uint8Array): Promise<Uint8Array> | undefined {
    const sender = this.mode === 'passphrase' ? this.passphraseKeys?.sender : this.group?.sender;
    if (!sender?.ready) return undefined;
    header.senderParticipantId = BigInt(this.selfId);
    const sealed = sender.encrypt(header, payload);
    if (sealed) this.stats.encrypted++;
    return sealed;
  }

  /** Undefined (dropped and counted) unless the frame authenticates. */
  async decrypt(header: HeaderFields, payload: Uint8Array): Promise<Uint8Array | undefined> {
    const keys = this.mode === 'passphrase' ? this.passphraseKeys?.receiver : this.group?.receiver;
    if (!keys) {
      this.stats.noKey++;
      return undefined;
    }
    const { result, plaintext } = await keys.decrypt(header, payload);
    if (result === 'ok') {
      this.stats.decrypted++;
      return plaintext;
    }
    if (result === 'auth-failed') this.stats.authFailed++;
    else if (result === 'malformed') this.stats.malformed++;
    else {
      this.stats.noKey++;
      if (header.kind !== MediaKind.AUDIO) {
        const sender = Number(header.senderParticipantId);
        const tracks = this.awaitingKey.get(sender) ?? new Set<string>();
        tracks.add(`${header.kind}:${header.trackId}`);
        this.awaitingKey.set(sender, tracks);
      }
    }
    return undefined;
  }
}
