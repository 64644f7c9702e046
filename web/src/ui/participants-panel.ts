// Side panel listing everyone in the meeting with their role and mic/camera state.
import { el, hueFor, icons, initials } from './icons';

export interface PanelEntry {
  id: number;
  name: string;
  isSelf: boolean;
  isHost: boolean;
  /** "Co-host" under the name. */
  isCoHost?: boolean;
  /** The host's per-participant menu, when we may act on this participant. */
  actions?: HTMLElement | null;
  micOn: boolean;
  cameraOn: boolean;
  /** Gets everyone's media but publishes nothing (a recorder or viewer). */
  receiveOnly?: boolean;
  /** Place in the raised-hands queue (1 = first up); absent when the hand is down. */
  handPosition?: number;
}

export class ParticipantsPanel {
  readonly element = el('aside', 'panel');
  private readonly heading = el('h3', 'panel-title');
  private readonly list = el('ul', 'panel-list');

  constructor() {
    this.element.dataset.testid = 'participants-panel';
    this.element.append(this.heading, this.list);
  }

  render(entries: PanelEntry[]): void {
    // Raised hands first, in the order they went up; receive-only participants are listed last,
    // so the people on camera stay at the top.
    const hands = entries.filter((e) => e.handPosition !== undefined).sort((a, b) => a.handPosition! - b.handPosition!);
    const rest = entries.filter((e) => e.handPosition === undefined);
    entries = [...hands, ...rest.filter((e) => !e.receiveOnly), ...rest.filter((e) => e.receiveOnly)];
    this.heading.textContent = `Participants (${entries.length})`;
    this.list.replaceChildren(
      ...entries.map((entry) => {
        const item = el('li', 'panel-item');
        item.dataset.participantId = String(entry.id);
        const avatar = el('span', 'panel-avatar', initials(entry.name));
        avatar.style.setProperty('--hue', String(hueFor(entry.id)));
        const name = el('span', 'panel-name');
        const text = el('span', 'panel-name-text', entry.name);
        text.title = entry.name; // the whole name where the panel cuts it short
        name.append(text);
        const roles = [entry.isSelf ? 'You' : '', entry.isHost ? 'Host' : '', entry.isCoHost ? 'Co-host' : '', entry.receiveOnly ? 'Receiving only' : '']
          .filter(Boolean)
          .join(' · ');
        if (roles) name.append(el('span', 'panel-sub', roles));
        const state = el('span', 'panel-state');
        if (entry.receiveOnly) {
          item.classList.add('receive-only');
          item.dataset.testid = 'receive-only-entry';
          state.innerHTML = icons.eye;
          state.title = 'Receives everyone’s audio and video, sends none (e.g. a recorder)';
        } else {
          state.innerHTML = (entry.micOn ? icons.mic : icons.micOff) + (entry.cameraOn ? icons.camera : icons.cameraOff);
          state.classList.toggle('muted', !entry.micOn);
        }
        if (entry.handPosition !== undefined) {
          const hand = el('span', 'panel-hand');
          hand.dataset.testid = 'panel-hand';
          hand.innerHTML = icons.hand;
          hand.append(String(entry.handPosition));
          hand.title = `Hand raised (${entry.handPosition} in the queue)`;
          hand.setAttribute('aria-label', hand.title);
          item.append(avatar, name, hand, state);
        } else {
          item.append(avatar, name, state);
        }
        if (entry.actions) item.append(entry.actions);
        return item;
      }),
    );
  }
}
