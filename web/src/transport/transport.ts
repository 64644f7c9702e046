// The media/control connection to the server, independent of the underlying transport. The
// WebSocket implementation is the baseline; a WebTransport one (with WebSocket fallback) plugs in
// behind the same interface.

export interface TransportCloseInfo {
  /** WebSocket-style close code: 1000 normal, 1006 abnormal, 44xx application error. */
  code: number;
  reason: string;
}

export interface Transport {
  /** Human-readable name shown in the UI and in window.__vc, e.g. "WebSocket". */
  readonly name: string;
  /** Resolves once messages can be sent; rejects if the connection cannot be established. */
  connect(): Promise<void>;
  /** Sends one encoded Envelope. Reliable and ordered for control; media may be dropped by the caller. */
  send(envelope: Uint8Array): void;
  /** Bytes queued locally and not yet handed to the network (used to drop video under backpressure). */
  backlogBytes(): number;
  /** Called with each received encoded Envelope. */
  onmessage: (envelope: Uint8Array) => void;
  /** Called once when the connection ends after connect() resolved (not after a local close()). */
  onclose: (info: TransportCloseInfo) => void;
  close(code?: number, reason?: string): void;
  /** Test hook: drop the connection the way a network failure would (onclose fires). */
  simulateDrop(): void;
}

export interface TransportOptions {
  /** Absolute or page-relative URL of the WebSocket endpoint, e.g. "/ws". */
  wsUrl: string;
  token: string;
  /** From the join response when the server offers WebTransport (QUIC); absent otherwise. */
  webTransport?: { url: string; certificateHashes: string[] };
}
