// Keyboard and screen-reader support of the meeting page: the shortcuts (ui/shortcuts.ts) and their
// help dialog, the polite live region that announces joins, leaves and raised hands (bursts said
// once), spoken feedback for what a shortcut did (no button press to hear it from), and Escape in
// the chat panel.
import { LiveRegion, RosterAnnouncer } from '../ui/announcer';
import { ShortcutHelp } from '../ui/shortcut-help';
import { ShortcutKeys } from '../ui/shortcuts';

export interface MeetingA11yHost {
  /** Toggles and says nothing; returns the state after (null: nothing to toggle). */
  toggleMic(): boolean | null;
  toggleCamera(): Promise<boolean | null>;
  /** Our hand before the toggle (the server confirms the change later). */
  toggleHand(): boolean;
  chatOpen(): boolean;
  setChatOpen(open: boolean): void;
  /** The chat panel and its button (Escape in the panel closes it and focuses the button). */
  readonly chatPanel: HTMLElement;
  readonly chatButton: HTMLElement;
}

export class MeetingA11y {
  readonly live = new LiveRegion();
  private readonly roster = new RosterAnnouncer((text) => this.live.say(text));
  private readonly keys: ShortcutKeys;
  private readonly help: ShortcutHelp;

  constructor(private readonly host: MeetingA11yHost) {
    this.keys = new ShortcutKeys({
      mic: () => {
        const on = host.toggleMic();
        if (on !== null) this.live.say(on ? 'Microphone on' : 'Microphone off');
      },
      camera: () =>
        void host.toggleCamera().then((on) => {
          if (on !== null) this.live.say(on ? 'Camera on' : 'Camera off');
        }),
      chat: () => this.setChatOpen(!host.chatOpen()),
      hand: () => this.live.say(host.toggleHand() ? 'Lowering your hand' : 'Raising your hand'),
      help: () => this.showHelp(),
    });
    this.help = new ShortcutHelp(this.keys.mac);
    host.chatPanel.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || event.defaultPrevented) return;
      event.preventDefault();
      this.setChatOpen(false);
    });
  }

  /** The page is in the call: shortcuts work. */
  attach(): void {
    this.keys.attach();
  }

  showHelp(): void {
    this.help.open();
  }

  joined(name: string): void {
    this.roster.note('joined', name);
  }

  left(name: string): void {
    this.roster.note('left', name);
  }

  handRaised(name: string): void {
    this.roster.note('raised their hand', name);
  }

  dispose(): void {
    this.keys.detach();
    this.roster.dispose();
    this.help.dispose();
  }

  /** Closing moves focus from inside the panel back to the chat button (it would be lost). */
  private setChatOpen(open: boolean): void {
    const focusInside = this.host.chatPanel.contains(document.activeElement);
    this.host.setChatOpen(open);
    if (!open && focusInside) this.host.chatButton.focus();
  }
}
