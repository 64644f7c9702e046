// The meeting page's quality parts in one place: the monitor, the top-bar indicator (our own
// connection), a compact indicator on each remote tile, and the connection details dialog they open.
import type { RemotePeer } from '../meeting/remote-peer';
import { ConnectionDetailsPanel } from './details-panel';
import { QualityIndicator } from './indicator';
import { ConnectionMonitor, type MonitoredPeer, type Subject } from './monitor';

export class QualityView {
  readonly indicator: QualityIndicator;
  readonly panel: ConnectionDetailsPanel;
  private readonly monitor: ConnectionMonitor;
  private readonly tileIndicators = new Map<number, QualityIndicator>();
  private peers: RemotePeer[] = [];
  private connected = false;

  constructor() {
    this.monitor = new ConnectionMonitor(() => this.monitored());
    this.indicator = new QualityIndicator('Your connection', false, () => this.open('self'));
    this.indicator.element.dataset.testid = 'connection-quality';
    this.panel = new ConnectionDetailsPanel(this.monitor, () => this.monitored());
    this.monitor.onSample(() => this.paint());
  }

  /** Opens the details for our connection ('self') or a peer (its participant id). */
  open(subject: Subject): void {
    this.panel.open(subject);
  }

  /** JoinAccepted: sampling runs and the indicators show the judged level. */
  joined(): void {
    this.connected = true;
    this.monitor.setReconnecting(false);
    this.monitor.start();
    this.paint();
    this.panel.render();
  }

  reconnecting(): void {
    this.connected = false;
    this.monitor.setReconnecting(true);
    this.paint();
  }

  /** The page's remote peers changed: a compact indicator on each camera tile. */
  setPeers(peers: RemotePeer[]): void {
    this.peers = peers;
    for (const [id, indicator] of this.tileIndicators) {
      if (peers.some((peer) => peer.id === id)) continue;
      indicator.element.remove();
      this.tileIndicators.delete(id);
    }
    for (const peer of peers) {
      let indicator = this.tileIndicators.get(peer.id);
      if (!indicator) {
        indicator = new QualityIndicator(`Connection from ${peer.name}`, true, () => this.open(peer.id));
        indicator.element.dataset.testid = 'tile-quality';
        this.tileIndicators.set(peer.id, indicator);
      }
      indicator.setSubject(`Connection from ${peer.name}`);
      if (indicator.element.parentElement !== peer.tile.element) peer.tile.element.append(indicator.element);
    }
    this.paint();
  }

  dispose(): void {
    this.monitor.stop();
    this.panel.close();
    for (const indicator of this.tileIndicators.values()) indicator.element.remove();
    this.tileIndicators.clear();
  }

  private paint(): void {
    const waiting = this.monitor.isReconnecting ? 'reconnecting' : this.connected ? 'connected' : 'connecting';
    const self = this.connected ? this.monitor.level('self') : null;
    this.indicator.set(self ?? waiting);
    for (const [id, indicator] of this.tileIndicators) indicator.set((this.connected ? this.monitor.level(id) : null) ?? waiting);
  }

  private monitored(): MonitoredPeer[] {
    return this.peers.map((peer) => ({
      id: peer.id,
      name: peer.name,
      stats: peer.stats,
      cameraOn: peer.cameraOn,
      videoDecoding: peer.camera.stats.decoding,
    }));
  }
}
