// Remembered device choices (localStorage) and the pure rules for picking a device from what the
// browser lists: the preferred one, else the system default, else the first.

export interface MediaPreferences {
  cameraId: string | null;
  micId: string | null;
  speakerId: string | null;
  cameraOn: boolean;
  micOn: boolean;
}

/** What enumerateDevices() says about one device, reduced to what the choice needs. */
export interface DeviceOption {
  deviceId: string;
  label: string;
}

export const DEFAULT_PREFERENCES: Readonly<MediaPreferences> = { cameraId: null, micId: null, speakerId: null, cameraOn: true, micOn: true };

const PREFERENCES_KEY = 'videocall.media';

/** Reads stored preferences; anything missing, mistyped or unparsable falls back to the default. */
export function parsePreferences(raw: string | null): MediaPreferences {
  let value: unknown = null;
  try {
    value = raw === null ? null : JSON.parse(raw);
  } catch {
    value = null;
  }
  const stored = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const id = (key: string) => (typeof stored[key] === 'string' && stored[key] !== '' ? (stored[key] as string) : null);
  const flag = (key: 'cameraOn' | 'micOn') => (typeof stored[key] === 'boolean' ? (stored[key] as boolean) : DEFAULT_PREFERENCES[key]);
  return { cameraId: id('cameraId'), micId: id('micId'), speakerId: id('speakerId'), cameraOn: flag('cameraOn'), micOn: flag('micOn') };
}

export function loadPreferences(storage: Pick<Storage, 'getItem'> | null = safeLocalStorage()): MediaPreferences {
  try {
    return parsePreferences(storage?.getItem(PREFERENCES_KEY) ?? null);
  } catch {
    return { ...DEFAULT_PREFERENCES };
  }
}

/** Merges `change` into what is stored. Private mode (no storage) simply forgets. */
export function savePreferences(change: Partial<MediaPreferences>, storage: Pick<Storage, 'getItem' | 'setItem'> | null = safeLocalStorage()): void {
  try {
    storage?.setItem(PREFERENCES_KEY, JSON.stringify({ ...loadPreferences(storage), ...change }));
  } catch {
    // quota or private mode: the choice is asked again next time
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/**
 * The device to open: the preferred one while it is listed, else the system default ("default" is
 * what Chromium calls the OS default microphone or speaker), else the first; null when none.
 */
export function pickDevice(devices: readonly DeviceOption[], preferredId: string | null): string | null {
  if (preferredId !== null && devices.some((device) => device.deviceId === preferredId)) return preferredId;
  if (devices.some((device) => device.deviceId === 'default')) return 'default';
  return devices[0]?.deviceId ?? null;
}

/**
 * After a device change: what replaces `currentId`, or undefined when it is still listed (nothing
 * to do). null means no device of that kind is left. An empty id list means the browser hides ids
 * (no permission yet): nothing can be judged, so nothing changes.
 */
export function replacementFor(devices: readonly DeviceOption[], currentId: string | null): string | null | undefined {
  if (currentId === null || devices.some((device) => device.deviceId === currentId)) return undefined;
  if (devices.length > 0 && devices.every((device) => device.deviceId === '')) return undefined;
  return pickDevice(devices, null);
}

/** Devices listed now that were not before (a plug-in), by id. */
export function addedDevices(before: readonly DeviceOption[], after: readonly DeviceOption[]): DeviceOption[] {
  const known = new Set(before.map((device) => device.deviceId));
  return after.filter((device) => device.deviceId !== '' && !known.has(device.deviceId));
}

/** A human name; labels are empty before permission is granted. */
export function deviceName(device: DeviceOption, index: number, kind: 'camera' | 'microphone' | 'speaker'): string {
  if (device.label) return device.label;
  if (device.deviceId === 'default') return `System default ${kind}`;
  return `${kind[0]!.toUpperCase()}${kind.slice(1)} ${index + 1}`;
}
