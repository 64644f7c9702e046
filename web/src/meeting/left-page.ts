// After Leave: the "You left" card, and a history entry marked as left, so Back and Forward (or a
// reload) come back to this card instead of into the meeting. Rejoin replaces the entry, so the
// history never holds two meeting entries that Back could walk into.
import { el } from '../ui/icons';

interface LeftState {
  vcLeftMeeting: string;
}

/** Marks the current history entry as "left `meetingId`" (no new entry). */
export function markLeft(meetingId: string): void {
  const state: LeftState = { vcLeftMeeting: meetingId };
  window.history.replaceState(state, '', window.location.href);
}

/** Whether the current history entry is a meeting that was left (main.ts shows the card then). */
export function wasLeft(meetingId: string): boolean {
  const state = window.history.state as Partial<LeftState> | null;
  return state?.vcLeftMeeting === meetingId;
}

export type Navigate = (path: string, replace?: boolean) => void;

export function leftCard(meetingId: string, navigate: Navigate): HTMLElement {
  const card = el('div', 'card left-card');
  card.dataset.testid = 'left-card';
  card.append(el('h2', 'error-title', 'You left the meeting'), el('p', 'error-message', `Meeting “${meetingId}”`));
  const actions = el('div', 'error-actions');
  const rejoin = el('button', 'btn btn-primary', 'Rejoin');
  rejoin.dataset.testid = 'rejoin-button';
  rejoin.addEventListener('click', () => navigate(window.location.pathname + window.location.search, true));
  const home = el('button', 'btn', 'Back to home');
  home.dataset.testid = 'home-button';
  home.addEventListener('click', () => navigate('/' + window.location.search));
  actions.append(rejoin, home);
  card.append(actions);
  return card;
}

/** The left card as a whole page (a Back or Forward onto a left meeting's entry). */
export function renderLeftPage(root: HTMLElement, meetingId: string, navigate: Navigate): () => void {
  const page = el('main', 'home');
  page.append(leftCard(meetingId, navigate));
  root.replaceChildren(page);
  return () => {};
}
