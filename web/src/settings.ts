// Remembered user settings and URL flags.
const NAME_KEY = 'videocall.displayName';

export function savedDisplayName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveDisplayName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // private mode: the name is simply asked again next time
  }
}

/** Validates a display name the way the server does (1..64 bytes of UTF-8 after trimming). */
export function displayNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return 'Please enter your name.';
  if (new TextEncoder().encode(trimmed).length > 64) return 'That name is too long (64 bytes at most).';
  return null;
}

export interface UrlFlags {
  /** ?lowcpu=1: no echo cancellation / noise suppression / AGC (saves CPU in tests). */
  lowCpu: boolean;
  /** ?codec=vp8 forces VP8 instead of the default VP9. */
  codec: 'vp9' | 'vp8';
  /** ?layers=1..3 overrides how many camera encodings to offer (3 also captures 720p); null: decide from the CPU. */
  cameraLayers: number | null;
}

export function urlFlags(): UrlFlags {
  const params = new URLSearchParams(window.location.search);
  return {
    lowCpu: params.get('lowcpu') === '1',
    codec: params.get('codec') === 'vp8' ? 'vp8' : 'vp9',
    cameraLayers: ['1', '2', '3'].includes(params.get('layers') ?? '') ? Number(params.get('layers')) : null,
  };
}

/** Readable random meeting id such as "kqz-mwpt-hrd" (letters only, never ambiguous digits). */
export function randomMeetingId(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz';
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  const letters = [...bytes].map((byte) => alphabet[byte % alphabet.length]).join('');
  return `${letters.slice(0, 3)}-${letters.slice(3, 7)}-${letters.slice(7)}`;
}
