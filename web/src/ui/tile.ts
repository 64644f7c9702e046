// One participant tile: video (canvas for peers, <video> for self-view), name label, mic-off
// badge, and an initials placeholder while the camera is off or no frame has arrived yet.
import { el, hueFor, icons, initials } from './icons';

export interface TileOptions {
  id: number | string;
  name: string;
  isSelf: boolean;
  media: HTMLCanvasElement | HTMLVideoElement;
  /** "self", or "publisher/track" for a remote camera or screen (the stage and tests key on it). */
  key: string;
  source?: 'camera' | 'screen';
  /** Pin or unpin this tile (the pin button on the tile). */
  onPin?(): void;
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
  private readonly pinButton = el('button', 'tile-pin');
  private decodedSize = '';

  constructor(private readonly options: TileOptions) {
    const screen = options.source === 'screen';
    this.element.dataset.participantId = String(options.id);
    this.element.dataset.testid = options.isSelf ? 'self-tile' : screen ? 'screen-tile' : 'peer-tile';
    this.element.dataset.tileKey = options.key;
    this.element.dataset.source = options.source ?? 'camera';
    if (options.isSelf) this.element.classList.add('self');
    if (screen) this.element.classList.add('screen');
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
    if (options.onPin) {
      this.pinButton.dataset.testid = 'pin-button';
      this.pinButton.innerHTML = icons.pin;
      this.pinButton.addEventListener('click', (event) => {
        event.stopPropagation();
        options.onPin!();
      });
      this.element.append(this.pinButton);
      this.element.addEventListener('dblclick', () => options.onPin!());
      this.setPinned(false);
    }
    this.setName(options.name);
    this.setMicOn(true);
    this.refresh();
  }

  get key(): string {
    return this.options.key;
  }

  setName(name: string): void {
    const screen = this.options.source === 'screen';
    this.nameLabel.textContent = this.options.isSelf ? `${name} (You)` : screen ? `${name}’s screen` : name;
    this.nameLabel.title = this.nameLabel.textContent; // the whole name where the label cuts it short
    this.avatar.textContent = initials(name);
  }

  setPinned(pinned: boolean): void {
    this.element.classList.toggle('pinned', pinned);
    this.pinButton.title = pinned ? 'Unpin' : 'Pin';
    this.pinButton.setAttribute('aria-label', 'Pin'); // one name; aria-pressed says whether it is on
    this.pinButton.setAttribute('aria-pressed', String(pinned));
  }

  /** The server's dominant speaker (ActiveSpeakers): a steady highlight, unlike the speaking flash. */
  setDominant(dominant: boolean): void {
    this.element.classList.toggle('dominant', dominant);
  }

  /** For tests and debugging: the size of the last decoded frame and whether a decoder runs. */
  setDecodeState(decoding: boolean, width: number, height: number): void {
    const size = `${decoding ? 1 : 0}:${width}x${height}`;
    if (size === this.decodedSize) return; // called for every decoded frame
    this.decodedSize = size;
    this.element.dataset.decoding = String(decoding);
    this.element.dataset.decodedWidth = String(width);
    this.element.dataset.decodedHeight = String(height);
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
