// The meeting settings panel for hosts and co-hosts (PROTOCOL.md §14.1): lock, waiting room,
// end-to-end encryption required, maximum participants; mute everyone and (host only) end the
// meeting for everyone. Each change is sent at once; the server's MeetingSettings answer is shown.
import type { MeetingSettings } from '../../gen/videocall_pb';
import { el, icons } from '../../ui/icons';

export interface SettingsActions {
  update(update: { waitingRoom?: boolean; locked?: boolean; e2eeRequired?: boolean; maxParticipants?: number }): void;
  muteAll(): void;
  endMeeting(): void;
}

/** limits::kMaxParticipantsPerRoom on the server. */
const MAX_PARTICIPANTS = 1000;

export class SettingsDialog {
  readonly element = el('div', 'host-dialog');
  private readonly locked = toggle('Lock the meeting', 'Nobody new gets in without your say-so', 'setting-locked');
  private readonly waitingRoom = toggle('Waiting room', 'You admit each person who joins', 'setting-waiting-room');
  private readonly e2ee = toggle('Require end-to-end encryption', 'Only apps that encrypt media end to end may join; applies to people who join from now on', 'setting-e2ee');
  private readonly maxInput = el('input', 'host-max-input');
  private readonly endButton = el('button', 'btn btn-danger', 'End meeting for everyone');
  private confirmingEnd = false;

  constructor(private readonly actions: SettingsActions) {
    this.element.dataset.testid = 'meeting-settings';
    this.element.setAttribute('role', 'dialog');
    this.element.setAttribute('aria-label', 'Meeting settings');
    this.element.hidden = true;
    const card = el('div', 'card host-dialog-card');
    const header = el('div', 'host-dialog-header');
    const close = el('button', 'host-dialog-close');
    close.innerHTML = icons.close;
    close.title = 'Close';
    close.setAttribute('aria-label', 'Close meeting settings');
    close.addEventListener('click', () => this.close());
    header.append(el('h2', 'host-dialog-title', 'Meeting settings'), close);
    this.locked.input.addEventListener('change', () => this.actions.update({ locked: this.locked.input.checked }));
    this.waitingRoom.input.addEventListener('change', () => this.actions.update({ waitingRoom: this.waitingRoom.input.checked }));
    this.e2ee.input.addEventListener('change', () => this.actions.update({ e2eeRequired: this.e2ee.input.checked }));
    const max = el('label', 'host-setting');
    this.maxInput.type = 'number';
    this.maxInput.min = '0';
    this.maxInput.max = String(MAX_PARTICIPANTS);
    this.maxInput.dataset.testid = 'setting-max-participants';
    this.maxInput.addEventListener('change', () => {
      const value = Math.max(0, Math.min(MAX_PARTICIPANTS, Math.floor(Number(this.maxInput.value) || 0)));
      this.actions.update({ maxParticipants: value });
    });
    const maxText = el('span', 'host-setting-text');
    maxText.append(el('span', 'host-setting-label', 'Maximum participants'), el('span', 'host-setting-hint', '0 means no limit of your own'));
    max.append(maxText, this.maxInput);
    const muteAll = el('button', 'btn', 'Mute everyone');
    muteAll.dataset.testid = 'mute-all';
    muteAll.addEventListener('click', () => this.actions.muteAll());
    this.endButton.dataset.testid = 'end-meeting';
    this.endButton.addEventListener('click', () => {
      if (!this.confirmingEnd) {
        this.confirmingEnd = true;
        this.endButton.textContent = 'Click again to end it for everyone';
        return;
      }
      this.close();
      this.actions.endMeeting();
    });
    const buttons = el('div', 'host-dialog-actions');
    buttons.append(muteAll, this.endButton);
    card.append(header, this.locked.row, this.waitingRoom.row, this.e2ee.row, max, buttons);
    this.element.append(card);
    this.element.addEventListener('click', (event) => {
      if (event.target === this.element) this.close();
    });
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
  }

  open(settings: MeetingSettings | null, isHost: boolean): void {
    this.endButton.hidden = !isHost;
    this.confirmingEnd = false;
    this.endButton.textContent = 'End meeting for everyone';
    if (settings) this.refresh(settings);
    this.element.hidden = false;
    this.locked.input.focus();
  }

  refresh(settings: MeetingSettings): void {
    this.locked.input.checked = settings.locked;
    this.waitingRoom.input.checked = settings.waitingRoom;
    this.e2ee.input.checked = settings.e2eeRequired;
    if (document.activeElement !== this.maxInput) this.maxInput.value = String(settings.maxParticipants);
  }

  close(): void {
    this.element.hidden = true;
  }
}

function toggle(label: string, hint: string, testId: string): { row: HTMLElement; input: HTMLInputElement } {
  const row = el('label', 'host-setting');
  const input = el('input', 'host-switch');
  input.type = 'checkbox';
  input.setAttribute('role', 'switch');
  input.dataset.testid = testId;
  const text = el('span', 'host-setting-text');
  text.append(el('span', 'host-setting-label', label), el('span', 'host-setting-hint', hint));
  row.append(text, input);
  return { row, input };
}
