// Keyboard shortcuts of the meeting page. SHORTCUTS is the one table: the key handler matches
// against it and the help dialog (shortcut-help.ts) lists it, so the two never disagree.
// Chords with a modifier work anywhere, also while typing in the chat (like Meet: Ctrl+D mic,
// Ctrl+E camera, Ctrl+Alt+C chat, Ctrl+Alt+H hand; on a Mac ⌘ for Ctrl and Control for Alt);
// a plain key ("?") only fires while focus is not in a text field.

export type ShortcutAction = 'mic' | 'camera' | 'chat' | 'hand' | 'help';

export interface Chord {
  /** KeyboardEvent.code for letters (layout-independent, unchanged by Alt/Option). */
  code?: string;
  /** KeyboardEvent.key for symbols that depend on the layout (e.g. '?'). */
  key?: string;
  /** Ctrl on Windows/Linux, ⌘ on macOS. */
  mod?: boolean;
  /** Alt on Windows/Linux, Control on macOS (needs mod). */
  second?: boolean;
}

export interface Shortcut {
  action: ShortcutAction;
  /** What it does, as the help dialog says it. */
  label: string;
  chord: Chord;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'mic', label: 'Turn the microphone on or off', chord: { code: 'KeyD', mod: true } },
  { action: 'camera', label: 'Turn the camera on or off', chord: { code: 'KeyE', mod: true } },
  { action: 'chat', label: 'Open or close the chat', chord: { code: 'KeyC', mod: true, second: true } },
  { action: 'hand', label: 'Raise or lower your hand', chord: { code: 'KeyH', mod: true, second: true } },
  { action: 'help', label: 'Show these keyboard shortcuts', chord: { key: '?' } },
];

/** The parts of a KeyboardEvent the matcher reads (a plain object in unit tests). */
export interface KeyInput {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  repeat?: boolean;
  isComposing?: boolean;
}

export function isMacPlatform(platform: string): boolean {
  return /Mac|iPhone|iPad|iPod/i.test(platform);
}

function matches(chord: Chord, input: KeyInput, mac: boolean): boolean {
  const mod = mac ? input.metaKey : input.ctrlKey;
  const second = mac ? input.ctrlKey : input.altKey;
  const other = mac ? input.altKey : input.metaKey; // a modifier no chord uses
  if (other || mod !== !!chord.mod || second !== !!chord.second) return false;
  if (chord.code !== undefined) return input.code === chord.code && !input.shiftKey;
  return input.key === chord.key; // Shift is how '?' is typed on most layouts
}

/**
 * The action a key press asks for, or null. `inTextField`: focus is in an input, textarea or
 * editable element, where plain keys are text and only chords count.
 */
export function matchShortcut(input: KeyInput, mac: boolean, inTextField: boolean, table: readonly Shortcut[] = SHORTCUTS): ShortcutAction | null {
  if (input.repeat || input.isComposing) return null;
  for (const shortcut of table) {
    if (inTextField && !shortcut.chord.mod) continue;
    if (matches(shortcut.chord, input, mac)) return shortcut.action;
  }
  return null;
}

/** The keys as a person reads them: ["Ctrl", "D"] or ["⌘", "D"]; ["?"]. */
export function chordKeys(chord: Chord, mac: boolean): string[] {
  const keys: string[] = [];
  if (chord.mod) keys.push(mac ? '⌘' : 'Ctrl');
  if (chord.second) keys.push(mac ? 'Control' : 'Alt');
  keys.push(chord.code ? chord.code.replace(/^Key/, '') : chord.key ?? '');
  return keys;
}

/** The aria-keyshortcuts value (e.g. "Control+D", "Meta+Control+C", "?"). */
export function ariaKeys(chord: Chord, mac: boolean): string {
  const keys: string[] = [];
  if (chord.mod) keys.push(mac ? 'Meta' : 'Control');
  if (chord.second) keys.push(mac ? 'Control' : 'Alt');
  keys.push(chord.code ? chord.code.replace(/^Key/, '') : chord.key ?? '');
  return keys.join('+');
}

export function shortcutFor(action: ShortcutAction): Shortcut {
  return SHORTCUTS.find((shortcut) => shortcut.action === action)!;
}

function inTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'color', 'file'].includes(target.type);
}

export function currentPlatformIsMac(): boolean {
  const data = (navigator as Navigator & { userAgentData?: { platform?: string } }).userAgentData;
  return isMacPlatform(data?.platform || navigator.platform || '');
}

/** Listens on the document while attached and runs the matched action (the default is prevented). */
export class ShortcutKeys {
  readonly mac = currentPlatformIsMac();
  private readonly onKey = (event: KeyboardEvent) => {
    if (event.defaultPrevented) return;
    const action = matchShortcut(event, this.mac, inTextField(event.composedPath()[0] ?? event.target));
    if (!action) return;
    event.preventDefault();
    this.actions[action]();
  };

  constructor(private readonly actions: Record<ShortcutAction, () => void>) {}

  attach(): void {
    document.addEventListener('keydown', this.onKey);
  }

  detach(): void {
    document.removeEventListener('keydown', this.onKey);
  }
}

/** aria-keyshortcuts for the control that `action` also works (this platform's keys). */
export function keyShortcutAttribute(action: ShortcutAction): string {
  return ariaKeys(shortcutFor(action).chord, currentPlatformIsMac());
}
