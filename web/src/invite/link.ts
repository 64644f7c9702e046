// Meeting links: the one URL form the app shares, and reading back whatever people paste into the
// home page's meeting field (a bare ID, a full link, a link without the scheme, or just the path).
import { MEETING_ID_PATTERN } from '../api';

/** The link to share for a meeting on the server at `origin`. */
export function meetingLink(origin: string, meetingId: string): string {
  return `${origin}/meeting/${encodeURIComponent(meetingId)}`;
}

const MEETING_PATH = /^\/meeting\/([^/?#]+)\/?$/;

/**
 * The meeting ID in what was typed or pasted, or the trimmed text itself when it is not a meeting
 * link (the caller validates it as an ID then). "https://host/meeting/abc?x#y", "host:8080/meeting/abc",
 * "/meeting/abc" and "abc" all give "abc".
 */
export function meetingIdFromInput(text: string): string {
  const trimmed = text.trim();
  if (MEETING_ID_PATTERN.test(trimmed)) return trimmed;
  const path = pathOf(trimmed);
  const match = path === null ? null : MEETING_PATH.exec(path);
  if (!match) return trimmed;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return trimmed;
  }
}

function pathOf(text: string): string | null {
  if (text.startsWith('/')) return text.replace(/[?#].*$/, '');
  for (const candidate of [text, `https://${text}`]) {
    try {
      const url = new URL(candidate);
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.pathname;
    } catch {
      // not a URL in this form
    }
  }
  return null;
}
