// Error and warning surfaces. Fatal errors replace the meeting view with a clear card (role=alert)
// in plain words with what to do next; the raw code and message sit in a closed "Details" expander
// for support. Warnings are a dismissible strip above the grid.
import { describeError, errorDetails, type MeetingError } from '../errors';
import { el, icons } from './icons';

export interface BannerAction {
  label: string;
  primary?: boolean;
  run(): void;
}

export function errorCard(error: MeetingError, actions: BannerAction[]): HTMLElement {
  const description = describeError(error);
  const card = el('div', 'card error-card');
  card.setAttribute('role', 'alert');
  card.dataset.testid = 'error-banner';
  card.dataset.code = String(error.code);
  if (description.icon === 'leave') card.classList.add('ended');
  const icon = el('div', 'error-icon');
  icon.innerHTML = description.icon === 'leave' ? icons.leave : icons.alert;
  const title = el('h2', 'error-title', description.title);
  const message = el('p', 'error-message', description.message);
  message.dataset.testid = 'error-message';
  const action = el('p', 'error-action', description.action);
  action.dataset.testid = 'error-action';
  const buttons = el('div', 'error-actions');
  for (const item of actions) {
    const button = el('button', item.primary ? 'btn btn-primary' : 'btn', item.label);
    button.addEventListener('click', item.run);
    buttons.append(button);
  }
  const details = el('details', 'error-details');
  details.dataset.testid = 'error-details';
  const raw = el('pre', 'error-raw', errorDetails(error));
  details.append(el('summary', '', 'Details'), raw);
  card.append(icon, title, message, action, buttons, details);
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
