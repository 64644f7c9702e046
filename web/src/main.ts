// Entry point and tiny client-side router: "/" is the home page, "/meeting/{id}" a meeting. The
// server serves index.html for both, so deep links work; in-app navigation uses the History API.
import './styles.css';
import './theme.css';
import { renderHome } from './home';
import { renderLeftPage, wasLeft } from './meeting/left-page';
import { renderMeeting } from './meeting/meeting-page';
import './stats';

const root = document.getElementById('app')!;
let disposeCurrent: () => void = () => {};

function route(): void {
  disposeCurrent();
  const match = /^\/meeting\/([^/]+)\/?$/.exec(window.location.pathname);
  if (match) {
    const meetingId = decodeURIComponent(match[1]!);
    document.title = `${meetingId} · videocall`;
    disposeCurrent = wasLeft(meetingId) ? renderLeftPage(root, meetingId, navigate) : renderMeeting(root, meetingId, navigate);
  } else {
    document.title = 'videocall';
    disposeCurrent = renderHome(root, navigate);
  }
}

/** `replace`: the new page takes the current history entry (Rejoin, Try again) instead of a new one. */
export function navigate(path: string, replace = false): void {
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  route();
}

window.addEventListener('popstate', route);
window.addEventListener('pagehide', () => disposeCurrent());
route();
