// Screen-share controls of the meeting view: the control-bar button and the sharer's
// "You are presenting" banner with its own Stop button.
import { el, svg } from './icons';
import './screen-share.css';

const screenIcon = svg('<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4M12 13V7M9 10l3-3 3 3"/>');
const stopIcon = svg('<rect x="2" y="3" width="20" height="14" rx="2"/><path d="M8 21h8M12 17v4M9.5 7.5l5 5M14.5 7.5l-5 5"/>');

export class ScreenShareControls {
  /** Goes into the control bar. */
  readonly button = el('button', 'ctrl ctrl-screen');
  /** Goes above the tiles; hidden unless this participant is presenting. */
  readonly banner = el('div', 'presenting-banner');

  constructor(toggle: () => void, stop: () => void) {
    this.button.dataset.testid = 'screen-share-toggle';
    this.button.addEventListener('click', toggle);
    this.banner.dataset.testid = 'presenting-banner';
    this.banner.setAttribute('role', 'status');
    const dot = el('span', 'presenting-dot');
    const text = el('span', 'presenting-text');
    text.append(el('strong', '', 'You are presenting'), el('span', 'presenting-sub', ' · everyone sees your screen'));
    const stopButton = el('button', 'btn presenting-stop', 'Stop presenting');
    stopButton.dataset.testid = 'presenting-stop';
    stopButton.addEventListener('click', stop);
    this.banner.append(dot, text, stopButton);
    this.set(false, typeof navigator.mediaDevices?.getDisplayMedia === 'function');
  }

  /** `denied`: the tooltip when the room token does not allow screen sharing. */
  private denied: string | undefined;

  deny(denied: string | undefined): void {
    this.denied = denied;
    this.set(false, typeof navigator.mediaDevices?.getDisplayMedia === 'function');
  }

  /** `available`: the browser can share a screen at all (phones cannot). */
  set(sharing: boolean, available: boolean): void {
    const button = this.button;
    if (this.denied !== undefined) {
      button.innerHTML = `${screenIcon}<span>Present</span>`;
      button.classList.remove('active');
      button.classList.add('not-allowed');
      button.disabled = true;
      button.title = this.denied;
      button.setAttribute('aria-label', button.title);
      this.banner.hidden = true;
      return;
    }
    button.classList.remove('not-allowed');
    button.innerHTML = `${sharing ? stopIcon : screenIcon}<span>${sharing ? 'Stop' : 'Present'}</span>`;
    button.classList.toggle('active', sharing);
    button.disabled = !available;
    button.title = !available ? 'This browser cannot share a screen' : sharing ? 'Stop presenting your screen' : 'Present your screen';
    button.setAttribute('aria-label', 'Present your screen'); // one name; aria-pressed says whether it is on
    button.setAttribute('aria-pressed', String(sharing));
    this.banner.hidden = !sharing;
  }
}
