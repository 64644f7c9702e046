// Static frame of the meeting view: top bar (meeting id, copy link, connection status), the stage
// (notices, tile grid, participant panel) and the control bar. Behaviour comes in as callbacks.
import { DeviceMenu, type DeviceMenuSection } from './device-menu';
import { el, icons } from './icons';
import type { ParticipantsPanel } from './participants-panel';
import { ScreenShareControls } from './screen-share';
import { keyShortcutAttribute } from './shortcuts';
import { showToggle } from './toggle-button';

/** The tile area: the shell re-lays it out when the side panel opens or closes. */
export interface TileArea {
  readonly element: HTMLElement;
  layout(): void;
}

export interface ShellActions {
  toggleMic(): void;
  toggleCamera(): void;
  /** What the device menus beside the mic and camera buttons list, and a choice made there. */
  microphoneMenu(): DeviceMenuSection[];
  cameraMenu(): DeviceMenuSection[];
  selectDevice(kind: string, deviceId: string): void;
  leave(): void;
  enableAudio(): void;
  toggleScreenShare(): void;
  stopScreenShare(): void;
  /** Switches between grid and speaker view; returns the view now shown. */
  toggleLayout(): 'grid' | 'speaker';
  /** Opens the keyboard-shortcut list. */
  showShortcuts(): void;
}

/** Chat, hands and reactions (features/social.ts): extra controls and the chat side panel. */
export interface SocialParts {
  /** Control-bar items placed before the participants button. */
  readonly controls: HTMLElement[];
  readonly chatButton: HTMLElement;
  readonly panel: { readonly element: HTMLElement };
  chatOpened(open: boolean): void;
}

export interface ControlState {
  micOn: boolean;
  cameraOn: boolean;
  hasMic: boolean;
  hasCamera: boolean;
}

export class MeetingShell {
  readonly element = el('div', 'meeting');
  readonly notices = el('div', 'notices');
  private readonly statusPill = el('div', 'status-pill');
  private readonly receivingPill = el('button', 'receiving-pill');
  private readonly micButton = el('button', 'ctrl');
  private readonly cameraButton = el('button', 'ctrl');
  private readonly peopleButton = el('button', 'ctrl');
  private readonly audioButton = el('button', 'ctrl ctrl-audio');
  private readonly layoutButton = el('button', 'ctrl');
  /** Present button (control bar) and "You are presenting" banner (above the tiles). */
  readonly screenShare: ScreenShareControls;

  private social: SocialParts | null = null;

  constructor(meetingId: string, grid: TileArea, panel: ParticipantsPanel, actions: ShellActions, social?: SocialParts) {
    this.social = social ?? null;
    this.screenShare = new ScreenShareControls(actions.toggleScreenShare, actions.stopScreenShare);
    const top = el('header', 'topbar');
    const brand = el('div', 'brand brand-small');
    brand.innerHTML = `<span class="brand-mark">${icons.camera}</span>`;
    const meeting = el('div', 'meeting-id');
    const idText = el('span', 'meeting-id-text', meetingId);
    idText.title = meetingId; // a phone may cut it short
    meeting.append(idText);
    const copy = el('button', 'icon-btn');
    copy.title = 'Copy meeting link';
    copy.setAttribute('aria-label', copy.title);
    copy.innerHTML = icons.link;
    copy.addEventListener('click', () => {
      void navigator.clipboard?.writeText(`${window.location.origin}/meeting/${meetingId}`).then(() => {
        copy.classList.add('copied');
        window.setTimeout(() => copy.classList.remove('copied'), 1200);
      });
    });
    const keys = el('button', 'icon-btn');
    keys.dataset.testid = 'shortcuts-button';
    keys.title = 'Keyboard shortcuts (?)';
    keys.setAttribute('aria-label', 'Keyboard shortcuts');
    keys.setAttribute('aria-keyshortcuts', keyShortcutAttribute('help'));
    keys.innerHTML = icons.keyboard;
    keys.addEventListener('click', actions.showShortcuts);
    meeting.append(copy, keys);
    this.statusPill.dataset.testid = 'connection-status';
    this.receivingPill.dataset.testid = 'receive-only-indicator';
    this.receivingPill.hidden = true;
    this.receivingPill.addEventListener('click', () => {
      this.setPanelOpen(true);
      requestAnimationFrame(() => grid.layout());
    });
    top.append(brand, meeting, this.receivingPill, this.statusPill);

    const stage = el('div', 'stage');
    const main = el('div', 'stage-main');
    main.append(this.screenShare.banner, this.notices, grid.element);
    stage.append(main, panel.element);
    if (social) stage.append(social.panel.element);

    const controls = el('footer', 'controls');
    this.micButton.dataset.testid = 'mic-toggle';
    this.micButton.addEventListener('click', actions.toggleMic);
    this.micButton.setAttribute('aria-keyshortcuts', keyShortcutAttribute('mic'));
    this.cameraButton.dataset.testid = 'camera-toggle';
    this.cameraButton.addEventListener('click', actions.toggleCamera);
    this.cameraButton.setAttribute('aria-keyshortcuts', keyShortcutAttribute('camera'));
    this.peopleButton.dataset.testid = 'participants-toggle';
    this.peopleButton.innerHTML = icons.users;
    this.peopleButton.title = 'Participants';
    this.peopleButton.setAttribute('aria-label', 'Participants');
    this.peopleButton.addEventListener('click', () => {
      this.setPanelOpen(!this.element.classList.contains('panel-open'));
      requestAnimationFrame(() => grid.layout());
    });
    this.audioButton.innerHTML = `${icons.speaker}<span>Enable audio</span>`;
    this.audioButton.title = 'The browser blocked sound until you click';
    this.audioButton.hidden = true;
    this.audioButton.addEventListener('click', actions.enableAudio);
    const leave = el('button', 'ctrl ctrl-leave');
    leave.dataset.testid = 'leave-button';
    leave.innerHTML = `${icons.leave}<span>Leave</span>`;
    leave.addEventListener('click', actions.leave);
    this.layoutButton.dataset.testid = 'layout-toggle';
    this.layoutButton.addEventListener('click', () => this.showLayout(actions.toggleLayout()));
    this.showLayout('grid');
    // Each device button shares a pill with its menu button (switch devices during the call).
    const micGroup = el('div', 'ctrl-group');
    micGroup.append(this.micButton, new DeviceMenu('Microphone and speaker', 'mic-menu', actions.microphoneMenu, actions.selectDevice).element);
    const cameraGroup = el('div', 'ctrl-group');
    cameraGroup.append(this.cameraButton, new DeviceMenu('Camera', 'camera-menu', actions.cameraMenu, actions.selectDevice).element);
    controls.append(micGroup, cameraGroup, this.screenShare.button, this.layoutButton);
    if (social) controls.append(...social.controls);
    controls.append(this.peopleButton);
    if (social) {
      social.chatButton.addEventListener('click', () => requestAnimationFrame(() => grid.layout()));
      controls.append(social.chatButton);
    }
    controls.append(this.audioButton, leave);

    this.element.append(top, stage, controls);
    // The panel shows beside the tiles on a wide window and is opened on demand on a narrow one.
    const wide = window.matchMedia('(min-width: 1100px)');
    this.setPanelOpen(wide.matches);
    wide.addEventListener('change', () => {
      if (!this.element.classList.contains('chat-open')) this.setPanelOpen(wide.matches);
      requestAnimationFrame(() => grid.layout());
    });
  }

  /** One side panel at a time: opening the participant list closes the chat, and back. */
  setPanelOpen(open: boolean): void {
    if (open) this.setChatOpen(false);
    this.element.classList.toggle('panel-open', open);
    this.peopleButton.classList.toggle('active', open);
    this.peopleButton.setAttribute('aria-pressed', String(open));
  }

  get chatOpen(): boolean {
    return this.element.classList.contains('chat-open');
  }

  setChatOpen(open: boolean): void {
    if (!this.social) return;
    if (open) this.setPanelOpen(false);
    this.element.classList.toggle('chat-open', open);
    this.social.chatOpened(open);
  }

  /** The icon and tooltip offer the other view; to assistive technology it is one toggle, "Speaker view". */
  showLayout(mode: 'grid' | 'speaker'): void {
    this.layoutButton.innerHTML = mode === 'grid' ? icons.speakerView : icons.grid;
    this.layoutButton.title = mode === 'grid' ? 'Speaker view' : 'Grid view';
    this.layoutButton.setAttribute('aria-label', 'Speaker view');
    this.layoutButton.setAttribute('aria-pressed', String(mode === 'speaker'));
    this.layoutButton.dataset.mode = mode;
  }

  setParticipantCount(count: number): void {
    this.peopleButton.dataset.count = String(count);
  }

  /** Who receives this meeting's media without being on camera: always visible, never hidden. */
  setReceiveOnly(names: string[]): void {
    this.receivingPill.hidden = names.length === 0;
    if (names.length === 0) return;
    // On a phone only the dot, an eye and the count show (the meeting id needs the room).
    const eye = el('span', 'receiving-icon');
    eye.innerHTML = icons.eye;
    const count = el('span', '', String(names.length));
    count.append(el('span', 'receiving-label', ' receiving only'));
    this.receivingPill.replaceChildren(el('span', 'rec-dot'), eye, count);
    this.receivingPill.title = `Receiving everyone’s audio and video without a tile: ${names.join(', ')}`;
    this.receivingPill.setAttribute('aria-label', this.receivingPill.title);
  }

  setAudioBlocked(blocked: boolean): void {
    this.audioButton.hidden = !blocked;
  }

  setControls(state: ControlState): void {
    showToggle(this.micButton, state.micOn, state.hasMic, icons.mic, icons.micOff, 'microphone');
    showToggle(this.cameraButton, state.cameraOn, state.hasCamera, icons.camera, icons.cameraOff, 'camera');
  }

  /** e.g. "Connected · WebTransport · 127.0.0.1:8081 · 3 ms" (the server node in use). */
  setStatus(text: string, tone: 'ok' | 'pending', transport: string | null, server: string | null, rttMs: number | null): void {
    this.statusPill.className = `status-pill ${tone}`;
    this.statusPill.replaceChildren(el('span', 'dot'));
    const label = el('span', 'status-text', text);
    if (transport && tone === 'ok') {
      const name = el('span', '', transport);
      name.dataset.testid = 'transport-name';
      label.append(' · ', name);
    }
    if (server && tone === 'ok') {
      // The server address is left out on a phone (styles.css): the pill must fit beside the name.
      const host = el('span', 'status-server');
      const address = el('span', '', server);
      address.dataset.testid = 'server-name';
      host.append(' · ', address);
      label.append(host);
    }
    if (rttMs !== null && tone === 'ok') label.append(` · ${rttMs} ms`);
    this.statusPill.append(label);
    this.statusPill.title = label.textContent ?? '';
  }
}
