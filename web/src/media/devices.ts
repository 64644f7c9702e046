// Browser device access: listing cameras, microphones and speakers, opening one camera or
// microphone track by id, and choosing the audio output where the browser allows it.
import type { DeviceOption } from './device-preferences';

export type DeviceKind = 'camera' | 'microphone' | 'speaker';

const BROWSER_KIND: Record<DeviceKind, MediaDeviceKind> = { camera: 'videoinput', microphone: 'audioinput', speaker: 'audiooutput' };

export interface DeviceLists {
  camera: DeviceOption[];
  microphone: DeviceOption[];
  speaker: DeviceOption[];
}

export async function listDevices(): Promise<DeviceLists> {
  const lists: DeviceLists = { camera: [], microphone: [], speaker: [] };
  if (!navigator.mediaDevices?.enumerateDevices) return lists;
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  for (const kind of Object.keys(lists) as DeviceKind[]) {
    // Chromium also lists "communications" (Windows): the same device again under another name.
    lists[kind] = devices
      .filter((device) => device.kind === BROWSER_KIND[kind] && device.deviceId !== 'communications')
      .map((device) => ({ deviceId: device.deviceId, label: device.label }));
  }
  return lists;
}

/** True where the page can route its sound to a chosen speaker (AudioContext.setSinkId). */
export function speakerChoiceSupported(): boolean {
  return typeof AudioContext !== 'undefined' && 'setSinkId' in AudioContext.prototype;
}

export interface CameraConstraints {
  width: number;
  height: number;
  frameRate: number;
}

/** `exact`: the user picked this device (fail rather than open another); otherwise a preference. */
export function cameraConstraints(size: CameraConstraints, deviceId: string | null, exact: boolean): MediaTrackConstraints {
  return {
    width: { ideal: size.width },
    height: { ideal: size.height },
    frameRate: { ideal: size.frameRate },
    ...(deviceId ? { deviceId: exact ? { exact: deviceId } : { ideal: deviceId } } : {}),
  };
}

/** lowCpu: no echo cancellation, noise suppression or AGC (costly; tests and weak machines). */
export function microphoneConstraints(lowCpu: boolean, deviceId: string | null, exact: boolean): MediaTrackConstraints {
  return {
    channelCount: 1,
    ...(lowCpu ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false } : {}),
    ...(deviceId ? { deviceId: exact ? { exact: deviceId } : { ideal: deviceId } } : {}),
  };
}

/** Opens one track of a kind; throws the browser's DOMException (see describeDeviceError). */
export async function openTrack(constraints: { video: MediaTrackConstraints } | { audio: MediaTrackConstraints }): Promise<MediaStreamTrack> {
  if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('Camera and microphone need a secure (https) page.', 'SecurityError');
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  return stream.getTracks()[0]!;
}

/** A sentence a person can act on, for a failed camera or microphone open. */
export function describeDeviceError(error: unknown, kind: 'camera' | 'microphone'): string {
  const name = error instanceof DOMException ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
      return `Your browser blocked the ${kind}. Allow it in the site settings (the icon left of the address), then reload. You can still join without it.`;
    case 'NotFoundError':
    case 'OverconstrainedError':
      return `No ${kind} was found. Plug one in, or join without it.`;
    case 'NotReadableError':
    case 'AbortError':
      return `The ${kind} is in use by another application or could not start. Close the other app, or join without it.`;
    case 'SecurityError':
      return 'Camera and microphone need a secure (https) page.';
    default:
      return `The ${kind} could not be opened (${error instanceof Error ? error.message : String(error)}).`;
  }
}

/** The device a live track was opened from (empty when the browser does not say). */
export function trackDeviceId(track: MediaStreamTrack | null): string | null {
  return track?.getSettings().deviceId ?? null;
}
