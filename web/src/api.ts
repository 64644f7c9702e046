// REST calls to videocall-server (docs/PROTOCOL.md §9).
import { MeetingError } from './errors';

export interface JoinResponse {
  token: string;
  participant_id: number;
  meeting_id: string;
  role: string;
  expires_at: number;
  ws_url: string;
  webtransport?: { url: string; certificate_hashes?: string[] };
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

export async function joinMeeting(meetingId: string, displayName: string): Promise<JoinResponse> {
  let response: Response;
  try {
    response = await fetch(`/api/v1/meetings/${encodeURIComponent(meetingId)}/join`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ display_name: displayName }),
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
    throw new MeetingError('Could not join the meeting', `${message} (HTTP ${response.status}, ${code})`, response.status);
  }
  const body = (await response.json()) as Partial<JoinResponse>;
  if (typeof body.token !== 'string' || !body.token) {
    throw new MeetingError('Could not join the meeting', 'The server answered without a meeting pass.', 'bad_response');
  }
  return { ws_url: '/ws', ...body } as JoinResponse;
}

/**
 * Renews a still-valid room token for the same identity (participant id, name, role), so a call
 * longer than one token lifetime can still resume within the server's reconnect grace.
 */
export async function refreshToken(meetingId: string, token: string): Promise<JoinResponse> {
  const response = await fetch(`/api/v1/meetings/${encodeURIComponent(meetingId)}/token`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
  });
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
