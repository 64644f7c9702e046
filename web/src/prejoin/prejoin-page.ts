// The pre-join screen at /meeting/{id}: camera preview, microphone level, device choice, joining
// with the microphone or camera off, display name, a connection check, and a warning when this
// meeting is already open in another tab. Nothing is sent to the meeting before "Join now".
import { browserCapabilities, problemSummary } from '../capabilities';
import { loadPreferences, savePreferences, deviceName } from '../media/device-preferences';
import { speakerChoiceSupported, type DeviceKind } from '../media/devices';
import { LocalMedia, type LocalMediaOptions } from '../media/local-media';
import { MicLevelMeter } from '../media/mic-level';
import { displayNameProblem, saveDisplayName, savedDisplayName } from '../settings';
import { stats } from '../stats';
import { el, icons } from '../ui/icons';
import { showToggle } from '../ui/toggle-button';
import { NOT_ALLOWED, publishesAnything, type Grants } from '../meeting/grants';
import { checkConnection, type ConnectionReport } from './connection-check';
import './prejoin.css';

export interface PrejoinResult {
  name: string;
  /** The opened devices, handed to the call as they are (no second permission prompt, no reopen). */
  media: LocalMedia;
}

export class PrejoinPage {
  readonly element = el('main', 'home prejoin');
  private readonly media: LocalMedia;
  private readonly video = el('video', 'prejoin-video');
  private readonly previewMessage = el('p', 'prejoin-preview-message');
  private readonly micButton = el('button', 'ctrl');
  private readonly cameraButton = el('button', 'ctrl');
  private readonly meterFill = el('span', 'mic-meter-fill');
  private readonly meter = el('div', 'mic-meter');
  private readonly nameInput = el('input', 'input');
  private readonly selects: Record<DeviceKind, HTMLSelectElement> = {
    camera: el('select', 'input select'),
    microphone: el('select', 'input select'),
    speaker: el('select', 'input select'),
  };
  private readonly micProblem = el('p', 'field-note');
  private readonly check = el('div', 'connection-check');
  private readonly duplicate = el('div', 'warning-strip duplicate-warning');
  /** What this browser cannot do (capabilities.ts); hidden when it can do everything essential. */
  private readonly unsupported = el('div', 'warning-strip browser-warning');
  private readonly problem = el('p', 'form-error');
  private readonly joinButton = el('button', 'btn btn-primary prejoin-join', 'Join now');
  private meterSource: MediaStreamTrack | null = null;
  private levelMeter: MicLevelMeter | null = null;
  private readonly checkAbort = new AbortController();
  /** Resolves once the devices are open (or failed): Join waits for it. */
  private mediaStarted: Promise<void> = Promise.resolve();
  private done = false;

  constructor(
    meetingId: string,
    options: LocalMediaOptions,
    private readonly onJoin: (result: PrejoinResult) => void,
    /** A backend's invitation (`#token=` link): its name and grants are fixed. */
    private readonly invitation?: { name: string; grants: Grants },
  ) {
    const grants = invitation?.grants;
    this.media = new LocalMedia(grants ? { ...options, allowed: { camera: grants.camera, microphone: grants.microphone } } : options, loadPreferences());
    this.build(meetingId);
    if (invitation) {
      this.nameInput.value = invitation.name;
      this.nameInput.readOnly = true;
      this.nameInput.title = 'Your name comes from your invitation';
    }
    this.media.setListener({
      cameraChanged: () => this.showMedia(),
      microphoneChanged: () => this.showMedia(),
      speakerChanged: () => this.fillDevices(),
      devicesChanged: () => this.showMedia(),
      notice: (message) => (this.problem.textContent = message),
    });
  }

  /** Opens the devices and starts the check; the page is usable (name, join) meanwhile. */
  start(): void {
    this.showMedia();
    this.setCheck('Checking your connection…', 'pending');
    void browserCapabilities().then((report) => {
      stats.capabilities = report;
      const summary = problemSummary(report);
      this.unsupported.textContent = summary ?? '';
      this.unsupported.hidden = summary === null || this.done;
    });
    this.mediaStarted = this.media.start().then(() => void (!this.done && this.showMedia()));
    // After the devices: opening them is CPU work that would inflate the measured round trip.
    void this.mediaStarted
      .then(() => checkConnection(this.checkAbort.signal))
      .then((report) => !this.done && this.showReport(report));
  }

  /** Another tab of this browser is (true) or is no longer (false) in this meeting. */
  setOtherTab(inCall: boolean): void {
    this.duplicate.hidden = !inCall;
    this.joinButton.textContent = inCall ? 'Join anyway' : 'Join now';
  }

  /** Leaving without joining: the devices close. */
  dispose(): void {
    this.finish();
    this.media.stop();
  }

  private finish(): void {
    this.done = true;
    this.checkAbort.abort();
    this.levelMeter?.stop();
    this.levelMeter = null;
    this.video.srcObject = null;
  }

  private build(meetingId: string): void {
    const card = el('form', 'card prejoin-card');
    card.noValidate = true;
    card.dataset.testid = 'prejoin';
    card.append(el('h1', 'home-title', 'Ready to join?'), el('p', 'home-subtitle', `Meeting “${meetingId}”`));

    const preview = el('div', 'prejoin-preview');
    this.video.muted = true;
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.dataset.testid = 'prejoin-preview';
    this.previewMessage.dataset.testid = 'prejoin-camera-message';
    this.micButton.type = this.cameraButton.type = 'button';
    this.micButton.dataset.testid = 'prejoin-mic-toggle';
    this.cameraButton.dataset.testid = 'prejoin-camera-toggle';
    this.micButton.addEventListener('click', () => {
      this.media.setMicOn(!this.media.micOn);
      this.showMedia();
    });
    this.cameraButton.addEventListener('click', () => {
      this.cameraButton.disabled = true;
      void this.media.setCameraOn(!this.media.cameraOn).then(() => this.showMedia());
    });
    this.meter.dataset.testid = 'mic-level';
    this.meter.setAttribute('role', 'meter');
    this.meter.setAttribute('aria-label', 'Microphone level');
    this.meter.setAttribute('aria-valuemin', '0');
    this.meter.setAttribute('aria-valuemax', '100');
    this.meter.append(this.meterFill);
    const toggles = el('div', 'prejoin-toggles');
    toggles.append(this.micButton, this.cameraButton, this.meter);
    preview.append(this.video, this.previewMessage, toggles);

    const side = el('div', 'prejoin-side');
    this.nameInput.dataset.testid = 'name-input';
    this.nameInput.autocomplete = 'name';
    this.nameInput.maxLength = 64;
    this.nameInput.placeholder = 'e.g. Ada Lovelace';
    this.nameInput.value = savedDisplayName();
    side.append(this.field('Your name', this.nameInput));
    const labels: Record<DeviceKind, string> = { camera: 'Camera', microphone: 'Microphone', speaker: 'Speaker' };
    for (const kind of ['camera', 'microphone', 'speaker'] as const) {
      const select = this.selects[kind];
      select.dataset.testid = `${kind}-select`;
      select.addEventListener('change', () => void this.choose(kind, select.value));
      const field = this.field(labels[kind], select);
      if (kind === 'microphone') field.append(this.micProblem);
      // Without AudioContext.setSinkId sound always goes to the system's output: no false choice.
      if (kind === 'speaker') field.hidden = !speakerChoiceSupported();
      side.append(field);
    }
    this.check.dataset.testid = 'connection-check';
    this.check.setAttribute('role', 'status');
    this.duplicate.dataset.testid = 'duplicate-tab-warning';
    this.duplicate.setAttribute('role', 'alert');
    this.duplicate.textContent = 'You are already in this meeting in another tab. Joining here too makes you appear twice and can cause echo.';
    this.duplicate.hidden = true;
    this.problem.setAttribute('role', 'alert');
    this.joinButton.type = 'submit';
    this.joinButton.dataset.testid = 'join-button';
    side.append(this.check, this.duplicate, this.problem, this.joinButton);

    this.unsupported.dataset.testid = 'browser-problems';
    this.unsupported.setAttribute('role', 'alert');
    this.unsupported.hidden = true;
    const body = el('div', 'prejoin-body');
    body.append(preview, side);
    card.append(this.unsupported, body);
    card.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.join();
    });
    this.element.append(card);
    // Focus the first thing to do: the name when it is missing, else Join.
    requestAnimationFrame(() => (this.nameInput.value ? this.joinButton : this.nameInput).focus());
  }

  private field(label: string, control: HTMLElement): HTMLLabelElement {
    const field = el('label', 'field');
    field.append(el('span', 'field-label', label), control);
    return field;
  }

  private async choose(kind: DeviceKind, deviceId: string): Promise<void> {
    if (kind === 'camera') await this.media.selectCamera(deviceId);
    else if (kind === 'microphone') await this.media.selectMicrophone(deviceId);
    else this.media.selectSpeaker(deviceId);
    this.showMedia();
  }

  private async join(): Promise<void> {
    if (this.done || this.joinButton.disabled) return;
    const name = this.nameInput.value.trim();
    const issue = displayNameProblem(name);
    if (issue) {
      this.problem.textContent = issue;
      this.nameInput.focus();
      return;
    }
    if (!this.invitation) saveDisplayName(name);
    this.joinButton.disabled = true;
    // A quick click (or an unanswered permission prompt) must not join before the devices are open.
    const waiting = window.setTimeout(() => (this.joinButton.textContent = 'Waiting for camera and microphone…'), 300);
    await this.mediaStarted;
    window.clearTimeout(waiting);
    if (this.done) return;
    savePreferences({ cameraOn: this.media.cameraOn, micOn: this.media.micOn });
    this.finish();
    this.onJoin({ name, media: this.media });
  }

  /** Redraws preview, toggles, meter and device lists from the media state. */
  private showMedia(): void {
    if (this.done) return;
    const { camera, microphone, cameraOn, micOn, cameraProblem, micProblem } = this.media;
    const shown = (this.video.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    if (shown !== camera) this.video.srcObject = camera ? new MediaStream([camera]) : null;
    this.video.hidden = !camera;
    this.previewMessage.hidden = !!camera;
    const grants = this.invitation?.grants;
    this.previewMessage.textContent =
      grants && !publishesAnything(grants)
        ? 'You join as a viewer: you will see and hear the meeting.'
        : grants && !grants.camera
          ? `${NOT_ALLOWED.camera}.`
          : (cameraProblem ?? (cameraOn ? 'Starting camera…' : 'Your camera is off'));
    const micDenied = grants && !grants.microphone ? NOT_ALLOWED.microphone : undefined;
    const cameraDenied = grants && !grants.camera ? NOT_ALLOWED.camera : undefined;
    showToggle(this.micButton, micOn, !!microphone, icons.mic, icons.micOff, 'microphone', micDenied);
    showToggle(this.cameraButton, cameraOn, true, icons.camera, icons.cameraOff, 'camera', cameraDenied);
    this.meter.hidden = micDenied !== undefined;
    this.micProblem.textContent = micProblem ?? '';
    this.micProblem.hidden = !micProblem;
    if (microphone !== this.meterSource) {
      this.levelMeter?.stop();
      this.meterSource = microphone;
      this.levelMeter = microphone ? new MicLevelMeter(microphone, (level) => this.showLevel(level)) : null;
    }
    this.meter.classList.toggle('muted', !micOn);
    this.fillDevices();
  }

  private showLevel(level: number): void {
    const percent = Math.round(level * 100);
    this.meterFill.style.transform = `scaleX(${level})`;
    this.meter.setAttribute('aria-valuenow', String(percent));
    this.meter.dataset.level = String(percent);
  }

  private fillDevices(): void {
    for (const kind of ['camera', 'microphone', 'speaker'] as const) {
      const select = this.selects[kind];
      const devices = this.media.devices[kind];
      const current = this.media.currentId(kind);
      const options = devices.map((device, index) => {
        const option = el('option', '', deviceName(device, index, kind));
        option.value = device.deviceId;
        option.selected = device.deviceId === current;
        return option;
      });
      if (options.length === 0) options.push(el('option', '', `No ${kind} found`));
      if (document.activeElement !== select) select.replaceChildren(...options);
      select.disabled = devices.every((device) => device.deviceId === ''); // none, or ids hidden (no permission)
    }
  }

  private showReport(report: ConnectionReport): void {
    const details: string[] = [];
    if (report.rttMs !== null) details.push(`Round trip to the server: ${report.rttMs} ms.`);
    if (report.downloadKbps !== null) details.push(`Download: at least ${formatRate(report.downloadKbps)}.`);
    if (report.reachable) {
      details.push(
        report.webTransportInBrowser
          ? 'Your browser supports the fast UDP connection (WebTransport); the call uses it when the server offers it, otherwise WebSocket.'
          : 'Your browser has no WebTransport: the call uses a WebSocket connection.',
      );
    }
    this.setCheck(report.summary, report.verdict, details);
    this.check.dataset.verdict = report.verdict;
  }

  private setCheck(summary: string, tone: string, details: string[] = []): void {
    const title = el('p', `connection-summary ${tone}`);
    title.append(el('span', 'dot'), el('span', '', summary));
    const list = el('ul', 'connection-details');
    for (const line of details) list.append(el('li', '', line));
    this.check.replaceChildren(title, ...(details.length ? [list] : []));
  }
}

function formatRate(kbps: number): string {
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(kbps >= 10_000 ? 0 : 1)} Mbit/s` : `${kbps} kbit/s`;
}
