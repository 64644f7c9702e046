// End-to-end encryption primitives on WebCrypto (docs/PROTOCOL.md §15): HKDF-SHA256,
// PBKDF2-SHA256, X25519 and AES-GCM, with the byte layouts the C++ side uses (big-endian).

export const SECRET_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;

const encoder = new TextEncoder();

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

export function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0);
  return out;
}

export function u64(value: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

export function text(value: string): Uint8Array {
  return encoder.encode(value);
}

/** label || u32 length || meeting id, as every derivation that binds a meeting starts. */
export function labelled(label: string, meetingId: string): Uint8Array {
  const meeting = text(meetingId);
  return concat(text(label), u32(meeting.byteLength), meeting);
}

export function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(length));
}

export async function hkdf(ikm: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey('raw', concat(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: concat(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

export async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey('raw', text(password) as Uint8Array<ArrayBuffer>, 'PBKDF2', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: concat(salt), iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(data)));
}

export async function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', concat(raw), 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function gcmSeal(key: CryptoKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv: concat(nonce), additionalData: concat(aad), tagLength: 128 }, key, concat(plaintext)),
  );
}

/** Undefined when the tag does not authenticate. */
export async function gcmOpen(key: CryptoKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: 'AES-GCM', iv: concat(nonce), additionalData: concat(aad), tagLength: 128 }, key, concat(sealed)),
    );
  } catch {
    return undefined;
  }
}

/** An ephemeral X25519 key pair; the private key is not extractable. */
export interface X25519Pair {
  privateKey: CryptoKey;
  publicKey: Uint8Array;
}

export async function generateX25519(): Promise<X25519Pair> {
  const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  return { privateKey: pair.privateKey, publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) };
}

/** From a raw private key (test vectors only): PKCS#8 wrapping of the 32 bytes. */
export async function importX25519(privateRaw: Uint8Array, publicRaw: Uint8Array): Promise<X25519Pair> {
  const pkcs8Prefix = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);
  const privateKey = await crypto.subtle.importKey('pkcs8', concat(pkcs8Prefix, privateRaw), { name: 'X25519' }, false, ['deriveBits']);
  return { privateKey, publicKey: publicRaw };
}

/** Undefined for an invalid or low-order peer key. */
export async function x25519(mine: X25519Pair, peerPublic: Uint8Array): Promise<Uint8Array | undefined> {
  try {
    const peer = await crypto.subtle.importKey('raw', concat(peerPublic), { name: 'X25519' }, false, []);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'X25519', public: peer }, mine.privateKey, 256));
    return bits.every((b) => b === 0) ? undefined : bits;
  } catch {
    return undefined;
  }
}

/** Whether this browser's WebCrypto has what E2EE needs (X25519 and AES-GCM); never throws. */
export async function e2eeSupported(): Promise<boolean> {
  try {
    if (!globalThis.crypto?.subtle) return false;
    const pair = await generateX25519();
    const key = await aesKey(new Uint8Array(16));
    const sealed = await gcmSeal(key, new Uint8Array(12), new Uint8Array(0), pair.publicKey);
    return (await gcmOpen(key, new Uint8Array(12), new Uint8Array(0), sealed)) !== undefined;
  } catch {
    return false;
  }
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
