// Entry point and tiny client-side router: "/" is the home page, "/meeting/{id}" a meeting. The
// server serves index.html for both, so deep links work; in-app navigation uses the History API.
import './styles.css';
import './theme.css';
import { renderHome } from './home';
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
    disposeCurrent = renderMeeting(root, meetingId, navigate);
  } else {
    document.title = 'videocall';
    disposeCurrent = renderHome(root, navigate);
  }
}

export function navigate(path: string): void {
  window.history.pushState(null, '', path);
  route();
}

window.addEventListener('popstate', route);
window.addEventListener('pagehide', () => disposeCurrent());
route();
