// Full-page screens of the waiting room and of a meeting that ended for us (PROTOCOL.md §14):
// plain words, no raw codes in the main text.
import { el, icons } from '../../ui/icons';

/** Close codes of §14 that end the meeting for us with their own screen. */
export const CLOSE_ENTRY_DENIED = 4430;
export const CLOSE_REMOVED = 4431;
export const CLOSE_BARRED = 4432;
export const CLOSE_MEETING_ENDED = 4433;

export function isHostEndCode(code: number | string): boolean {
  return code === CLOSE_ENTRY_DENIED || code === CLOSE_REMOVED || code === CLOSE_BARRED || code === CLOSE_MEETING_ENDED;
}

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

export function hostEndCard(code: number, meetingId: string, rejoin: () => void, home: () => void): HTMLElement {
  const texts: Record<number, [string, string]> = {
    [CLOSE_MEETING_ENDED]: ['The host ended the meeting', 'The meeting is over for everyone. Thanks for joining.'],
    [CLOSE_REMOVED]: ['You were removed from the meeting', 'The host removed you from this meeting.'],
    [CLOSE_BARRED]: ['You were removed from the meeting', 'The host removed you, and you cannot rejoin this meeting.'],
    [CLOSE_ENTRY_DENIED]: ['The host did not let you in', 'Your request to join this meeting was declined.'],
  };
  const [title, message] = texts[code] ?? ['You left the meeting', ''];
  const card = el('div', 'card host-end-card');
  card.dataset.testid = code === CLOSE_MEETING_ENDED ? 'meeting-ended-card' : code === CLOSE_ENTRY_DENIED ? 'entry-denied-card' : 'removed-card';
  card.setAttribute('role', 'alert');
  const icon = el('div', 'host-end-icon');
  icon.innerHTML = code === CLOSE_MEETING_ENDED ? icons.leave : icons.alert;
  card.append(icon, el('h2', 'error-title', title), el('p', 'error-message', message), el('p', 'waiting-meeting', `Meeting “${meetingId}”`));
  const actions = el('div', 'error-actions');
  if (code === CLOSE_REMOVED || code === CLOSE_ENTRY_DENIED) {
    const again = el('button', 'btn btn-primary', 'Ask to join again');
    again.addEventListener('click', rejoin);
    actions.append(again);
  }
  const back = el('button', code === CLOSE_REMOVED || code === CLOSE_ENTRY_DENIED ? 'btn' : 'btn btn-primary', 'Back to home');
  back.addEventListener('click', home);
  actions.append(back);
  card.append(actions);
  return card;
}
