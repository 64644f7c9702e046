// Error and warning surfaces. Fatal errors replace the meeting view with a clear card (role=alert);
// warnings are a dismissible strip above the grid.
import type { MeetingError } from '../errors';
import { el, icons } from './icons';

export interface BannerAction {
  label: string;
  primary?: boolean;
  run(): void;
}

export function errorCard(error: MeetingError, actions: BannerAction[]): HTMLElement {
  const card = el('div', 'card error-card');
  card.setAttribute('role', 'alert');
  card.dataset.testid = 'error-banner';
  const icon = el('div', 'error-icon');
  icon.innerHTML = icons.alert;
  const title = el('h2', 'error-title', error.title);
  const message = el('p', 'error-message', error.message);
  const code = el('p', 'error-code', `Error code: ${error.code}`);
  const buttons = el('div', 'error-actions');
  for (const action of actions) {
    const button = el('button', action.primary ? 'btn btn-primary' : 'btn', action.label);
    button.addEventListener('click', action.run);
    buttons.append(button);
  }
  card.append(icon, title, message, code, buttons);
  return card;
}

export function warningStrip(text: string): HTMLElement {
  const strip = el('div', 'warning-strip');
  strip.setAttribute('role', 'status');
  strip.dataset.testid = 'warning-banner';
  const message = el('span', '', text);
  const close = el('button', 'warning-close', '×');
  close.title = 'Dismiss';
  close.addEventListener('click', () => strip.remove());
  strip.append(message, close);
  return strip;
}
