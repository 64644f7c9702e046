// Our own camera and microphone during the call: the self tile's video, mute and camera toggles,
// the device menus, and switching devices without rejoining (also when one is unplugged). The
// devices themselves come from the pre-join screen (LocalMedia).
import type { AudioOutput } from '../media/audio-output';
import { deviceName } from '../media/device-preferences';
import { speakerChoiceSupported, type DeviceKind } from '../media/devices';
import type { LocalMedia } from '../media/local-media';
import type { DeviceMenuSection } from '../ui/device-menu';
import { stats } from '../stats';
import { el } from '../ui/icons';
import { Tile } from '../ui/tile';
import type { Publisher } from './publisher';

export interface SelfMediaHooks {
  publisher(): Publisher | null;
  audioOutput(): AudioOutput | null;
  /** Mic or camera state changed: tell the server (MediaState) and redraw controls and roster. */
  stateChanged(): void;
  toast(message: string): void;
}

export class SelfMedia {
  private readonly video = el('video', 'self-video');
  /** The self-view tile (createTile). */
  tile: Tile | null = null;

  constructor(readonly local: LocalMedia, private readonly hooks: SelfMediaHooks) {
    this.video.muted = true;
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.showCamera(local.camera);
    local.setListener({
      cameraChanged: (track) => {
        this.hooks.publisher()?.setCameraTrack(track);
        this.showCamera(track);
        if (!track) this.hooks.publisher()?.setCameraOn(false);
        this.hooks.stateChanged();
      },
      microphoneChanged: (track) => {
        if (track) this.hooks.publisher()?.setMicrophoneTrack(track);
        else this.hooks.publisher()?.setMicOn(false);
        this.noteDevices();
        this.hooks.stateChanged();
      },
      speakerChanged: (deviceId) => {
        this.hooks.audioOutput()?.setSpeaker(deviceId);
        this.noteDevices();
      },
      devicesChanged: () => {
        this.noteDevices();
        this.hooks.stateChanged();
      },
      notice: (message) => this.hooks.toast(message),
    });
  }

  get micOn(): boolean {
    return this.local.micOn;
  }

  get cameraOn(): boolean {
    return this.local.cameraOn;
  }

  /** The buttons work when there is a device to turn on (a camera that is off has no track). */
  get hasMic(): boolean {
    return this.local.microphone !== null;
  }

  get hasCamera(): boolean {
    return this.local.camera !== null || this.local.devices.camera.length > 0;
  }

  createTile(name: string, onPin: () => void): Tile {
    this.tile = new Tile({ id: 'self', key: 'self', name, isSelf: true, media: this.video, onPin });
    this.showCamera(this.local.camera);
    return this.tile;
  }

  toggleMic(): void {
    if (!this.local.microphone) return;
    this.local.setMicOn(!this.local.micOn);
    this.hooks.publisher()?.setMicOn(this.local.micOn);
    this.hooks.stateChanged();
  }

  /** Off stops the camera track (the light goes out); on opens it again and sends a keyframe. */
  async toggleCamera(): Promise<void> {
    const on = !this.local.cameraOn;
    if (!on) this.hooks.publisher()?.setCameraOn(false); // muted before the track goes
    const ok = await this.local.setCameraOn(on);
    if (on && ok) this.hooks.publisher()?.setCameraOn(true);
    this.hooks.stateChanged();
  }

  microphoneMenu(): DeviceMenuSection[] {
    const sections = [this.section('microphone', 'Microphone')];
    if (speakerChoiceSupported()) sections.push(this.section('speaker', 'Speaker'));
    return sections;
  }

  cameraMenu(): DeviceMenuSection[] {
    return [this.section('camera', 'Camera')];
  }

  select(kind: string, deviceId: string): void {
    if (kind === 'camera') void this.local.selectCamera(deviceId);
    else if (kind === 'microphone') void this.local.selectMicrophone(deviceId);
    else if (kind === 'speaker') this.local.selectSpeaker(deviceId);
  }

  stop(): void {
    this.local.stop();
    this.video.srcObject = null;
  }

  private section(kind: DeviceKind, title: string): DeviceMenuSection {
    return {
      title,
      kind,
      devices: this.local.devices[kind].map((device, index) => ({ id: device.deviceId, name: deviceName(device, index, kind) })),
      current: this.local.currentId(kind),
      empty: `No ${kind} found`,
    };
  }

  private showCamera(track: MediaStreamTrack | null): void {
    this.video.srcObject = track ? new MediaStream([track]) : null;
    this.tile?.setHasVideo(track !== null);
    this.noteDevices();
  }

  private noteDevices(): void {
    stats.localDevices = {
      camera: this.local.camera ? this.local.currentId('camera') : null,
      microphone: this.local.microphone ? this.local.currentId('microphone') : null,
      speaker: this.local.currentId('speaker'),
    };
  }
}
