// What this participant may do in the meeting (docs/PROTOCOL.md §13). The server enforces it; the
// page only uses it to grey out what would be refused and to say why in words.
import type { Participant } from '../gen/videocall_pb';

// ParticipantRole values (proto/videocall.proto); numbers so that this module stays free of the
// protobuf runtime (unit-tested under node).
const ROLE_WAITING = 3;
const ROLE_VIEWER = 5;

export interface Grants {
  camera: boolean;
  microphone: boolean;
  screen: boolean;
  subscribe: boolean;
  chat: boolean;
}

export const ALL_GRANTS: Readonly<Grants> = { camera: true, microphone: true, screen: true, subscribe: true, chat: true };

/** Tooltips of the controls a participant may not use. */
export const NOT_ALLOWED = {
  microphone: 'The host has not allowed you to use your microphone',
  camera: 'The host has not allowed you to turn on your camera',
  screen: 'The host has not allowed you to share your screen',
  chat: 'The host has not allowed you to send chat messages',
} as const;

function roleDefaults(role: number): Grants {
  if (role === ROLE_WAITING) return { camera: false, microphone: false, screen: false, subscribe: false, chat: false };
  const publishes = role !== ROLE_VIEWER;
  return { camera: publishes, microphone: publishes, screen: publishes, subscribe: true, chat: true };
}

/** From JoinAccepted.self (or a roster entry): its grants, else its role's defaults. */
export function grantsFromParticipant(participant: Participant): Grants {
  const g = participant.grants;
  if (!g) return roleDefaults(participant.role);
  return { camera: g.publishCamera, microphone: g.publishMicrophone, screen: g.publishScreen, subscribe: g.subscribe, chat: g.chat };
}

/** The "grants" of a join or token response: {"publish": [...], "subscribe", "chat"}. */
export function grantsFromClaim(claim: unknown): Grants {
  if (!claim || typeof claim !== 'object') return { ...ALL_GRANTS };
  const { publish, subscribe, chat } = claim as { publish?: unknown; subscribe?: unknown; chat?: unknown };
  const sources = Array.isArray(publish) ? publish : ['camera', 'microphone', 'screen'];
  return {
    camera: sources.includes('camera'),
    microphone: sources.includes('microphone'),
    screen: sources.includes('screen'),
    subscribe: subscribe !== false,
    chat: chat !== false,
  };
}

export function publishesAnything(grants: Grants): boolean {
  return grants.camera || grants.microphone || grants.screen;
}

/**
 * A room token handed over in the URL fragment (`/meeting/{id}#token=...`, minted by a site's
 * backend). Browsers never send the fragment, so it stays out of server logs; it is removed from
 * the address bar at once so that it is not bookmarked or shared by accident.
 */
export function takeTokenFromFragment(): string | null {
  const hash = window.location.hash;
  if (!hash.startsWith('#')) return null;
  const token = new URLSearchParams(hash.slice(1)).get('token');
  if (!token) return null;
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  return token;
}
