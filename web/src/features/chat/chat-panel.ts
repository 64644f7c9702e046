// The chat side panel: messages with sender and time, links that are safe to click, and the
// compose box. Text is always inserted as text (textContent / text nodes), never as HTML.
import { el, icons } from '../../ui/icons';
import { ChatLog, type ChatEntry } from './chat-log';
import { splitLinks } from './links';

/** The server's limit (limits::kMaxChatTextBytes), checked here so the user sees why at once. */
export const MAX_CHAT_BYTES = 4000;

export class ChatPanel {
  readonly element = el('aside', 'chat-panel');
  private readonly list = el('ol', 'chat-list');
  private readonly empty = el('p', 'chat-empty', 'No messages yet. Say hello!');
  private readonly input = el('textarea', 'chat-input');
  private readonly form = el('form', 'chat-form');
  private readonly error = el('p', 'chat-error');
  private readonly log = new ChatLog();
  private selfId: number | null = null;

  constructor(send: (text: string) => void, close: () => void) {
    this.element.dataset.testid = 'chat-panel';
    this.element.setAttribute('aria-label', 'Chat');
    const header = el('div', 'chat-header');
    const closeButton = el('button', 'icon-btn chat-close');
    closeButton.innerHTML = icons.close;
    closeButton.title = 'Close chat';
    closeButton.setAttribute('aria-label', closeButton.title);
    closeButton.addEventListener('click', close);
    header.append(el('h3', 'panel-title', 'Chat'), closeButton);
    this.list.dataset.testid = 'chat-list';
    this.list.setAttribute('aria-live', 'polite');
    const form = this.form;
    this.input.dataset.testid = 'chat-input';
    this.input.rows = 1;
    this.input.placeholder = 'Message everyone';
    this.input.setAttribute('aria-label', 'Chat message');
    const sendButton = el('button', 'chat-send');
    sendButton.type = 'submit';
    sendButton.dataset.testid = 'chat-send';
    sendButton.innerHTML = icons.send;
    sendButton.title = 'Send';
    sendButton.setAttribute('aria-label', 'Send message');
    this.error.dataset.testid = 'chat-error';
    this.error.setAttribute('role', 'status');
    form.append(this.input, sendButton);
    const submit = () => {
      const text = this.input.value.replace(/\r\n?/g, '\n');
      if (!text.trim()) return;
      if (new TextEncoder().encode(text).length > MAX_CHAT_BYTES) {
        this.showError(`Messages can be at most ${MAX_CHAT_BYTES} bytes.`);
        return;
      }
      this.showError('');
      send(text);
      this.input.value = '';
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
    // Enter sends, Shift+Enter starts a new line (not while an IME is composing).
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submit();
      }
    });
    this.element.append(header, this.empty, this.list, this.error, form);
  }

  /** `denied`: why this participant may not send (the room token's grants); null: it may. */
  setSendDenied(denied: string | null): void {
    this.input.disabled = denied !== null;
    this.input.placeholder = denied ?? 'Message everyone';
    this.input.title = denied ?? '';
    this.form.querySelector('button')?.toggleAttribute('disabled', denied !== null);
  }

  setSelf(selfId: number | null): void {
    this.selfId = selfId;
  }

  focus(): void {
    this.input.focus({ preventScroll: true });
  }

  showError(text: string): void {
    this.error.textContent = text;
  }

  /** Adds messages (live or history); returns those that were new. */
  add(entries: ChatEntry[]): ChatEntry[] {
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const added = this.log.add(entries);
    for (const entry of added) {
      const index = this.log.indexOf(entry.id);
      this.list.insertBefore(this.render(entry), this.list.children[index] ?? null);
    }
    while (this.list.children.length > this.log.entries.length) this.list.firstElementChild?.remove();
    this.empty.hidden = this.log.entries.length > 0;
    if (added.length > 0 && atBottom) this.list.scrollTop = this.list.scrollHeight;
    return added;
  }

  private render(entry: ChatEntry): HTMLElement {
    const item = el('li', 'chat-msg');
    item.dataset.testid = 'chat-message';
    item.dataset.messageId = String(entry.id);
    const self = entry.senderId === this.selfId;
    item.classList.toggle('own', self);
    const meta = el('div', 'chat-meta');
    const sender = el('span', 'chat-sender', self ? 'You' : entry.senderName);
    sender.dir = 'auto';
    const time = el('time', 'chat-time', formatTime(entry.sentAtMs));
    time.dateTime = new Date(entry.sentAtMs).toISOString();
    time.title = new Date(entry.sentAtMs).toLocaleString();
    meta.append(sender, time);
    const text = el('p', 'chat-text');
    text.dir = 'auto';
    text.dataset.testid = 'chat-text';
    for (const segment of splitLinks(entry.text)) {
      if (segment.kind === 'text') {
        text.append(document.createTextNode(segment.text));
      } else {
        const link = el('a', 'chat-link', segment.text);
        link.href = segment.href;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        text.append(link);
      }
    }
    item.append(meta, text);
    return item;
  }
}

function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
