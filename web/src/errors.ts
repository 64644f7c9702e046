// User-facing failures. Every path that ends a meeting turns into one of these and is shown in the
// error banner (never a silent empty room).

export class MeetingError extends Error {
  constructor(
    /** Short headline, e.g. "Cannot reach the server". */
    readonly title: string,
    message: string,
    /** Server close/error code (44xx), HTTP status, or a symbolic code like "network". */
    readonly code: number | string,
  ) {
    super(message);
    this.name = 'MeetingError';
  }
}

/** Meanings of the server's WebSocket close / Control.error codes (docs/CONTRACT-DRAFT.md). */
const CLOSE_CODE_TEXT: Record<number, string> = {
  4400: 'The server could not parse a message from this app.',
  4401: 'Your meeting pass is missing, invalid or expired. Please join again.',
  4403: 'You are not allowed to join this meeting.',
  4404: 'This meeting does not exist.',
  4405: 'The server rejected a message that broke the protocol.',
  4406: 'This app version is not supported by the server. Reload the page.',
  4408: 'The connection was idle for too long.',
  4409: 'You joined this meeting from another tab or device.',
  4410: 'The meeting is full.',
  4413: 'A message was too large for the server.',
  4429: 'The connection was too slow or sent too much.',
  4430: 'The host did not let you in.',
  4431: 'The host removed you from the meeting.',
  4432: 'The host removed you from the meeting. You cannot rejoin it.',
  4433: 'The host ended the meeting for everyone.',
  4450:
    'This meeting requires end-to-end encryption, and this browser cannot do it (it lacks X25519 or AES-GCM in WebCrypto). Use a current Chrome, Edge or Firefox.',
  4451: 'An end-to-end encryption key message was malformed.',
  4500: 'The server hit an internal error.',
  4503: 'The server is shutting down.',
};

export function closeCodeText(code: number): string {
  return CLOSE_CODE_TEXT[code] ?? `The connection closed unexpectedly (code ${code}).`;
}
