// One participant tile: video (canvas for peers, <video> for self-view), name label, mic-off
// badge, and an initials placeholder while the camera is off or no frame has arrived yet.
import { el, hueFor, icons, initials } from './icons';

export interface TileOptions {
  id: number | string;
  name: string;
  isSelf: boolean;
  media: HTMLCanvasElement | HTMLVideoElement;
}

const SPEAKING_HOLD_MS = 400;

export class Tile {
  readonly element = el('div', 'tile');
  private readonly nameLabel = el('span', 'tile-name');
  private readonly micBadge = el('span', 'tile-mic-off');
  private readonly avatar = el('div', 'tile-avatar');
  private readonly status = el('div', 'tile-status');
  private speakingTimer: number | undefined;
  private cameraOn = true;
  private hasVideo = false;

  constructor(private readonly options: TileOptions) {
    this.element.dataset.participantId = String(options.id);
    this.element.dataset.testid = options.isSelf ? 'self-tile' : 'peer-tile';
    if (options.isSelf) this.element.classList.add('self');
    const mediaBox = el('div', 'tile-media');
    mediaBox.append(options.media);
    const placeholder = el('div', 'tile-placeholder');
    placeholder.append(this.avatar, this.status);
    this.avatar.style.setProperty('--hue', String(hueFor(options.id)));
    this.micBadge.innerHTML = icons.micOff;
    this.micBadge.title = 'Microphone off';
    const label = el('div', 'tile-label');
    label.append(this.micBadge, this.nameLabel);
    this.element.append(mediaBox, placeholder, label);
    this.setName(options.name);
    this.setMicOn(true);
    this.refresh();
  }

  setName(name: string): void {
    this.nameLabel.textContent = this.options.isSelf ? `${name} (You)` : name;
    this.avatar.textContent = initials(name);
  }

  setMicOn(on: boolean): void {
    this.micBadge.hidden = on;
    this.element.classList.toggle('mic-off', !on);
  }

  setCameraOn(on: boolean): void {
    this.cameraOn = on;
    this.refresh();
  }

  /** Video frames are flowing (or, for self-view, a camera track exists). */
  setHasVideo(has: boolean): void {
    if (this.hasVideo === has) return; // called for every decoded frame
    this.hasVideo = has;
    this.refresh();
  }

  /** The peer's transport dropped and the server holds its place for a few seconds. */
  setReconnecting(reconnecting: boolean): void {
    this.element.classList.toggle('reconnecting', reconnecting);
  }

  /** Called with each audio packet's level (-dBov); loud packets light the border briefly. */
  noteAudioLevel(level: number): void {
    if (level > 45) return;
    this.element.classList.add('speaking');
    window.clearTimeout(this.speakingTimer);
    this.speakingTimer = window.setTimeout(() => this.element.classList.remove('speaking'), SPEAKING_HOLD_MS);
  }

  private refresh(): void {
    const showVideo = this.cameraOn && this.hasVideo;
    this.element.classList.toggle('show-video', showVideo);
    this.status.textContent = !this.cameraOn ? 'Camera off' : this.hasVideo ? '' : 'Connecting video…';
  }
}

/** Lays tiles out as large as possible at 16:9 inside the container, recomputing on resize. */
export class TileGrid {
  readonly element = el('div', 'tile-grid');
  private readonly observer = new ResizeObserver(() => this.layout());

  constructor() {
    this.element.dataset.testid = 'tile-grid';
    this.observer.observe(this.element);
  }

  add(tile: Tile, first = false): void {
    if (first) this.element.prepend(tile.element);
    else this.element.append(tile.element);
    this.layout();
  }

  remove(tile: Tile): void {
    tile.element.remove();
    this.layout();
  }

  dispose(): void {
    this.observer.disconnect();
  }

  layout(): void {
    const count = this.element.children.length;
    const gap = 12;
    const width = this.element.clientWidth - gap * 2;
    const height = this.element.clientHeight - gap * 2;
    if (!count || width <= 0 || height <= 0) return;
    let best = 0;
    for (let cols = 1; cols <= count; cols++) {
      const rows = Math.ceil(count / cols);
      const tileWidth = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * (16 / 9));
      best = Math.max(best, tileWidth);
    }
    this.element.style.setProperty('--tile-width', `${Math.floor(best)}px`);
  }
}
