// REST calls to videocall-server (docs/PROTOCOL.md §9).
import { MeetingError } from './errors';

export interface JoinResponse {
  token: string;
  participant_id: number;
  meeting_id: string;
  display_name?: string;
  role: string;
  /** What this participant may do (docs/PROTOCOL.md §13): {"publish": [...], "subscribe", "chat"}. */
  grants?: unknown;
  expires_at: number;
  ws_url: string;
  webtransport?: { url: string; certificate_hashes?: string[] };
  /** Base URLs (http(s)://host:port) of the deployment's other server nodes, to fail over to. */
  alternate_servers?: string[];
  /** This browser's identity key (PROTOCOL.md §14.2), kept so the host stays host on rejoin. */
  identity_key?: string;
  settings?: { waiting_room: boolean; locked: boolean; e2ee_required: boolean; max_participants: number };
}

const IDENTITY_KEY_STORAGE = 'videocall.identityKey';

/** The random per-browser identity key the join API turns into our stable subject. */
function identityKey(): string | undefined {
  try {
    return localStorage.getItem(IDENTITY_KEY_STORAGE) ?? undefined;
  } catch {
    return undefined; // storage disabled: the server makes a key for this join only
  }
}

function rememberIdentityKey(key: string | undefined): void {
  if (!key) return;
  try {
    localStorage.setItem(IDENTITY_KEY_STORAGE, key);
  } catch {
    // storage disabled: a rejoin is a new identity
  }
}

/**
 * A server's base URL as an origin ("http://127.0.0.1:8081"), or null if it is not an http(s) URL.
 * The page's own server is `window.location.origin`.
 */
export function serverOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : null;
  } catch {
    return null;
  }
}

/** Host and port of a server base URL, for the status bar ("127.0.0.1:8081"). */
export function serverLabel(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

function apiUrl(server: string, meetingId: string, action: 'join' | 'token'): string {
  return `${server}/api/v1/meetings/${encodeURIComponent(meetingId)}/${action}`;
}

export const MEETING_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

async function readError(response: Response): Promise<{ code: string; message: string }> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return { code: body.error?.code ?? String(response.status), message: body.error?.message ?? response.statusText };
  } catch {
    return { code: String(response.status), message: response.statusText || 'unexpected response' };
  }
}

/** Joins through `server` (a base URL; the page's own server by default). */
export async function joinMeeting(meetingId: string, displayName: string, server = window.location.origin): Promise<JoinResponse> {
  let response: Response;
  try {
    response = await fetch(apiUrl(server, meetingId, 'join'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ display_name: displayName, identity_key: identityKey() }),
    });
  } catch {
    throw new MeetingError(
      'Cannot reach the server',
      'The videocall server did not answer. Check your network connection and that the server is running.',
      'network',
    );
  }
  if (!response.ok) {
    const { code, message } = await readError(response);
    if (code === 'guest_join_disabled') {
      throw new MeetingError(
        'This meeting needs an invitation link',
        'Guests cannot join on this server. Open the meeting with the link your organisation or the meeting organiser gave you.',
        code,
      );
    }
    if (code === 'barred') throw new MeetingError('You were removed from this meeting', 'The host removed you and you cannot rejoin it.', 4432);
    if (code === 'meeting_ended') throw new MeetingError('The host ended the meeting', 'This meeting is over.', 4433);
    throw new MeetingError('Could not join the meeting', `${message} (HTTP ${response.status}, ${code})`, response.status);
  }
  const body = (await response.json()) as Partial<JoinResponse>;
  if (typeof body.token !== 'string' || !body.token) {
    throw new MeetingError('Could not join the meeting', 'The server answered without a meeting pass.', 'bad_response');
  }
  rememberIdentityKey(body.identity_key);
  return { ws_url: '/ws', ...body } as JoinResponse;
}

/**
 * Joins with a room token minted by a site's backend (a `#token=` link): the token call turns it
 * into a join response of this server (its endpoints, a server-issued token with the same
 * identity and grants), so no guest join happens.
 */
export async function joinWithToken(meetingId: string, token: string, server = window.location.origin): Promise<JoinResponse> {
  try {
    return await refreshToken(meetingId, token, server);
  } catch (error) {
    if (error instanceof MeetingError && (error.code === 401 || error.code === 403)) {
      throw new MeetingError(
        'This meeting link does not work',
        'The invitation in this link has expired, is for another meeting or was not accepted by the server. Ask the organiser for a new link.',
        error.code,
      );
    }
    throw error;
  }
}

/**
 * Renews a still-valid room token for the same identity (participant id, name, role), so a call
 * longer than one token lifetime can still resume within the server's reconnect grace. Any node of
 * the deployment can answer (they share the token secret); its answer carries that node's own
 * WebSocket and WebTransport endpoints. Network failures (and a cross-origin node that does not
 * allow the call) throw MeetingError with code "network"; `timeoutMs` bounds the wait.
 */
export async function refreshToken(
  meetingId: string,
  token: string,
  server = window.location.origin,
  timeoutMs?: number,
): Promise<JoinResponse> {
  let response: Response;
  try {
    response = await fetch(apiUrl(server, meetingId, 'token'), {
      method: 'POST',
      // The server refuses join/token calls that are not declared JSON (cross-site form posts).
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      ...(timeoutMs !== undefined ? { signal: AbortSignal.timeout(timeoutMs) } : {}),
    });
  } catch (error) {
    throw new MeetingError('Could not renew the meeting pass', `${serverLabel(server)} did not answer: ${String(error)}`, 'network');
  }
  if (!response.ok) {
    const { code, message } = await readError(response);
    throw new MeetingError('Could not renew the meeting pass', `${message} (HTTP ${response.status}, ${code})`, response.status);
  }
  const body = (await response.json()) as Partial<JoinResponse>;
  if (typeof body.token !== 'string' || !body.token) {
    throw new MeetingError('Could not renew the meeting pass', 'The server answered without a meeting pass.', 'bad_response');
  }
  return { ws_url: '/ws', ...body } as JoinResponse;
}
