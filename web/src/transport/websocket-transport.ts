import type { Transport, TransportCloseInfo, TransportOptions } from './transport';

/** Resolves a server-given path like "/ws" against the page origin, switching http(s) to ws(s). */
export function webSocketUrl(wsUrl: string, token: string): string {
  const url = new URL(wsUrl, window.location.href);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  url.searchParams.set('token', token);
  return url.toString();
}

export class WebSocketTransport implements Transport {
  readonly name = 'WebSocket';
  onmessage: (envelope: Uint8Array) => void = () => {};
  onclose: (info: TransportCloseInfo) => void = () => {};
  private socket: WebSocket | null = null;
  private closedLocally = false;

  constructor(private readonly options: TransportOptions) {}

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(webSocketUrl(this.options.wsUrl, this.options.token));
      socket.binaryType = 'arraybuffer';
      this.socket = socket;
      let opened = false;
      socket.onopen = () => {
        opened = true;
        resolve();
      };
      socket.onmessage = (event) => {
        if (event.data instanceof ArrayBuffer) this.onmessage(new Uint8Array(event.data));
      };
      socket.onclose = (event) => {
        if (!opened) {
          reject(new Error(`WebSocket connection failed (close code ${event.code})`));
          return;
        }
        if (!this.closedLocally) this.onclose({ code: event.code, reason: event.reason });
      };
    });
  }

  send(envelope: Uint8Array): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(envelope as Uint8Array<ArrayBuffer>);
  }

  backlogBytes(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  simulateDrop(): void {
    this.socket?.close(3000, 'simulated network drop');
  }

  close(code = 1000, reason = ''): void {
    this.closedLocally = true;
    this.socket?.close(code, reason);
  }
}
