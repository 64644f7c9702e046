// Per-frame authenticated encryption (docs/PROTOCOL.md §15.2): payload = E2EE header (version,
// key id, counter) || AES-128-GCM ciphertext || tag; nonce = salt XOR counter; AAD = the routing
// header fields in a fixed layout || the E2EE header. Same format as src/e2ee/frame_crypto.cpp.
import type { HeaderFields } from '../protocol';
import { TAG_BYTES, aesKey, concat, gcmOpen, gcmSeal, hkdf, text, u32, u64 } from './crypto';

export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 13;
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + TAG_BYTES;

export interface FrameHeader {
  keyId: number;
  counter: bigint;
}

/** Undefined if too short or another version. */
export function parseFrameHeader(payload: Uint8Array): FrameHeader | undefined {
  if (payload.byteLength < FRAME_OVERHEAD_BYTES || payload[0] !== FRAME_VERSION) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, FRAME_HEADER_BYTES);
  return { keyId: view.getUint32(1), counter: view.getBigUint64(5) };
}

export function frameHeaderBytes(header: FrameHeader): Uint8Array {
  return concat(new Uint8Array([FRAME_VERSION]), u32(header.keyId), u64(header.counter));
}

/** The routing header as the tag covers it (PROTOCOL.md §15.2), 53 bytes. */
export function routingAad(h: Partial<HeaderFields>): Uint8Array {
  return concat(
    u32(h.kind ?? 0),
    u32(h.trackId ?? 0),
    u32(h.sequence ?? 0),
    u64(h.captureTimeUs ?? 0n),
    new Uint8Array([h.keyframe ? 1 : 0]),
    u32(h.temporalLayer ?? 0),
    u32(h.spatialLayer ?? 0),
    u32(h.audioLevel ?? 0),
    u32(h.codec ?? 0),
    u32(h.width ?? 0),
    u32(h.height ?? 0),
    u64(h.senderParticipantId ?? 0n),
  );
}

/** One sender key: an AES-128-GCM key and a 12-byte salt derived from a 32-byte base secret. */
export class FrameKey {
  private constructor(
    private readonly key: CryptoKey,
    readonly salt: Uint8Array,
  ) {}

  static async derive(secret: Uint8Array): Promise<FrameKey> {
    const raw = await hkdf(secret, text('videocall e2ee v1 frame key'), 16);
    const salt = await hkdf(secret, text('videocall e2ee v1 frame salt'), 12);
    return new FrameKey(await aesKey(raw), salt);
  }

  nonce(counter: bigint): Uint8Array {
    const nonce = new Uint8Array(this.salt);
    const view = new DataView(nonce.buffer);
    view.setBigUint64(4, view.getBigUint64(4) ^ counter);
    return nonce;
  }

  async encrypt(header: FrameHeader, routing: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const e2eeHeader = frameHeaderBytes(header);
    const sealed = await gcmSeal(this.key, this.nonce(header.counter), concat(routing, e2eeHeader), plaintext);
    return concat(e2eeHeader, sealed);
  }

  async decrypt(header: FrameHeader, routing: Uint8Array, payload: Uint8Array): Promise<Uint8Array | undefined> {
    const aad = concat(routing, payload.subarray(0, FRAME_HEADER_BYTES));
    return gcmOpen(this.key, this.nonce(header.counter), aad, payload.subarray(FRAME_HEADER_BYTES));
  }
}
