// The waiting room's full-page card (PROTOCOL.md §14). A meeting that ended for us (removed,
// declined, ended) is an error screen: its words are in errors.ts, the one table of them.
import { el } from '../../ui/icons';

export function waitingCard(meetingId: string, locked: boolean, onLeave: () => void): HTMLElement {
  const card = el('div', 'card waiting-card');
  card.dataset.testid = 'waiting-card';
  card.setAttribute('role', 'status');
  card.setAttribute('aria-live', 'polite');
  const spinner = el('div', 'waiting-spinner');
  spinner.setAttribute('aria-hidden', 'true');
  const title = el('h2', 'waiting-title', 'Waiting for the host to let you in');
  const detail = el(
    'p',
    'waiting-message',
    locked
      ? 'This meeting is locked. The host can still let you in.'
      : 'You will join as soon as the host admits you. Your camera and microphone stay off until then.',
  );
  detail.dataset.testid = 'waiting-message';
  const meeting = el('p', 'waiting-meeting', `Meeting “${meetingId}”`);
  const actions = el('div', 'error-actions');
  const leave = el('button', 'btn', 'Leave');
  leave.dataset.testid = 'waiting-leave';
  leave.addEventListener('click', onLeave);
  actions.append(leave);
  card.append(spinner, title, detail, meeting, actions);
  return card;
}
