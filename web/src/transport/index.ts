import type { Transport, TransportOptions } from './transport';
import { WebSocketTransport } from './websocket-transport';

export type { Transport, TransportCloseInfo, TransportOptions } from './transport';

/**
 * Picks and connects a transport. Today: WebSocket only. The WebTransport implementation will try
 * WebTransport first and fall back to WebSocket here, so callers never change.
 */
export async function connectTransport(options: TransportOptions): Promise<Transport> {
  const transport = new WebSocketTransport(options);
  await transport.connect();
  return transport;
}
