// Chat, raised hands and reactions on the meeting page (PROTOCOL.md §12): the control-bar buttons,
// the chat panel with its unread badge, hand badges and floating reactions on tiles. The page
// forwards session events here and asks for hand positions when it renders the roster.
import type { ChatMessage, Participant } from '../gen/videocall_pb';
import type { ControlMessage } from '../protocol';
import { toNumber } from '../protocol';
import { el, icons } from '../ui/icons';
import { keyShortcutAttribute } from '../ui/shortcuts';
import { UnreadCounter, type ChatEntry } from './chat/chat-log';
import { ChatPanel } from './chat/chat-panel';
import { NOT_ALLOWED } from '../meeting/grants';
import { raisedHandOrder } from './hands';
import { REACTIONS, floatReaction } from './reactions';
import './social.css';

export interface SocialHost {
  send(message: ControlMessage): void;
  /** The camera tile element of a participant (ours included), if it has one. */
  tileElement(participantId: number): HTMLElement | null;
  /** Opens or closes the chat panel in the page layout. */
  setChatOpen(open: boolean): void;
}

/** Control field numbers (Refused.request) of the requests we send. */
const REQUEST_SEND_CHAT = 20;
/** Refused code: the room token does not grant chat (docs/PROTOCOL.md §13). */
const REFUSED_CHAT_NOT_GRANTED = 4444;

export class SocialFeatures {
  readonly chatButton = el('button', 'ctrl');
  readonly handButton = el('button', 'ctrl ctrl-hand');
  readonly reactButton = el('button', 'ctrl');
  readonly panel: ChatPanel;
  private readonly menu = el('div', 'reaction-menu');
  private readonly menuHand = el('button', 'reaction-menu-hand');
  private readonly reactWrap = el('div', 'reaction-wrap');
  private readonly unread = new UnreadCounter(false);
  /** Participant id → when its hand went up (µs, server time); 0 or absent when down. */
  private readonly hands = new Map<number, number>();
  private order: number[] = [];
  private nextClientId = 1;
  private chatOpen = false;
  private selfId: number | null = null;

  constructor(private readonly host: SocialHost) {
    this.panel = new ChatPanel(
      (text) => this.host.send({ case: 'sendChat', value: { text, clientMessageId: BigInt(this.nextClientId++) } }),
      () => this.host.setChatOpen(false),
    );
    this.chatButton.dataset.testid = 'chat-toggle';
    this.chatButton.innerHTML = icons.chat;
    this.chatButton.title = 'Chat';
    this.chatButton.setAttribute('aria-label', 'Chat');
    this.chatButton.setAttribute('aria-pressed', 'false');
    this.chatButton.setAttribute('aria-keyshortcuts', keyShortcutAttribute('chat'));
    this.chatButton.addEventListener('click', () => this.host.setChatOpen(!this.chatOpen));

    this.handButton.dataset.testid = 'hand-toggle';
    this.handButton.innerHTML = icons.hand;
    this.handButton.addEventListener('click', () => this.toggleHand());
    this.handButton.setAttribute('aria-keyshortcuts', keyShortcutAttribute('hand'));
    this.menuHand.dataset.testid = 'menu-hand-toggle';
    this.menuHand.addEventListener('click', () => {
      this.toggleHand();
      this.setMenuOpen(false);
    });

    this.reactButton.dataset.testid = 'reaction-toggle';
    this.reactButton.innerHTML = icons.smile;
    this.reactButton.title = 'Reactions';
    this.reactButton.setAttribute('aria-label', 'Send a reaction');
    this.reactButton.setAttribute('aria-haspopup', 'true');
    this.reactButton.addEventListener('click', () => this.setMenuOpen(this.menu.hidden === true));
    this.menu.dataset.testid = 'reaction-menu';
    this.menu.hidden = true;
    for (const reaction of REACTIONS) {
      const button = el('button', 'reaction-choice', reaction.emoji);
      button.dataset.testid = 'reaction-choice';
      button.dataset.emoji = reaction.emoji;
      button.title = reaction.label;
      button.setAttribute('aria-label', reaction.label);
      button.addEventListener('click', () => {
        this.host.send({ case: 'sendReaction', value: { emoji: reaction.emoji } });
        this.setMenuOpen(false);
      });
      this.menu.append(button);
    }
    this.menu.append(this.menuHand);
    this.reactWrap.append(this.menu, this.reactButton);
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || this.menu.hidden) return;
      const focusInside = this.menu.contains(document.activeElement);
      this.setMenuOpen(false);
      if (focusInside) this.reactButton.focus();
    });
    this.refreshHandButton();
  }

  /** Control-bar items, in order. */
  get controls(): HTMLElement[] {
    return [this.handButton, this.reactWrap];
  }

  /** The page opened or closed the chat panel. */
  chatOpened(open: boolean): void {
    this.chatOpen = open;
    this.chatButton.classList.toggle('active', open);
    this.chatButton.setAttribute('aria-pressed', String(open));
    this.unread.setOpen(open);
    this.refreshBadge();
    if (open) this.panel.focus();
  }

  /** Call before the JoinAccepted's participants are passed to participant(). */
  joined(selfId: number): void {
    this.selfId = selfId;
    this.panel.setSelf(selfId);
  }

  /** `live`: a ChatMessage; false for a ChatHistory (on join, or older messages from another node). */
  chat(messages: ChatMessage[], live: boolean): void {
    const added = this.panel.add(messages.map(toEntry));
    this.unread.note(added, this.selfId, live);
    this.refreshBadge();
  }

  reaction(participantId: number, emoji: string): void {
    const tile = this.host.tileElement(participantId);
    if (tile) floatReaction(tile, emoji);
  }

  refused(code: number, message: string, request: number): void {
    if (request === REQUEST_SEND_CHAT) {
      if (code === REFUSED_CHAT_NOT_GRANTED) return this.panel.showError(NOT_ALLOWED.chat + '.');
      this.panel.showError(code === 4429 ? 'You are sending messages too fast. Wait a moment.' : `Not sent: ${message} (${code})`);
    }
  }

  /** The room token's grant to send chat (reading is always allowed). */
  setChatAllowed(allowed: boolean): void {
    this.panel.setSendDenied(allowed ? null : NOT_ALLOWED.chat);
  }

  /** Every participant the page hears of (roster, joined, updated; ours included). */
  participant(participant: Participant): void {
    this.hands.set(toNumber(participant.participantId), toNumber(participant.handRaisedAtUs));
    this.reorder();
  }

  left(participantId: number): void {
    this.hands.delete(participantId);
    this.reorder();
  }

  /** 1 for the first hand up, 2 for the next...; undefined when the hand is down. */
  handPosition(participantId: number): number | undefined {
    const at = this.order.indexOf(participantId);
    return at < 0 ? undefined : at + 1;
  }

  /** Puts the hand badges on the tiles (call after tiles come and go). */
  paintTiles(): void {
    for (const tile of document.querySelectorAll<HTMLElement>('.tile .tile-hand')) tile.remove();
    this.order.forEach((id, index) => {
      const tile = this.host.tileElement(id);
      if (!tile) return;
      const badge = el('span', 'tile-hand');
      badge.dataset.testid = 'tile-hand';
      badge.innerHTML = icons.hand;
      badge.append(el('span', 'tile-hand-order', String(index + 1)));
      badge.title = `Hand raised (${ordinal(index + 1)})`;
      badge.setAttribute('role', 'img');
      badge.setAttribute('aria-label', badge.title);
      tile.append(badge);
    });
  }

  private reorder(): void {
    this.order = raisedHandOrder([...this.hands].map(([id, raisedAtUs]) => ({ id, raisedAtUs })));
    this.refreshHandButton();
    this.paintTiles();
  }

  private get handUp(): boolean {
    return this.selfId !== null && (this.hands.get(this.selfId) ?? 0) > 0;
  }

  /** Raises our hand, or lowers it (the hand button, the reactions menu, the shortcut). */
  toggleHand(): void {
    this.host.send({ case: 'raiseHand', value: { raised: !this.handUp } });
  }

  private refreshHandButton(): void {
    const up = this.handUp;
    this.handButton.classList.toggle('active', up);
    this.handButton.title = up ? 'Lower hand' : 'Raise hand';
    this.handButton.setAttribute('aria-label', 'Raise hand'); // one name; aria-pressed says whether it is up
    this.handButton.setAttribute('aria-pressed', String(up));
    this.menuHand.replaceChildren();
    this.menuHand.innerHTML = icons.hand;
    this.menuHand.append(el('span', '', up ? 'Lower hand' : 'Raise hand'));
  }

  private refreshBadge(): void {
    if (this.unread.value > 0) this.chatButton.dataset.count = String(Math.min(this.unread.value, 99));
    else delete this.chatButton.dataset.count;
    this.chatButton.title = this.unread.value > 0 ? `Chat (${this.unread.value} unread)` : 'Chat';
  }

  private setMenuOpen(open: boolean): void {
    this.menu.hidden = !open;
    this.reactButton.classList.toggle('active', open);
    this.reactButton.setAttribute('aria-expanded', String(open));
  }
}

function toEntry(message: ChatMessage): ChatEntry {
  return {
    id: toNumber(message.messageId),
    senderId: toNumber(message.senderParticipantId),
    senderName: message.senderDisplayName,
    sentAtMs: toNumber(message.sentAtMs),
    text: message.text,
  };
}

function ordinal(n: number): string {
  return n === 1 ? 'first' : n === 2 ? 'second' : n === 3 ? 'third' : `number ${n}`;
}
