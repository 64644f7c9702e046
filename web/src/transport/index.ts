import type { Transport, TransportOptions } from './transport';
import { WebSocketTransport } from './websocket-transport';
import { WebTransportTransport } from './webtransport-transport';

export type { Transport, TransportCloseInfo, TransportOptions } from './transport';

/** How long WebTransport may take to connect before the WebSocket is used instead. */
export const WEBTRANSPORT_CONNECT_TIMEOUT_MS = 1500;

function timeout(ms: number): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`no connection within ${ms} ms`)), ms));
}

/**
 * Picks and connects a transport: WebTransport when the server offers it and the browser has it
 * (it must connect within 1.5 s), otherwise, or when that fails, the WebSocket. Throws if neither
 * connects (or the WebSocket takes longer than `webSocketTimeoutMs`). `?transport=websocket` in
 * the page URL skips WebTransport (tests, troubleshooting).
 */
export async function connectTransport(options: TransportOptions, webSocketTimeoutMs?: number): Promise<Transport> {
  const forced = new URLSearchParams(window.location.search).get('transport');
  if (options.webTransport && typeof WebTransport !== 'undefined' && forced !== 'websocket') {
    const webTransport = new WebTransportTransport(options);
    try {
      await Promise.race([webTransport.connect(), timeout(WEBTRANSPORT_CONNECT_TIMEOUT_MS)]);
      return webTransport;
    } catch (error) {
      webTransport.close();
      console.warn(`WebTransport unavailable, falling back to WebSocket: ${String(error)}`);
    }
  }
  const transport = new WebSocketTransport(options);
  try {
    // A host that is gone may never answer the TCP handshake: reconnects bound the wait.
    await (webSocketTimeoutMs === undefined ? transport.connect() : Promise.race([transport.connect(), timeout(webSocketTimeoutMs)]));
  } catch (error) {
    transport.close();
    throw error;
  }
  return transport;
}
