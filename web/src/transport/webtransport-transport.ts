// WebTransport (HTTP/3 over QUIC) transport. Wire mapping: docs/PROTOCOL.md §7.
//  - one bidirectional control stream, opened first; records = QUIC varint length + envelope;
//  - media to the server: one unidirectional stream per media kind (records); audio as datagrams
//    (one envelope per datagram) when it fits;
//  - from the server: records on the control stream and on server-opened unidirectional streams,
//    and one envelope per datagram.
import type { Transport, TransportCloseInfo, TransportOptions } from './transport';

const MEDIA_KIND_AUDIO = 1;

function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function varintSize(value: number): number {
  return value < 64 ? 1 : value < 16384 ? 2 : value < 1073741824 ? 4 : 8;
}

/** One record: QUIC variable-length integer length prefix, then the envelope. */
function encodeRecord(envelope: Uint8Array): Uint8Array<ArrayBuffer> {
  const length = envelope.length;
  const size = varintSize(length);
  const out = new Uint8Array(size + length);
  let value = length;
  for (let i = size - 1; i >= 0; i--) {
    out[i] = value & 0xff;
    value = Math.floor(value / 256);
  }
  out[0] |= size === 1 ? 0x00 : size === 2 ? 0x40 : size === 4 ? 0x80 : 0xc0;
  out.set(envelope, size);
  return out;
}

/** Reads a protobuf varint at `offset`; returns [value, next offset] or null if truncated. */
function readProtoVarint(bytes: Uint8Array, offset: number): [number, number] | null {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    value += (bytes[i] & 0x7f) * scale;
    if ((bytes[i] & 0x80) === 0) return [value, i + 1];
    scale *= 128;
  }
  return null;
}

/** Finds length-delimited or varint field `field` in the protobuf message bytes[start, end). */
function findField(bytes: Uint8Array, start: number, end: number, field: number): [number, number] | null {
  let offset = start;
  while (offset < end) {
    const key = readProtoVarint(bytes, offset);
    if (!key) return null;
    const [tag, afterKey] = key;
    const wireType = tag & 7;
    const number = Math.floor(tag / 8);
    if (wireType === 0) {
      const value = readProtoVarint(bytes, afterKey);
      if (!value) return null;
      if (number === field) return [value[0], value[1]];
      offset = value[1];
    } else if (wireType === 2) {
      const length = readProtoVarint(bytes, afterKey);
      if (!length) return null;
      if (number === field) return [length[1], length[1] + length[0]]; // [payload start, end]
      offset = length[1] + length[0];
    } else if (wireType === 1) {
      offset = afterKey + 8;
    } else if (wireType === 5) {
      offset = afterKey + 4;
    } else {
      return null;
    }
  }
  return null;
}

/** Envelope routing facts without a full decode: control, or media with its kind. */
function classify(envelope: Uint8Array): { media: boolean; kind: number } {
  const media = findField(envelope, 0, envelope.length, 1); // Envelope.media
  if (!media) return { media: false, kind: 0 };
  const header = findField(envelope, media[0], media[1], 1); // Media.header
  if (!header) return { media: true, kind: 0 };
  const kind = findField(envelope, header[0], header[1], 1); // MediaHeader.kind
  return { media: true, kind: kind ? kind[0] : 0 };
}

/** Reassembles records from a byte stream and hands each envelope to `deliver`. */
async function readRecords(stream: ReadableStream<Uint8Array>, deliver: (envelope: Uint8Array) => void): Promise<void> {
  const reader = stream.getReader();
  let buffer = new Uint8Array(0);
  for (;;) {
    const { value, done } = await reader.read();
    if (done || !value) return;
    const joined = new Uint8Array(buffer.length + value.length);
    joined.set(buffer);
    joined.set(value, buffer.length);
    let offset = 0;
    while (offset < joined.length) {
      const first = joined[offset];
      const size = 1 << (first >> 6);
      if (joined.length - offset < size) break;
      let length = first & 0x3f;
      for (let i = 1; i < size; i++) length = length * 256 + joined[offset + i];
      if (joined.length - offset - size < length) break;
      deliver(joined.subarray(offset + size, offset + size + length));
      offset += size + length;
    }
    buffer = joined.slice(offset);
  }
}

export class WebTransportTransport implements Transport {
  readonly name = 'WebTransport';
  onmessage: (envelope: Uint8Array) => void = () => {};
  onclose: (info: TransportCloseInfo) => void = () => {};
  private session: WebTransport | null = null;
  private control: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private datagrams: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private readonly mediaStreams = new Map<number, Promise<WritableStreamDefaultWriter<Uint8Array> | null>>();
  private backlog = 0;
  private closedLocally = false;
  private connected = false;

  constructor(private readonly options: TransportOptions) {}

  async connect(): Promise<void> {
    const offer = this.options.webTransport;
    if (!offer) throw new Error('the server offers no WebTransport');
    const url = new URL(offer.url);
    url.searchParams.set('token', this.options.token);
    const hashes = offer.certificateHashes.map((hash) => ({ algorithm: 'sha-256', value: base64ToBytes(hash) }));
    const session = new WebTransport(url.toString(), hashes.length > 0 ? { serverCertificateHashes: hashes } : {});
    this.session = session;
    session.closed.then(
      (info) => this.ended({ code: info.closeCode ?? 1000, reason: info.reason ?? '' }),
      (error: unknown) => this.ended({ code: 1006, reason: String(error) }),
    );
    await session.ready;
    // The control stream is the first stream of the session (the server expects Hello on it).
    const control = await session.createBidirectionalStream();
    this.control = control.writable.getWriter();
    this.datagrams = session.datagrams.writable.getWriter();
    const deliver = (envelope: Uint8Array) => this.onmessage(envelope);
    void readRecords(control.readable, deliver).catch(() => {});
    void this.acceptStreams(session, deliver);
    void this.readDatagrams(session, deliver);
    this.connected = true;
  }

  private async acceptStreams(session: WebTransport, deliver: (envelope: Uint8Array) => void): Promise<void> {
    const incoming = session.incomingUnidirectionalStreams.getReader();
    try {
      for (;;) {
        const { value, done } = await incoming.read();
        if (done || !value) return;
        void readRecords(value, deliver).catch(() => {});
      }
    } catch {
      // session closed
    }
  }

  private async readDatagrams(session: WebTransport, deliver: (envelope: Uint8Array) => void): Promise<void> {
    const reader = session.datagrams.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || !value) return;
        deliver(value);
      }
    } catch {
      // session closed
    }
  }

  private ended(info: TransportCloseInfo): void {
    const wasConnected = this.connected;
    this.connected = false;
    if (wasConnected && !this.closedLocally) this.onclose(info);
    this.closedLocally = true; // report once
  }

  private mediaStream(kind: number): Promise<WritableStreamDefaultWriter<Uint8Array> | null> {
    let stream = this.mediaStreams.get(kind);
    if (!stream) {
      const session = this.session;
      stream = session
        ? session.createUnidirectionalStream().then(
            (writable) => writable.getWriter(),
            () => null,
          )
        : Promise.resolve(null);
      this.mediaStreams.set(kind, stream);
    }
    return stream;
  }

  private write(writer: WritableStreamDefaultWriter<Uint8Array>, bytes: Uint8Array<ArrayBuffer>): void {
    this.backlog += bytes.length;
    writer.write(bytes).then(
      () => (this.backlog -= bytes.length),
      () => (this.backlog -= bytes.length),
    );
  }

  send(envelope: Uint8Array): void {
    if (!this.connected || !this.session || !this.control) return;
    const { media, kind } = classify(envelope);
    if (!media) {
      this.write(this.control, encodeRecord(envelope));
      return;
    }
    const maxDatagram = this.session.datagrams.maxDatagramSize ?? 0;
    if (kind === MEDIA_KIND_AUDIO && this.datagrams && envelope.length <= maxDatagram) {
      // Unreliable by design: a lost audio packet is concealed by the decoder.
      this.datagrams.write(envelope.slice()).catch(() => {});
      return;
    }
    const record = encodeRecord(envelope);
    this.backlog += record.length; // counted until the stream exists and takes it
    void this.mediaStream(kind).then((writer) => {
      this.backlog -= record.length;
      if (writer && this.connected) this.write(writer, record);
    });
  }

  backlogBytes(): number {
    return this.backlog;
  }

  simulateDrop(): void {
    this.session?.close({ closeCode: 3000, reason: 'simulated network drop' });
  }

  close(code = 1000, reason = ''): void {
    this.closedLocally = true;
    this.connected = false;
    try {
      this.session?.close({ closeCode: code, reason });
    } catch {
      // already closed
    }
  }
}
