// "Connection details": a dialog with what support and curious people ask for (transport, RTT,
// bitrates, resolution, frame rate, codec, decode time, freezes, loss, jitter buffer delay) and the
// last 60 s of bitrate and RTT as small graphs. Opened from the top-bar indicator (our own
// connection) or a tile's indicator (that peer); a picker switches between them.
import { serverLabel } from '../api';
import { stats } from '../stats';
import { el, icons } from '../ui/icons';
import type { ConnectionMonitor, ConnectionSnapshot, MonitoredPeer, Subject } from './monitor';
import { Sparkline } from './sparkline';
import { QUALITY_HISTORY_SAMPLES } from './thresholds';

const SUMMARY = {
  good: 'Your call should look and sound smooth.',
  fair: 'You may notice some stutter or delay.',
  poor: 'Video and sound may freeze or break up.',
} as const;

const DASH = '—';
const rate = (kbps: number | null) => (kbps === null ? DASH : kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${kbps} kbit/s`);
const ms = (value: number | null) => (value === null ? DASH : `${value} ms`);
const percent = (share: number | null) => (share === null ? DASH : `${(share * 100).toFixed(share > 0 && share < 0.01 ? 1 : 0)} %`);

export class ConnectionDetailsPanel {
  readonly element = el('dialog', 'conn-details');
  private readonly picker = el('select', 'conn-picker');
  private readonly summary = el('p', 'conn-summary');
  private readonly rows = el('dl', 'conn-rows');
  private readonly bitrateGraph = new Sparkline(QUALITY_HISTORY_SAMPLES, 'Bitrate over the last 60 seconds', 'kbit/s');
  private readonly rttGraph = new Sparkline(QUALITY_HISTORY_SAMPLES, 'Round-trip time over the last 60 seconds', 'ms');
  private readonly transportName = el('span');
  private readonly serverName = el('span');
  private subject: Subject = 'self';

  constructor(
    private readonly monitor: ConnectionMonitor,
    private readonly peers: () => MonitoredPeer[],
  ) {
    this.element.dataset.testid = 'connection-details';
    this.element.setAttribute('aria-labelledby', 'conn-details-title');
    const header = el('div', 'conn-header');
    const title = el('h2', 'conn-title', 'Connection details');
    title.id = 'conn-details-title';
    const close = el('button', 'icon-btn conn-close');
    close.type = 'button';
    close.innerHTML = icons.close;
    close.setAttribute('aria-label', 'Close connection details');
    close.addEventListener('click', () => this.close());
    header.append(title, close);
    this.picker.setAttribute('aria-label', 'Whose connection');
    this.picker.dataset.testid = 'connection-details-picker';
    this.picker.addEventListener('change', () => {
      this.subject = this.picker.value === 'self' ? 'self' : Number(this.picker.value);
      this.render();
    });
    this.transportName.dataset.testid = 'transport-name';
    this.serverName.dataset.testid = 'server-name';
    const graphs = el('div', 'conn-graphs');
    const bitrate = el('figure', 'conn-graph');
    const bitrateCaption = el('figcaption', '', 'Bitrate, last 60 s ');
    bitrateCaption.append(el('span', 'legend legend-send', 'sending'), ' ', el('span', 'legend legend-receive', 'receiving'));
    bitrate.append(bitrateCaption, this.bitrateGraph.element);
    const rtt = el('figure', 'conn-graph');
    rtt.append(el('figcaption', '', 'Round-trip time, last 60 s'), this.rttGraph.element);
    graphs.append(bitrate, rtt);
    this.element.append(header, this.picker, this.summary, this.rows, graphs);
    // Kept current while closed too (once a second, cheap): tests and support read it any time.
    monitor.onSample(() => this.render());
    // A click on the backdrop (outside the dialog's box) closes it.
    this.element.addEventListener('click', (event) => {
      if (event.target === this.element) this.close();
    });
  }

  get isOpen(): boolean {
    return this.element.open;
  }

  open(subject: Subject): void {
    this.subject = subject;
    this.render();
    if (!this.element.open) this.element.showModal();
  }

  close(): void {
    if (this.element.open) this.element.close();
  }

  render(): void {
    const peers = this.peers();
    const peer = typeof this.subject === 'number' ? (peers.find((candidate) => candidate.id === this.subject) ?? null) : null;
    if (this.subject !== 'self' && !peer) this.subject = 'self'; // that peer left
    this.renderPicker(peers);
    const snapshot = this.monitor.snapshot(this.subject, peer);
    this.element.dataset.subject = String(this.subject);
    this.element.dataset.quality = this.monitor.isReconnecting ? 'reconnecting' : (snapshot.level ?? 'connecting');
    const causes = snapshot.causes.length ? ` Now: ${snapshot.causes.join(', ')}.` : '';
    this.summary.textContent = this.monitor.isReconnecting
      ? 'Reconnecting to the meeting…'
      : snapshot.level
        ? `${snapshot.level === 'good' ? 'Good' : snapshot.level === 'fair' ? 'Fair' : 'Poor'} connection. ${SUMMARY[snapshot.level]}${causes}`
        : 'Measuring…';
    this.renderRows(snapshot, peer === null);
    this.bitrateGraph.draw([
      { values: snapshot.history.sendKbps, className: 'line-send' },
      { values: snapshot.history.receiveKbps, className: 'line-receive' },
    ]);
    this.rttGraph.draw([{ values: snapshot.history.rttMs, className: 'line-rtt' }]);
  }

  private renderPicker(peers: MonitoredPeer[]): void {
    const options: [string, string][] = [['self', 'Your connection'], ...peers.map((p): [string, string] => [String(p.id), `From ${p.name}`])];
    const signature = JSON.stringify(options);
    if (this.picker.dataset.signature !== signature) {
      this.picker.dataset.signature = signature;
      this.picker.replaceChildren(...options.map(([value, label]) => Object.assign(el('option', '', label), { value })));
    }
    this.picker.value = String(this.subject);
    this.picker.hidden = peers.length === 0;
  }

  private renderRows(s: ConnectionSnapshot, self: boolean): void {
    this.transportName.textContent = stats.transport ?? DASH;
    this.serverName.textContent = stats.server ? serverLabel(stats.server) : DASH;
    // "WebTransport · 127.0.0.1:8081": the address wraps as a whole on a phone.
    const connection = el('span');
    const server = el('span', 'conn-server');
    server.append(this.serverName);
    connection.append(this.transportName, ' · ', server);
    const video =
      s.width && s.height ? `${s.width}×${s.height} · ${s.fps ?? DASH} fps${s.codec ? ` · ${s.codec}` : ''}` : self ? 'Camera off' : 'No video';
    const rows: [string, string | HTMLElement, string][] = [
      ['Connection', connection, 'transport'],
      ['Round-trip time', ms(s.rttMs), 'rtt'],
      ['Sending', rate(s.sendKbps), 'send'],
      ['Receiving', rate(s.receiveKbps), 'receive'],
      [self ? 'Your video' : 'Video', video, 'video'],
      ['Decode time', ms(s.decodeMs), 'decode'],
      ['Freezes', s.freezes === null ? DASH : String(s.freezes), 'freezes'],
      ['Audio loss', percent(s.loss), 'loss'],
      ['Jitter buffer delay', ms(s.jitterBufferMs), 'jitter'],
    ];
    this.rows.replaceChildren(
      ...rows.flatMap(([label, value, key]) => {
        const term = el('dt', '', label);
        const detail = el('dd');
        detail.dataset.field = key;
        detail.append(value);
        return [term, detail];
      }),
    );
  }
}
