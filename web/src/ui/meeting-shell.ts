// Static frame of the meeting view: top bar (meeting id, copy link, connection quality), the stage
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
  /** Copies the meeting link (with a toast, and a fallback where the Clipboard API is missing). */
  copyLink(): void;
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
  /** Tooltips for devices the room token does not allow (absent: allowed). */
  micDenied?: string;
  cameraDenied?: string;
}

export class MeetingShell {
  readonly element = el('div', 'meeting');
  readonly notices = el('div', 'notices');
  /** Where the page puts its connection quality indicator (top bar, right). */
  readonly statusSlot = el('div', 'status-slot');
  private readonly receivingPill = el('button', 'receiving-pill');
  /** End-to-end encryption: a padlock, and the safety code behind it. */
  private readonly e2eePill = el('button', 'e2ee-pill');
  private readonly e2eeDetails = el('div', 'e2ee-details');
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
    copy.dataset.testid = 'copy-link';
    copy.addEventListener('click', actions.copyLink);
    const keys = el('button', 'icon-btn');
    keys.dataset.testid = 'shortcuts-button';
    keys.title = 'Keyboard shortcuts (?)';
    keys.setAttribute('aria-label', 'Keyboard shortcuts');
    keys.setAttribute('aria-keyshortcuts', keyShortcutAttribute('help'));
    keys.innerHTML = icons.keyboard;
    keys.addEventListener('click', actions.showShortcuts);
    meeting.append(copy, keys);
    this.receivingPill.dataset.testid = 'receive-only-indicator';
    this.receivingPill.hidden = true;
    this.receivingPill.addEventListener('click', () => {
      this.setPanelOpen(true);
      requestAnimationFrame(() => grid.layout());
    });
    this.e2eePill.dataset.testid = 'e2ee-indicator';
    this.e2eePill.hidden = true;
    this.e2eeDetails.dataset.testid = 'e2ee-details';
    this.e2eeDetails.hidden = true;
    this.e2eePill.addEventListener('click', () => {
      this.e2eeDetails.hidden = !this.e2eeDetails.hidden;
      this.e2eePill.setAttribute('aria-expanded', String(!this.e2eeDetails.hidden));
    });
    top.append(brand, meeting, this.e2eePill, this.receivingPill, this.statusSlot, this.e2eeDetails);

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

  /** A further control-bar button (host settings), placed before the participants button. */
  addControl(button: HTMLElement): void {
    this.peopleButton.before(button);
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

  /**
   * End-to-end encryption is on: a padlock in the top bar; behind it the safety code (key
   * agreement) that everyone compares out of band, or a note that the link's passphrase is used.
   */
  setE2ee(mode: 'off' | 'passphrase' | 'key-agreement', safetyCode: string): void {
    this.e2eePill.hidden = mode === 'off';
    if (mode === 'off') {
      this.e2eeDetails.hidden = true;
      return;
    }
    const lock = el('span', 'e2ee-icon');
    lock.innerHTML = icons.lock;
    this.e2eePill.replaceChildren(lock, el('span', 'e2ee-label', 'Encrypted'));
    this.e2eePill.title = 'End-to-end encrypted: the server cannot see or hear this call';
    this.e2eePill.setAttribute('aria-label', this.e2eePill.title);
    this.e2eePill.setAttribute('aria-expanded', String(!this.e2eeDetails.hidden));
    const heading = el('div', 'e2ee-heading', 'End-to-end encrypted');
    if (mode === 'passphrase') {
      this.e2eeDetails.replaceChildren(
        heading,
        el('p', '', 'Audio and video are encrypted with the passphrase in this meeting’s link. Only people with the full link can see and hear the call; the server cannot.'),
      );
      return;
    }
    const code = el('div', 'e2ee-code', safetyCode);
    code.dataset.testid = 'e2ee-safety-code';
    this.e2eeDetails.replaceChildren(
      heading,
      el('p', '', 'Safety code for everyone in this call:'),
      code,
      el('p', '', 'Compare it with the others by phone or in person. If everyone sees the same code, no one in between, the server included, can see or hear the call. It changes when someone joins or leaves.'),
    );
  }

  setAudioBlocked(blocked: boolean): void {
    this.audioButton.hidden = !blocked;
  }

  setControls(state: ControlState): void {
    showToggle(this.micButton, state.micOn, state.hasMic, icons.mic, icons.micOff, 'microphone', state.micDenied);
    showToggle(this.cameraButton, state.cameraOn, state.hasCamera, icons.camera, icons.cameraOff, 'camera', state.cameraDenied);
  }
}
