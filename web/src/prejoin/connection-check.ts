// The pre-join connection check, kept short and bounded (about 3 s, ~0.5 MB at most) and built only
// on what the server already serves, so it costs no join, no token and no new endpoint:
// - round trip: a few GET /healthz on the page's server (same host, port and TCP/TLS path as the
//   WebSocket); the first one, which pays for the connection setup, is not counted;
// - download speed: one uncached fetch of the app's own script bundle, read for at most 2 s;
// - WebTransport: whether this browser has it (the server's offer comes with the join, which the
//   call then tries first and falls back from on its own).

import { RTT_FAIR_MS, RTT_POOR_MS } from '../quality/thresholds';

export type ConnectionVerdict = 'good' | 'fair' | 'poor' | 'offline';

export interface ConnectionReport {
  reachable: boolean;
  rttMs: number | null;
  /** Measured download rate; a lower bound on short links (the probe is small). */
  downloadKbps: number | null;
  webTransportInBrowser: boolean;
  verdict: ConnectionVerdict;
  /** One plain sentence for the user. */
  summary: string;
}

const RTT_SAMPLES = 4;
const REQUEST_TIMEOUT_MS = 2000;
const DOWNLOAD_BUDGET_MS = 2000;
const DOWNLOAD_MAX_BYTES = 512 * 1024;

/** Thresholds for a call with video: ~1.5 Mbit/s down carries a few 360p tiles, audio needs ~50 kbit/s. */
export function judgeConnection(reachable: boolean, rttMs: number | null, downloadKbps: number | null): { verdict: ConnectionVerdict; summary: string } {
  if (!reachable) return { verdict: 'offline', summary: 'We could not reach the meeting server. Check your internet connection, then try again.' };
  const slowRtt = rttMs !== null && rttMs >= RTT_POOR_MS;
  const slowDown = downloadKbps !== null && downloadKbps < 500;
  if (slowRtt || slowDown) {
    return { verdict: 'poor', summary: 'Your connection is slow: audio should work, but video may freeze. Turning your camera off helps.' };
  }
  if ((rttMs !== null && rttMs >= RTT_FAIR_MS) || (downloadKbps !== null && downloadKbps < 1500)) {
    return { verdict: 'fair', summary: 'Your connection is fine for audio and should manage video, perhaps at lower quality.' };
  }
  return { verdict: 'good', summary: 'Your connection looks good for video.' };
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timedFetch(url: string, signal: AbortSignal): Promise<number | null> {
  const started = performance.now();
  try {
    const response = await fetch(url, { cache: 'no-store', signal: AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) });
    await response.arrayBuffer();
    return response.ok ? performance.now() - started : null;
  } catch {
    return null;
  }
}

async function measureRtt(signal: AbortSignal): Promise<{ reachable: boolean; rttMs: number | null }> {
  const samples: number[] = [];
  let reachable = false;
  for (let i = 0; i <= RTT_SAMPLES && !signal.aborted; i++) {
    const ms = await timedFetch('/healthz', signal);
    if (ms === null) break;
    reachable = true;
    if (i > 0) samples.push(ms); // the first request also paid for the connection
  }
  return { reachable, rttMs: median(samples) };
}

/** The app's own script bundle: always on the server, and large enough to time. */
function probeUrl(): string | null {
  const script = document.querySelector<HTMLScriptElement>('script[type="module"][src]');
  return script ? script.src : null;
}

async function measureDownload(signal: AbortSignal): Promise<number | null> {
  const url = probeUrl();
  if (!url) return null;
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener('abort', stop);
  const timer = window.setTimeout(stop, DOWNLOAD_BUDGET_MS);
  const started = performance.now();
  let bytes = 0;
  try {
    const response = await fetch(url, { cache: 'no-store', signal: controller.signal });
    const reader = response.body?.getReader();
    if (!response.ok || !reader) return null;
    while (bytes < DOWNLOAD_MAX_BYTES) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    reader.cancel().catch(() => {});
  } catch {
    // out of time: what arrived so far still gives a rate
  } finally {
    window.clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
  const seconds = (performance.now() - started) / 1000;
  // Under 16 KiB says nothing about the rate (one round trip's worth).
  return bytes < 16 * 1024 || seconds <= 0 ? null : Math.round((bytes * 8) / 1000 / seconds);
}

export async function checkConnection(signal: AbortSignal): Promise<ConnectionReport> {
  const { reachable, rttMs } = await measureRtt(signal);
  const downloadKbps = reachable && !signal.aborted ? await measureDownload(signal) : null;
  return {
    reachable,
    rttMs: rttMs === null ? null : Math.round(rttMs),
    downloadKbps,
    webTransportInBrowser: typeof WebTransport !== 'undefined',
    ...judgeConnection(reachable, rttMs, downloadKbps),
  };
}
