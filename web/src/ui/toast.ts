// Short messages that come and go at the bottom of the screen (device plugged in or out). One
// polite live region, so screen readers announce them without interrupting.
import { el } from './icons';
import './devices.css';

const SHOW_MS = 6000;
const MAX_SHOWN = 3;

export class Toasts {
  readonly element = el('div', 'toasts');

  constructor() {
    this.element.setAttribute('role', 'status');
    this.element.setAttribute('aria-live', 'polite');
  }

  show(message: string): void {
    const toast = el('div', 'toast', message);
    toast.dataset.testid = 'toast';
    this.element.append(toast);
    while (this.element.childElementCount > MAX_SHOWN) this.element.firstElementChild?.remove();
    window.setTimeout(() => toast.remove(), SHOW_MS);
  }
}
