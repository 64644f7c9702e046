// User-facing failures. Every path that ends a meeting turns into a MeetingError and is shown on
// the error screen (never a silent empty room). The screen's words come from one table here, keyed
// by the server's close/error code (docs/PROTOCOL.md §10), the HTTP status of a failed REST call,
// or a symbolic code for failures on this side; the raw title, message and code only go into the
// screen's "Details" expander, for support.

export class MeetingError extends Error {
  constructor(
    /** Technical headline, e.g. "Cannot reach the server" (shown under Details). */
    readonly title: string,
    /** Technical detail, e.g. the server's own message (shown under Details). */
    message: string,
    /** Server close/error code (44xx), HTTP status, or a symbolic code like "network". */
    readonly code: number | string,
  ) {
    super(message);
    this.name = 'MeetingError';
  }
}

/** What the error screen says, in plain words. */
export interface ErrorDescription {
  title: string;
  /** What happened. */
  message: string;
  /** What the person can do about it. */
  action: string;
  /** Whether joining again right away can help (the screen then offers `retryLabel`). */
  retry: boolean;
  /** The retry button's words ("Try again" unless a case says better, e.g. "Ask to join again"). */
  retryLabel?: string;
  /** The screen's icon: an alert, or the leave icon for an orderly end. */
  icon?: 'alert' | 'leave';
}

/** Close codes of the host's actions (docs/PROTOCOL.md §14), named so the table below reads by meaning. */
export const ENTRY_DENIED = 4430;
export const REMOVED = 4431;
export const BARRED = 4432;
export const MEETING_ENDED = 4433;

const describe = (title: string, message: string, action: string, retry = true): ErrorDescription => ({ title, message, action, retry });

const UNREACHABLE = describe(
  'Can’t reach the meeting server',
  'The server didn’t answer. It may be offline or restarting, or your network may be down.',
  'Check your internet connection, then try again in a moment.',
);
const PASS_REFUSED = describe(
  'Your access wasn’t accepted',
  'Your pass for this meeting is invalid or has expired.',
  'Join again from the meeting link to get a new one.',
);
const NOT_ALLOWED = describe(
  'You can’t join this meeting',
  'You don’t have permission to join this meeting.',
  'Ask the person who invited you for a new link.',
  false,
);
const NOT_FOUND = describe('Meeting not found', 'There’s no meeting with this ID.', 'Check the link or the meeting ID.', false);
const OUT_OF_STEP = describe(
  'Something went wrong',
  'This page and the meeting server got out of step.',
  'Reload the page and join again.',
);
const SERVER_PROBLEM = describe(
  'The server ran into a problem',
  'The meeting server couldn’t handle the request.',
  'Try again in a moment.',
);
const TOO_MANY = describe('Too many attempts', 'The server is limiting how often you can join.', 'Wait a minute, then try again.');

/** By server close/error code (docs/PROTOCOL.md §10). */
const BY_CLOSE_CODE: Record<number, ErrorDescription> = {
  4400: OUT_OF_STEP,
  4401: PASS_REFUSED,
  4403: NOT_ALLOWED,
  4404: NOT_FOUND,
  4405: OUT_OF_STEP,
  4406: describe('This page is out of date', 'The meeting server was updated since this page loaded.', 'Reload the page to get the new version.'),
  4408: describe('You were disconnected', 'The connection was silent for too long.', 'Join again when you’re ready.'),
  4409: describe(
    'You joined from another window',
    'This meeting is now open in another tab or on another device, so it was closed here.',
    'Carry on in the other window, or join again here to move the call back.',
  ),
  4410: describe('This meeting is full', 'The meeting has reached its limit of participants.', 'Try again later, or ask the host.'),
  4413: OUT_OF_STEP,
  4429: describe(
    'Your connection couldn’t keep up',
    'Data piled up faster than your connection could carry it, so the server closed the call.',
    'Check your network (or close other downloads), then join again.',
  ),
  4500: SERVER_PROBLEM,
  4503: describe(
    'The meeting server is restarting',
    'The server restarted and couldn’t be reached again in time.',
    'Try again in a minute.',
  ),
  [ENTRY_DENIED]: {
    ...describe('The host didn’t let you in', 'Your request to join this meeting was declined.', 'You can ask to join again, or check with the host.'),
    retryLabel: 'Ask to join again',
  },
  [REMOVED]: {
    ...describe('You were removed from the meeting', 'The host removed you from this meeting.', 'You can ask to join again; the host decides.'),
    retryLabel: 'Ask to join again',
  },
  [BARRED]: describe(
    'You were removed from the meeting',
    'The host removed you, and you can’t rejoin this meeting.',
    'Ask the host if you think this is a mistake.',
    false,
  ),
  4450: describe(
    'This browser can’t join this meeting',
    'The meeting is end-to-end encrypted, and this browser lacks the encryption it needs (X25519 and AES-GCM in WebCrypto).',
    'Use a current Chrome, Edge or Firefox.',
    false,
  ),
  [MEETING_ENDED]: {
    ...describe('The host ended the meeting', 'The meeting is over for everyone. Thanks for joining.', 'You can start a new meeting from the home page.', false),
    icon: 'leave',
  },
};

/** By HTTP status of a failed join or token call (docs/PROTOCOL.md §9). */
const BY_HTTP_STATUS: Record<number, ErrorDescription> = {
  400: describe(
    'This meeting link isn’t valid',
    'The meeting ID in the link isn’t one the server accepts.',
    'Check the link, or enter the meeting ID on the home page.',
    false,
  ),
  401: PASS_REFUSED,
  403: NOT_ALLOWED,
  404: NOT_FOUND,
  410: describe('The meeting has ended', 'This meeting is over.', 'You can start a new meeting from the home page.', false),
  429: TOO_MANY,
  503: describe('The meeting server is busy', 'The server is restarting or too busy to take new joins.', 'Try again in a minute.'),
};

/** By symbolic codes that failures on this side use (api.ts, session.ts, meeting-page.ts). */
const BY_SYMBOL: Record<string, ErrorDescription> = {
  network: UNREACHABLE,
  transport: describe(
    'Can’t connect to the call',
    'The meeting was found, but the call connection couldn’t be opened.',
    'A firewall or proxy may be blocking it. Try again, or try another network.',
  ),
  timeout: describe('The meeting didn’t respond', 'The server took too long to let you in.', 'Try again in a moment.'),
  disconnected: describe(
    'You were disconnected',
    'The connection dropped and couldn’t be restored.',
    'Check your internet connection, then join again.',
  ),
  bad_response: OUT_OF_STEP,
  e2ee: describe(
    'End-to-end encryption isn’t available here',
    'This meeting link asks for end-to-end encryption, and this browser can’t do it.',
    'Use a current Chrome, Edge or Firefox.',
    false,
  ),
  guest_join_disabled: describe(
    'This meeting needs an invitation link',
    'Guests can’t join meetings on this server.',
    'Open the meeting with the link your organisation or the meeting organiser gave you.',
    false,
  ),
};

const UNKNOWN = describe('Something went wrong', 'The call stopped unexpectedly.', 'Try again. If it keeps happening, share the details below with support.');

/** The plain-words description of a failure; never contains a raw code. */
export function describeError(error: MeetingError): ErrorDescription {
  const { code } = error;
  if (typeof code === 'string') return BY_SYMBOL[code] ?? UNKNOWN;
  if (code >= 4000) return BY_CLOSE_CODE[code] ?? UNKNOWN;
  if (code >= 400 && code < 600) return BY_HTTP_STATUS[code] ?? (code >= 500 ? SERVER_PROBLEM : UNKNOWN);
  return BY_SYMBOL.disconnected!; // WebSocket close codes below 4000: the connection dropped
}

/** For support: the raw code and texts, as the Details expander shows them. */
export function errorDetails(error: MeetingError): string {
  return `Code: ${error.code}\n${error.title}: ${error.message}`;
}

/** Technical meanings of the server's close codes, for the Details text (docs/PROTOCOL.md §10). */
const CLOSE_CODE_TEXT: Record<number, string> = {
  4400: 'malformed message',
  4401: 'missing, invalid or expired token',
  4403: 'forbidden',
  4404: 'unknown meeting',
  4405: 'protocol violation',
  4406: 'unsupported protocol version',
  4408: 'idle timeout',
  4409: 'replaced by a newer connection of the same participant',
  4410: 'meeting full',
  4413: 'message too large',
  4429: 'receiver too slow or rate limited',
  4430: 'not admitted from the waiting room',
  4431: 'removed by a host',
  4432: 'removed by a host and barred',
  4433: 'meeting ended by the host',
  4450: 'meeting requires end-to-end encryption; client lacks it',
  4451: 'malformed end-to-end encryption key message',
  4500: 'internal server error',
  4503: 'server shutting down',
};

export function closeCodeText(code: number): string {
  return CLOSE_CODE_TEXT[code] ?? `connection closed (code ${code})`;
}
