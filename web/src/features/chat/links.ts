// Splits chat text into plain text and links. Only http: and https: URLs become links; everything
// is later inserted as text (textContent), never as HTML. Pure: unit-tested in test/unit.

export type ChatSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

/** A URL candidate: a scheme-looking run or a www. prefix, up to white space. */
const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;
/** Punctuation that usually ends a sentence rather than the URL. */
const TRAILING = '.,;:!?\'"]}';

/** Drops trailing punctuation; a ")" stays when it closes a "(" inside the URL (wiki links). */
function trimTrailing(candidate: string): string {
  for (;;) {
    const last = candidate[candidate.length - 1];
    if (last === ')' && candidate.split(')').length > candidate.split('(').length) {
      candidate = candidate.slice(0, -1);
    } else if (last !== undefined && TRAILING.includes(last)) {
      candidate = candidate.slice(0, -1);
    } else {
      return candidate;
    }
  }
}

/** The URL as a safe link target, or null (other schemes, credentials, unparsable). */
export function safeHref(candidate: string): string | null {
  const withScheme = /^www\./i.test(candidate) ? `https://${candidate}` : candidate;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password) return null; // "https://bank.com@evil.example" misleads
  if (!url.hostname) return null;
  return url.href;
}

export function splitLinks(text: string): ChatSegment[] {
  const segments: ChatSegment[] = [];
  let last = 0;
  const pushText = (t: string) => {
    if (!t) return;
    const previous = segments[segments.length - 1];
    if (previous?.kind === 'text') previous.text += t;
    else segments.push({ kind: 'text', text: t });
  };
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index ?? 0;
    const candidate = trimTrailing(match[0]);
    const href = safeHref(candidate);
    pushText(text.slice(last, start));
    if (href) segments.push({ kind: 'link', text: candidate, href });
    else pushText(candidate);
    last = start + candidate.length;
  }
  pushText(text.slice(last));
  return segments;
}
