// Host powers on the meeting page (PROTOCOL.md §14): the waiting list with an admit prompt (and a
// short sound) for hosts and co-hosts, the per-participant menu (panel and tiles), the meeting
// settings panel, and what a host action means for us (forced mute, "please unmute", toasts).
// The server enforces every rule; this only offers the actions our role has.
import { HostActionKind, type HostActionEvent, type MeetingSettings, type Participant } from '../../gen/videocall_pb';
import { type ControlMessage, ParticipantRole, toNumber } from '../../protocol';
import { el, icons } from '../../ui/icons';
import { MenuButton, type MenuItem } from './menu-button';
import { SettingsDialog } from './settings-dialog';
import './host.css';

export interface HostPage {
  send(message: ControlMessage): void;
  selfId(): number | null;
  /** The camera tile of a participant, if it has one. */
  tileElement(participantId: number): HTMLElement | null;
  toast(message: string): void;
  /** A host turned our source off (forced): the page turns the device off too. */
  forceOff(source: 'mic' | 'camera' | 'screen'): void;
  /** We accepted "please unmute". */
  unmute(): void;
}

/** What the menu needs to know about a participant. */
export interface MenuTarget {
  id: number;
  name: string;
  role: ParticipantRole;
  micOn: boolean;
  cameraOn: boolean;
  screenOn: boolean;
}

/** Control field numbers (Refused.request) of host requests. */
const REQUEST_HOST = 30;
const REQUEST_SETTINGS = 31;
const BEEP_HZ = 880;
const BEEP_MS = 160;

export class HostFeatures {
  /** Control-bar button that opens the meeting settings (hosts and co-hosts only). */
  readonly settingsButton = el('button', 'ctrl');
  /** Above the tiles: who is waiting, with Admit / Deny (hosts and co-hosts only). */
  readonly waitingStrip = el('div', 'waiting-strip');
  private role = ParticipantRole.UNSPECIFIED;
  private waiting: Participant[] = [];
  private readonly dialog: SettingsDialog;
  private currentSettings: MeetingSettings | null = null;
  private unmutePrompt: HTMLElement | null = null;

  constructor(private readonly page: HostPage) {
    this.settingsButton.dataset.testid = 'meeting-settings-toggle';
    this.settingsButton.innerHTML = icons.shield;
    this.settingsButton.title = 'Meeting settings';
    this.settingsButton.setAttribute('aria-label', 'Meeting settings');
    this.settingsButton.hidden = true;
    this.settingsButton.addEventListener('click', () => this.dialog.open(this.currentSettings, this.role === ParticipantRole.HOST));
    this.waitingStrip.dataset.testid = 'waiting-list';
    this.waitingStrip.setAttribute('role', 'region');
    this.waitingStrip.setAttribute('aria-label', 'Waiting room');
    this.waitingStrip.hidden = true;
    this.dialog = new SettingsDialog({
      update: (update) => this.page.send({ case: 'hostUpdateSettings', value: update }),
      muteAll: () => this.request(HostActionKind.HOST_ACTION_MUTE_ALL, 0),
      endMeeting: () => this.request(HostActionKind.HOST_ACTION_END_MEETING, 0),
    });
  }

  get dialogElement(): HTMLElement {
    return this.dialog.element;
  }

  get moderates(): boolean {
    return this.role === ParticipantRole.HOST || this.role === ParticipantRole.CO_HOST;
  }

  setRole(role: ParticipantRole): void {
    const was = this.moderates;
    this.role = role;
    this.settingsButton.hidden = !this.moderates;
    if (!this.moderates) {
      this.dialog.close();
      this.waiting = [];
    }
    if (was !== this.moderates) this.renderWaiting();
  }

  settings(settings: MeetingSettings): void {
    this.currentSettings = settings;
    this.dialog.refresh(settings);
  }

  waitingList(list: Participant[]): void {
    const known = new Set(this.waiting.map((p) => toNumber(p.participantId)));
    const arrived = list.filter((p) => !known.has(toNumber(p.participantId)));
    this.waiting = list;
    this.renderWaiting();
    if (arrived.length && this.moderates) {
      beep();
      this.page.toast(arrived.length === 1 ? `${arrived[0]!.displayName} is waiting to join` : `${arrived.length} people are waiting to join`);
    }
  }

  /** A host action happened: a toast for everyone, and what it means if it was about us. */
  hostAction(event: HostActionEvent): void {
    const self = this.page.selfId();
    const target = toNumber(event.targetParticipantId);
    const aboutUs = self !== null && target === self;
    const actor = event.actorDisplayName || 'The host';
    switch (event.action) {
      case HostActionKind.HOST_ACTION_MUTE_MIC:
        if (aboutUs) {
          this.page.forceOff('mic');
          this.page.toast(`${actor} muted your microphone`);
        }
        break;
      case HostActionKind.HOST_ACTION_STOP_CAMERA:
        if (aboutUs) {
          this.page.forceOff('camera');
          this.page.toast(`${actor} turned off your camera`);
        }
        break;
      case HostActionKind.HOST_ACTION_STOP_SCREEN:
        if (aboutUs) {
          this.page.forceOff('screen');
          this.page.toast(`${actor} stopped your screen share`);
        }
        break;
      case HostActionKind.HOST_ACTION_MUTE_ALL:
        if (!this.moderates) {
          this.page.forceOff('mic');
          this.page.toast(`${actor} muted everyone`);
        }
        break;
      case HostActionKind.HOST_ACTION_ASK_UNMUTE:
        if (aboutUs) this.askToUnmute(actor);
        break;
      case HostActionKind.HOST_ACTION_MAKE_CO_HOST:
        this.page.toast(aboutUs ? `${actor} made you a co-host` : `${event.targetDisplayName} is now a co-host`);
        break;
      case HostActionKind.HOST_ACTION_MAKE_HOST:
        this.page.toast(aboutUs ? `${actor} made you the host` : `${event.targetDisplayName} is now the host`);
        break;
      case HostActionKind.HOST_ACTION_REMOVE:
        if (!aboutUs) this.page.toast(`${actor} removed ${event.targetDisplayName}`);
        break;
      case HostActionKind.HOST_ACTION_LOCK:
        this.page.toast(`${actor} locked the meeting`);
        break;
      case HostActionKind.HOST_ACTION_UNLOCK:
        this.page.toast(`${actor} unlocked the meeting`);
        break;
      default:
        break;
    }
  }

  refused(code: number, message: string, request: number): boolean {
    if (request !== REQUEST_HOST && request !== REQUEST_SETTINGS) return false;
    this.page.toast(code === 4403 ? 'Only the host or a co-host can do that.' : `That did not work: ${message}`);
    return true;
  }

  /** The "⋯" button for a participant, or null when we may do nothing to them. */
  menuFor(target: MenuTarget): HTMLElement | null {
    const items = this.menuItems(target);
    if (!items.length) return null;
    const button = new MenuButton(`Actions for ${target.name}`, () => this.menuItems(target));
    button.element.dataset.participantId = String(target.id);
    return button.element;
  }

  /** Puts the menu button on every peer's tile (or takes it away when we do not moderate). */
  paintTiles(targets: MenuTarget[]): void {
    for (const old of document.querySelectorAll('.tile .tile-host-menu')) old.remove();
    if (!this.moderates) return;
    for (const target of targets) {
      const menu = this.menuFor(target);
      const tile = this.page.tileElement(target.id);
      if (!menu || !tile) continue;
      menu.classList.add('tile-host-menu');
      menu.dataset.testid = 'tile-host-menu';
      tile.append(menu);
    }
  }

  private menuItems(t: MenuTarget): MenuItem[] {
    if (!this.moderates || t.role === ParticipantRole.HOST) return [];
    if (t.role === ParticipantRole.CO_HOST && this.role !== ParticipantRole.HOST) return [];
    const act = (action: HostActionKind, bar = false) => () => this.request(action, t.id, bar);
    const items: MenuItem[] = [];
    if (t.micOn) items.push({ label: 'Mute', testId: 'host-mute', run: act(HostActionKind.HOST_ACTION_MUTE_MIC) });
    else items.push({ label: 'Ask to unmute', testId: 'host-ask-unmute', run: act(HostActionKind.HOST_ACTION_ASK_UNMUTE) });
    if (t.cameraOn) items.push({ label: 'Stop video', testId: 'host-stop-video', run: act(HostActionKind.HOST_ACTION_STOP_CAMERA) });
    if (t.screenOn) items.push({ label: 'Stop screen share', testId: 'host-stop-screen', run: act(HostActionKind.HOST_ACTION_STOP_SCREEN) });
    if (t.role === ParticipantRole.CO_HOST) {
      items.push({ label: 'Remove as co-host', testId: 'host-revoke-co-host', run: act(HostActionKind.HOST_ACTION_REVOKE_CO_HOST) });
    } else if (t.role !== ParticipantRole.VIEWER) {
      items.push({ label: 'Make co-host', testId: 'host-make-co-host', run: act(HostActionKind.HOST_ACTION_MAKE_CO_HOST) });
    }
    if (this.role === ParticipantRole.HOST && t.role !== ParticipantRole.VIEWER) {
      items.push({ label: 'Make host', testId: 'host-make-host', run: act(HostActionKind.HOST_ACTION_MAKE_HOST) });
    }
    items.push({ label: 'Remove from meeting', testId: 'host-remove', danger: true, run: act(HostActionKind.HOST_ACTION_REMOVE) });
    items.push({ label: 'Remove and don’t allow back', testId: 'host-remove-bar', danger: true, run: act(HostActionKind.HOST_ACTION_REMOVE, true) });
    return items;
  }

  private request(action: HostActionKind, target: number, bar = false): void {
    this.page.send({ case: 'hostRequest', value: { action, targetParticipantId: BigInt(target), bar } });
  }

  private renderWaiting(): void {
    const show = this.moderates && this.waiting.length > 0;
    this.waitingStrip.hidden = !show;
    if (!show) {
      this.waitingStrip.replaceChildren();
      return;
    }
    const title = el('div', 'waiting-strip-title', this.waiting.length === 1 ? '1 person is waiting to join' : `${this.waiting.length} people are waiting to join`);
    const list = el('ul', 'waiting-strip-list');
    for (const person of this.waiting) {
      const id = toNumber(person.participantId);
      const item = el('li', 'waiting-strip-item');
      item.dataset.participantId = String(id);
      const admit = el('button', 'btn btn-primary btn-small', 'Admit');
      admit.dataset.testid = 'admit-button';
      admit.addEventListener('click', () => this.request(HostActionKind.HOST_ACTION_ADMIT, id));
      const deny = el('button', 'btn btn-small', 'Deny');
      deny.dataset.testid = 'deny-button';
      deny.addEventListener('click', () => this.request(HostActionKind.HOST_ACTION_DENY, id));
      item.append(el('span', 'waiting-strip-name', person.displayName), admit, deny);
      list.append(item);
    }
    if (this.waiting.length > 1) {
      const all = el('button', 'btn btn-small', 'Admit all');
      all.dataset.testid = 'admit-all-button';
      all.addEventListener('click', () => {
        for (const person of this.waiting) this.request(HostActionKind.HOST_ACTION_ADMIT, toNumber(person.participantId));
      });
      title.append(all);
    }
    this.waitingStrip.replaceChildren(title, list);
  }

  private askToUnmute(actor: string): void {
    this.unmutePrompt?.remove();
    const prompt = el('div', 'unmute-prompt');
    prompt.dataset.testid = 'unmute-prompt';
    prompt.setAttribute('role', 'alertdialog');
    prompt.setAttribute('aria-label', 'Request to unmute');
    const yes = el('button', 'btn btn-primary btn-small', 'Unmute');
    yes.dataset.testid = 'unmute-accept';
    const no = el('button', 'btn btn-small', 'Stay muted');
    no.dataset.testid = 'unmute-ignore';
    const close = () => {
      prompt.remove();
      if (this.unmutePrompt === prompt) this.unmutePrompt = null;
    };
    yes.addEventListener('click', () => {
      close();
      this.page.unmute();
    });
    no.addEventListener('click', close);
    const actions = el('div', 'unmute-actions');
    actions.append(yes, no);
    prompt.append(el('p', '', `${actor} asks you to unmute your microphone.`), actions);
    this.unmutePrompt = prompt;
    document.body.append(prompt);
    yes.focus();
  }

  dispose(): void {
    this.unmutePrompt?.remove();
    this.dialog.close();
  }
}

/** A short, quiet beep (WebAudio): someone is waiting. Silently nothing where audio is blocked. */
function beep(): void {
  try {
    const context = new AudioContext();
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.frequency.value = BEEP_HZ;
    gain.gain.setValueAtTime(0.08, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + BEEP_MS / 1000);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start();
    oscillator.stop(context.currentTime + BEEP_MS / 1000);
    oscillator.onended = () => void context.close();
  } catch {
    // no audio output: the toast and the list still show
  }
}
