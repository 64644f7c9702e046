// The local camera and microphone from the pre-join screen to the end of the call: which device
// is chosen, opening and switching tracks, camera off (the track is stopped so the camera light
// goes out) and on again, and reacting when devices are plugged in or out.
import { addedDevices, deviceName, pickDevice, replacementFor, savePreferences, type DeviceOption, type MediaPreferences } from './device-preferences';
import {
  cameraConstraints,
  describeDeviceError,
  listDevices,
  microphoneConstraints,
  openTrack,
  trackDeviceId,
  type CameraConstraints,
  type DeviceKind,
  type DeviceLists,
} from './devices';

export interface LocalMediaOptions {
  lowCpu: boolean;
  camera: CameraConstraints;
  /** Devices the room token allows (docs/PROTOCOL.md §13); others are never opened, so no prompt. */
  allowed?: { camera: boolean; microphone: boolean };
}

/** What the owner (pre-join screen, then the meeting page) does when the local media changes. */
export interface LocalMediaListener {
  /** A new camera track, or null when the camera went off or away. */
  cameraChanged(track: MediaStreamTrack | null): void;
  microphoneChanged(track: MediaStreamTrack | null): void;
  speakerChanged(deviceId: string | null): void;
  /** Device lists or problems changed (redraw choices). */
  devicesChanged(): void;
  /** Something the user should be told (device unplugged, switched, failed). */
  notice(message: string): void;
}

const QUIET_LISTENER: LocalMediaListener = { cameraChanged() {}, microphoneChanged() {}, speakerChanged() {}, devicesChanged() {}, notice() {} };

export class LocalMedia {
  camera: MediaStreamTrack | null = null;
  microphone: MediaStreamTrack | null = null;
  cameraOn: boolean;
  micOn: boolean;
  cameraId: string | null;
  micId: string | null;
  speakerId: string | null;
  /** Why the camera or microphone is not available, in words for the user; null when fine. */
  cameraProblem: string | null = null;
  micProblem: string | null = null;
  devices: DeviceLists = { camera: [], microphone: [], speaker: [] };
  private listener: LocalMediaListener = QUIET_LISTENER;
  private stopped = false;
  /** Serialises device operations: a devicechange during a switch waits for it. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly onDeviceChange = () => void this.serial(() => this.refreshDevices(true));
  private readonly onTrackEnded = () => void this.serial(() => this.refreshDevices(true));

  constructor(private readonly options: LocalMediaOptions, preferences: MediaPreferences) {
    this.cameraOn = preferences.cameraOn && (options.allowed?.camera ?? true);
    this.micOn = preferences.micOn && (options.allowed?.microphone ?? true);
    this.cameraId = preferences.cameraId;
    this.micId = preferences.micId;
    this.speakerId = preferences.speakerId;
  }

  setListener(listener: LocalMediaListener): void {
    this.listener = listener;
  }

  /**
   * Opens what the preferences ask for: the microphone always (muted tracks are disabled, not
   * closed, so unmuting is instant), the camera only when it is on. One getUserMedia call asks
   * for both, so the browser prompts once; when that fails each is tried alone.
   */
  async start(): Promise<void> {
    const wantVideo = this.cameraOn;
    const video = cameraConstraints(this.options.camera, this.cameraId, false);
    const audio = microphoneConstraints(this.options.lowCpu, this.micId, false);
    const allowed = this.options.allowed ?? { camera: true, microphone: true };
    if (!allowed.microphone) {
      // Not allowed to speak (a viewer): no microphone prompt; the camera alone if allowed and on.
      if (wantVideo) await this.openCameraAlone(video);
      navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
      await this.refreshDevices(false);
      return;
    }
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw new DOMException('', 'SecurityError');
      const stream = await navigator.mediaDevices.getUserMedia(wantVideo ? { video, audio } : { audio });
      this.adoptCamera(stream.getVideoTracks()[0] ?? null);
      this.adoptMicrophone(stream.getAudioTracks()[0] ?? null);
    } catch {
      await this.openMicrophoneAlone(audio);
      if (wantVideo) await this.openCameraAlone(video);
    }
    navigator.mediaDevices?.addEventListener('devicechange', this.onDeviceChange);
    await this.refreshDevices(false);
  }

  /** Camera off stops the track; on opens the chosen camera again. False when it could not open. */
  setCameraOn(on: boolean): Promise<boolean> {
    return this.serial(async () => {
      if (!on) {
        this.cameraOn = false;
        this.releaseCamera();
        this.listener.cameraChanged(null);
        return true;
      }
      if (this.options.allowed && !this.options.allowed.camera) return false;
      if (this.camera) return (this.cameraOn = true);
      const opened = await this.openCameraAlone(cameraConstraints(this.options.camera, this.cameraId, false));
      this.cameraOn = opened;
      if (opened) this.listener.cameraChanged(this.camera);
      else this.listener.notice(this.cameraProblem ?? 'The camera could not be opened.');
      await this.refreshDevices(false); // a first camera permission reveals the camera names
      return opened;
    });
  }

  /** Mute keeps the track open but silent (enabled = false). */
  setMicOn(on: boolean): void {
    this.micOn = on && this.microphone !== null;
    if (this.microphone) this.microphone.enabled = this.micOn;
  }

  /** Uses another camera (remembered); the current one stays on until the new one is open. */
  selectCamera(deviceId: string): Promise<void> {
    return this.serial(async () => {
      this.cameraId = deviceId;
      savePreferences({ cameraId: deviceId });
      if (!this.cameraOn) return;
      await this.switchCamera(deviceId, true);
    });
  }

  selectMicrophone(deviceId: string): Promise<void> {
    return this.serial(async () => {
      this.micId = deviceId;
      savePreferences({ micId: deviceId });
      await this.switchMicrophone(deviceId, true);
    });
  }

  selectSpeaker(deviceId: string): void {
    this.speakerId = deviceId;
    savePreferences({ speakerId: deviceId });
    this.listener.speakerChanged(deviceId);
  }

  /** The device in use (or chosen, while off) for a kind. */
  currentId(kind: DeviceKind): string | null {
    if (kind === 'camera') return trackDeviceId(this.camera) ?? pickDevice(this.devices.camera, this.cameraId);
    if (kind === 'microphone') return trackDeviceId(this.microphone) ?? pickDevice(this.devices.microphone, this.micId);
    return pickDevice(this.devices.speaker, this.speakerId);
  }

  stop(): void {
    this.stopped = true;
    navigator.mediaDevices?.removeEventListener('devicechange', this.onDeviceChange);
    this.releaseCamera();
    this.microphone?.removeEventListener('ended', this.onTrackEnded);
    this.microphone?.stop();
    this.microphone = null;
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => {});
    return result;
  }

  private async switchCamera(deviceId: string | null, exact: boolean): Promise<boolean> {
    try {
      const track = await openTrack({ video: cameraConstraints(this.options.camera, deviceId, exact) });
      if (this.stopped) return track.stop(), false;
      this.releaseCamera();
      this.adoptCamera(track);
      this.listener.cameraChanged(track);
      return true;
    } catch (error) {
      this.listener.notice(describeDeviceError(error, 'camera'));
      return false;
    }
  }

  private async switchMicrophone(deviceId: string | null, exact: boolean): Promise<boolean> {
    try {
      const track = await openTrack({ audio: microphoneConstraints(this.options.lowCpu, deviceId, exact) });
      if (this.stopped) return track.stop(), false;
      this.microphone?.removeEventListener('ended', this.onTrackEnded);
      this.microphone?.stop();
      this.adoptMicrophone(track);
      this.listener.microphoneChanged(track);
      return true;
    } catch (error) {
      this.listener.notice(describeDeviceError(error, 'microphone'));
      return false;
    }
  }

  private async openCameraAlone(video: MediaTrackConstraints): Promise<boolean> {
    try {
      this.adoptCamera(await openTrack({ video }));
      return true;
    } catch (error) {
      this.cameraProblem = describeDeviceError(error, 'camera');
      this.cameraOn = false;
      return false;
    }
  }

  private async openMicrophoneAlone(audio: MediaTrackConstraints): Promise<void> {
    try {
      this.adoptMicrophone(await openTrack({ audio }));
    } catch (error) {
      this.micProblem = describeDeviceError(error, 'microphone');
      this.micOn = false;
    }
  }

  private adoptCamera(track: MediaStreamTrack | null): void {
    this.camera = track;
    this.cameraOn = track !== null;
    if (!track) return;
    this.cameraProblem = null;
    track.addEventListener('ended', this.onTrackEnded); // unplugged; stop() fires no 'ended'
  }

  private adoptMicrophone(track: MediaStreamTrack | null): void {
    this.microphone = track;
    if (!track) {
      this.micOn = false;
      return;
    }
    this.micProblem = null;
    track.enabled = this.micOn;
    track.addEventListener('ended', this.onTrackEnded);
  }

  private releaseCamera(): void {
    this.camera?.removeEventListener('ended', this.onTrackEnded);
    this.camera?.stop();
    this.camera = null;
  }

  /**
   * Re-reads the device lists. With `react`: a device in use that is gone (or whose track ended)
   * is replaced by the default one, and plug-ins are announced.
   */
  private async refreshDevices(react: boolean): Promise<void> {
    if (this.stopped) return;
    const before = this.devices;
    this.devices = await listDevices();
    if (react && !this.stopped) {
      await this.replaceVanished('camera', this.camera, before.camera);
      await this.replaceVanished('microphone', this.microphone, before.microphone);
      const speaker = replacementFor(this.devices.speaker, this.speakerId);
      if (speaker !== undefined && before.speaker.some((device) => device.deviceId === this.speakerId)) {
        const lost = this.nameOf(before.speaker, this.speakerId, 'speaker');
        this.speakerId = null;
        this.listener.speakerChanged(speaker);
        this.listener.notice(`${lost} was disconnected. Sound now plays on ${this.nameOf(this.devices.speaker, speaker, 'speaker')}.`);
      }
      for (const kind of ['camera', 'microphone', 'speaker'] as const) {
        for (const device of addedDevices(before[kind], this.devices[kind])) {
          if (device.deviceId === 'default' || before[kind].length === 0) continue;
          this.listener.notice(`New ${kind}: ${this.nameOf(this.devices[kind], device.deviceId, kind)}. Choose it from the ${kind === 'camera' ? 'camera' : 'microphone'} menu.`);
        }
      }
    }
    this.listener.devicesChanged();
  }

  private async replaceVanished(kind: 'camera' | 'microphone', track: MediaStreamTrack | null, before: DeviceOption[]): Promise<void> {
    if (!track) return;
    const usedId = trackDeviceId(track);
    const ended = track.readyState === 'ended';
    const replacement = ended ? pickDevice(this.devices[kind], null) : replacementFor(this.devices[kind], usedId);
    if (replacement === undefined) return;
    const lost = this.nameOf(before, usedId, kind);
    if (replacement === null) {
      if (kind === 'camera') {
        this.cameraOn = false;
        this.releaseCamera();
        this.cameraProblem = describeDeviceError(new DOMException('', 'NotFoundError'), 'camera');
        this.listener.cameraChanged(null);
      } else {
        this.microphone?.stop();
        this.adoptMicrophone(null);
        this.micProblem = describeDeviceError(new DOMException('', 'NotFoundError'), 'microphone');
        this.listener.microphoneChanged(null);
      }
      this.listener.notice(`${lost} was disconnected and no other ${kind} is available.`);
      return;
    }
    const switched = kind === 'camera' ? await this.switchCamera(replacement, false) : await this.switchMicrophone(replacement, false);
    if (switched) this.listener.notice(`${lost} was disconnected. Switched to ${this.nameOf(this.devices[kind], replacement, kind)}.`);
  }

  private nameOf(devices: DeviceOption[], deviceId: string | null, kind: DeviceKind): string {
    const index = devices.findIndex((device) => device.deviceId === deviceId);
    return index < 0 ? `The ${kind}` : deviceName(devices[index]!, index, kind);
  }
}
