// The "Keyboard shortcuts" dialog (opened with "?" or the top-bar button): lists SHORTCUTS, the
// table the key handler uses, so what it shows is what works.
import { ModalDialog } from './dialog';
import { el } from './icons';
import { SHORTCUTS, chordKeys } from './shortcuts';

export class ShortcutHelp {
  private readonly dialog = new ModalDialog({ title: 'Keyboard shortcuts', testId: 'shortcut-help' });

  constructor(mac: boolean) {
    const table = el('table', 'shortcut-table');
    table.dataset.testid = 'shortcut-table';
    for (const shortcut of SHORTCUTS) {
      const row = el('tr');
      row.dataset.action = shortcut.action;
      const what = el('th', '', shortcut.label);
      what.scope = 'row';
      const keys = el('td');
      const names = chordKeys(shortcut.chord, mac);
      keys.setAttribute('aria-label', names.join(' plus '));
      for (const key of names) keys.append(el('kbd', '', key));
      row.append(what, keys);
      table.append(row);
    }
    const note = el('p', 'shortcut-note', 'Shortcuts with Ctrl or ⌘ also work while you type in the chat; “?” works everywhere else.');
    if (mac) note.textContent = 'Shortcuts with ⌘ also work while you type in the chat; “?” works everywhere else.';
    // The list can outgrow a phone in landscape: the scrolling body is focusable to scroll by keys.
    this.dialog.body.tabIndex = 0;
    this.dialog.body.setAttribute('role', 'region');
    this.dialog.body.setAttribute('aria-label', 'Shortcut list');
    this.dialog.body.append(table, note);
  }

  open(): void {
    this.dialog.open();
  }

  dispose(): void {
    this.dialog.dispose();
  }
}
