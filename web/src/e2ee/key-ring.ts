// Sans-I/O key management (docs/PROTOCOL.md §15.3-15.4), the same policy as
// src/e2ee/key_ring.cpp: our sender key, other senders' keys (a few key ids each), passphrase
// mode, and key agreement with ratchet-on-join and rotate-on-leave.
import type { HeaderFields } from '../protocol';
import { type X25519Pair, generateX25519, randomBytes } from './crypto';
import { FrameKey, parseFrameHeader, routingAad } from './frame';
import {
  type KeyMessage,
  MAX_RATCHET_STEP,
  RATCHET_STEP_BITS,
  keyGeneration,
  keyStep,
  openKey,
  passphraseRoot,
  passphraseSenderSecret,
  ratchet,
  safetyCode,
  sealKey,
} from './keys';

/** Key ids kept per sender (frames in flight across a rotation still decrypt). */
const KEYS_PER_SENDER = 4;
const MAX_SENDERS = 1000;

export interface E2eeStats {
  encrypted: number;
  decrypted: number;
  authFailed: number;
  noKey: number;
  malformed: number;
}

export type DecryptResult = 'ok' | 'malformed' | 'no-key' | 'auth-failed';

export class SenderKey {
  keyId = 0;
  secret: Uint8Array = new Uint8Array(0);
  private counter = 0n;
  private key: FrameKey | undefined;

  async install(keyId: number, secret: Uint8Array): Promise<void> {
    const key = await FrameKey.derive(secret);
    this.key = key;
    this.keyId = keyId >>> 0;
    this.secret = secret;
    this.counter = 0n;
  }

  get ready(): boolean {
    return this.key !== undefined;
  }

  /** `header` must carry our own participant id. The counter is taken synchronously. */
  encrypt(header: Partial<HeaderFields>, plaintext: Uint8Array): Promise<Uint8Array> | undefined {
    if (!this.key) return undefined;
    const counter = this.counter++;
    return this.key.encrypt({ keyId: this.keyId, counter }, routingAad(header), plaintext);
  }
}

interface Entry {
  keyId: number;
  secret: Uint8Array;
  key: FrameKey;
}

export class ReceiverKeys {
  private readonly senders = new Map<number, Entry[]>();
  resolver: ((senderId: number, keyId: number) => Promise<Uint8Array>) | undefined;

  async add(senderId: number, keyId: number, secret: Uint8Array): Promise<boolean> {
    const key = await FrameKey.derive(secret);
    let keys = this.senders.get(senderId);
    if (!keys) {
      if (this.senders.size >= MAX_SENDERS) return false;
      keys = [];
      this.senders.set(senderId, keys);
    }
    const existing = keys.find((e) => e.keyId === keyId);
    if (existing) {
      existing.secret = secret;
      existing.key = key;
      return true;
    }
    keys.push({ keyId, secret, key });
    while (keys.length > KEYS_PER_SENDER) keys.shift();
    return true;
  }

  forget(senderId: number): void {
    this.senders.delete(senderId);
  }

  private find(senderId: number, keyId: number): Entry | undefined {
    return this.senders.get(senderId)?.find((e) => e.keyId === keyId);
  }

  /** A later ratchet step of a generation we hold follows from it; an earlier one never does. */
  private async ratchetTo(senderId: number, keyId: number): Promise<Entry | undefined> {
    let base: Entry | undefined;
    for (const entry of this.senders.get(senderId) ?? []) {
      if (keyGeneration(entry.keyId) === keyGeneration(keyId) && keyStep(entry.keyId) < keyStep(keyId) && (!base || keyStep(entry.keyId) > keyStep(base.keyId))) base = entry;
    }
    if (!base) return undefined;
    let secret = base.secret;
    for (let step = keyStep(base.keyId); step < keyStep(keyId); step++) secret = await ratchet(secret);
    if (!(await this.add(senderId, keyId, secret))) return undefined;
    return this.find(senderId, keyId);
  }

  async decrypt(header: HeaderFields, payload: Uint8Array): Promise<{ result: DecryptResult; plaintext?: Uint8Array }> {
    const frame = parseFrameHeader(payload);
    if (!frame) return { result: 'malformed' };
    const sender = Number(header.senderParticipantId);
    let entry = this.find(sender, frame.keyId) ?? (await this.ratchetTo(sender, frame.keyId));
    if (!entry && this.resolver && (await this.add(sender, frame.keyId, await this.resolver(sender, frame.keyId)))) {
      entry = this.find(sender, frame.keyId);
    }
    if (!entry) return { result: 'no-key' };
    const plaintext = await entry.key.decrypt(frame, routingAad(header), payload);
    return plaintext ? { result: 'ok', plaintext } : { result: 'auth-failed' };
  }
}

function randomU32(): number {
  return new DataView(randomBytes(4).buffer).getUint32(0);
}

/** Passphrase mode: every key follows from the passphrase, the meeting id and the sender id. */
export class PassphraseKeys {
  readonly sender = new SenderKey();
  readonly receiver = new ReceiverKeys();

  private constructor(
    private readonly meetingId: string,
    private readonly root: Uint8Array,
  ) {
    this.receiver.resolver = (senderId, keyId) => passphraseSenderSecret(this.root, this.meetingId, senderId, keyId);
  }

  static async create(passphrase: string, meetingId: string): Promise<PassphraseKeys> {
    return new PassphraseKeys(meetingId, await passphraseRoot(passphrase, meetingId));
  }

  /** A random key id per session, so a rejoin never reuses a nonce. */
  async startSending(selfId: number): Promise<void> {
    const keyId = randomU32();
    await this.sender.install(keyId, await passphraseSenderSecret(this.root, this.meetingId, selfId, keyId));
  }
}

/** Key agreement: our X25519 pair, everyone's announced key, ratchet on join, rotate on leave. */
export class GroupKeys {
  readonly sender = new SenderKey();
  readonly receiver = new ReceiverKeys();
  readonly peers = new Map<number, Uint8Array>();
  selfId = 0;

  constructor(
    readonly meetingId: string,
    readonly pair: X25519Pair,
  ) {}

  static async create(meetingId: string, pair?: X25519Pair): Promise<GroupKeys> {
    return new GroupKeys(meetingId, pair ?? (await generateX25519()));
  }

  private async freshGeneration(first: boolean): Promise<void> {
    const generation = first ? randomU32() >>> RATCHET_STEP_BITS : keyGeneration(this.sender.keyId) + 1;
    await this.sender.install(((generation << RATCHET_STEP_BITS) >>> 0) & ~MAX_RATCHET_STEP, randomBytes(32));
  }

  async start(selfId: number): Promise<void> {
    this.selfId = selfId;
    await this.freshGeneration(true);
  }

  private async sealForAll(): Promise<KeyMessage[]> {
    const out: KeyMessage[] = [];
    for (const [id, publicKey] of this.peers) {
      const message = await sealKey(this.pair, this.selfId, publicKey, id, this.meetingId, this.sender.keyId, this.sender.secret);
      if (message) out.push(message);
    }
    return out;
  }

  /** A new (or re-keyed) participant: ratchet forward and seal the new key for them only. */
  async peerKey(participantId: number, publicKey: Uint8Array): Promise<KeyMessage[]> {
    if (participantId === this.selfId || !this.sender.ready) return [];
    this.peers.set(participantId, publicKey);
    if (keyStep(this.sender.keyId) < MAX_RATCHET_STEP) {
      await this.sender.install(this.sender.keyId + 1, await ratchet(this.sender.secret));
      const message = await sealKey(this.pair, this.selfId, publicKey, participantId, this.meetingId, this.sender.keyId, this.sender.secret);
      return message ? [message] : [];
    }
    await this.freshGeneration(false);
    return this.sealForAll();
  }

  /** Someone left: forget them, rotate to a new random secret, seal it for everyone left. */
  async peerLeft(participantId: number): Promise<KeyMessage[]> {
    if (!this.peers.delete(participantId)) return [];
    this.receiver.forget(participantId);
    await this.freshGeneration(false);
    return this.sealForAll();
  }

  async onKeyMessage(message: KeyMessage): Promise<boolean> {
    const publicKey = this.peers.get(message.fromParticipantId);
    if (!publicKey) return false;
    const secret = await openKey(this.pair, this.selfId, publicKey, this.meetingId, message);
    return secret !== undefined && (await this.receiver.add(message.fromParticipantId, message.keyId, secret));
  }

  safetyCode(): Promise<string> {
    return safetyCode(this.meetingId, [
      { participantId: this.selfId, publicKey: this.pair.publicKey },
      ...[...this.peers].map(([participantId, publicKey]) => ({ participantId, publicKey })),
    ]);
  }
}
