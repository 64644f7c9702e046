// Key schedule (docs/PROTOCOL.md §15.3-15.5), the same as src/e2ee/keys.cpp: passphrase root and
// per-sender secrets, the forward ratchet, pairwise sealed keys and the meeting safety code.
import {
  NONCE_BYTES,
  SECRET_BYTES,
  TAG_BYTES,
  type X25519Pair,
  aesKey,
  concat,
  gcmOpen,
  gcmSeal,
  hkdf,
  labelled,
  pbkdf2,
  randomBytes,
  sha256,
  text,
  u32,
  u64,
  x25519,
} from './crypto';

export const PASSPHRASE_ITERATIONS = 100_000;
export const RATCHET_STEP_BITS = 8;
export const MAX_RATCHET_STEP = (1 << RATCHET_STEP_BITS) - 1;
export const SEALED_KEY_BYTES = NONCE_BYTES + SECRET_BYTES + TAG_BYTES;
export const keyGeneration = (keyId: number): number => keyId >>> RATCHET_STEP_BITS;
export const keyStep = (keyId: number): number => keyId & MAX_RATCHET_STEP;

export function passphraseRoot(passphrase: string, meetingId: string): Promise<Uint8Array> {
  return pbkdf2(passphrase, labelled('videocall e2ee v1 passphrase', meetingId), PASSPHRASE_ITERATIONS);
}

export function passphraseSenderSecret(root: Uint8Array, meetingId: string, senderId: number, keyId: number): Promise<Uint8Array> {
  return hkdf(root, concat(labelled('videocall e2ee v1 sender', meetingId), u64(senderId), u32(keyId)), SECRET_BYTES);
}

export function ratchet(secret: Uint8Array): Promise<Uint8Array> {
  return hkdf(secret, text('videocall e2ee v1 ratchet'), SECRET_BYTES);
}

export interface KeyMessage {
  fromParticipantId: number;
  toParticipantId: number;
  keyId: number;
  sealed: Uint8Array;
}

async function pairwiseKey(
  mine: X25519Pair,
  theirPublic: Uint8Array,
  meetingId: string,
  fromId: number,
  fromPublic: Uint8Array,
  toId: number,
  toPublic: Uint8Array,
): Promise<CryptoKey | undefined> {
  const shared = await x25519(mine, theirPublic);
  if (!shared) return undefined;
  const info = concat(labelled('videocall e2ee v1 pairwise', meetingId), u64(fromId), fromPublic, u64(toId), toPublic);
  return aesKey(await hkdf(shared, info, 32));
}

function keyMessageAad(m: { fromParticipantId: number; toParticipantId: number; keyId: number }): Uint8Array {
  return concat(text('videocall e2ee v1 key message'), u64(m.fromParticipantId), u64(m.toParticipantId), u32(m.keyId));
}

export async function sealKey(
  mine: X25519Pair,
  myId: number,
  theirPublic: Uint8Array,
  theirId: number,
  meetingId: string,
  keyId: number,
  secret: Uint8Array,
): Promise<KeyMessage | undefined> {
  const key = await pairwiseKey(mine, theirPublic, meetingId, myId, mine.publicKey, theirId, theirPublic);
  if (!key) return undefined;
  const message = { fromParticipantId: myId, toParticipantId: theirId, keyId };
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = await gcmSeal(key, nonce, keyMessageAad(message), secret);
  return { ...message, sealed: concat(nonce, sealed) };
}

/** Undefined unless the holder of `theirPublic` sealed it for us. */
export async function openKey(
  mine: X25519Pair,
  myId: number,
  theirPublic: Uint8Array,
  meetingId: string,
  message: KeyMessage,
): Promise<Uint8Array | undefined> {
  if (message.toParticipantId !== myId || message.sealed.byteLength !== SEALED_KEY_BYTES) return undefined;
  const key = await pairwiseKey(mine, theirPublic, meetingId, message.fromParticipantId, theirPublic, myId, mine.publicKey);
  if (!key) return undefined;
  const opened = await gcmOpen(key, message.sealed.subarray(0, NONCE_BYTES), keyMessageAad(message), message.sealed.subarray(NONCE_BYTES));
  return opened?.byteLength === SECRET_BYTES ? opened : undefined;
}

/** 6 groups of 5 digits over every (participant id, public key), sorted by id. */
export async function safetyCode(meetingId: string, keys: { participantId: number; publicKey: Uint8Array }[]): Promise<string> {
  const sorted = [...keys].sort((a, b) => a.participantId - b.participantId);
  const digest = await sha256(concat(labelled('videocall e2ee v1 safety code', meetingId), ...sorted.flatMap((k) => [u64(k.participantId), k.publicKey])));
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
  const groups: string[] = [];
  for (let i = 0; i < 6; i++) groups.push(String(view.getUint32(4 * i) % 100000).padStart(5, '0'));
  return groups.join(' ');
}
