// A "⋯" button with a small action menu (the per-participant host menu); keys as ui/menu-keys.ts.
import { el } from '../../ui/icons';
import { handleMenuKey } from '../../ui/menu-keys';

export interface MenuItem {
  label: string;
  testId: string;
  danger?: boolean;
  run(): void;
}

export class MenuButton {
  readonly element = el('div', 'host-menu');
  private readonly button = el('button', 'host-menu-button', '⋯');
  private readonly popup = el('div', 'host-menu-popup');

  constructor(label: string, private readonly items: () => MenuItem[]) {
    this.button.type = 'button';
    this.button.title = label;
    this.button.dataset.testid = 'host-menu-button';
    this.button.setAttribute('aria-label', label);
    this.button.setAttribute('aria-haspopup', 'menu');
    this.button.setAttribute('aria-expanded', 'false');
    this.popup.setAttribute('role', 'menu');
    this.popup.hidden = true;
    this.button.addEventListener('click', (event) => {
      event.stopPropagation();
      if (this.popup.hidden) this.open();
      else this.close(false);
    });
    this.element.addEventListener('dblclick', (event) => event.stopPropagation());
    this.popup.addEventListener('keydown', (event) => this.onKey(event));
    this.element.append(this.button, this.popup);
  }

  private readonly onOutside = (event: Event) => {
    if (!this.element.contains(event.target as Node)) this.close(false);
  };

  private open(): void {
    this.popup.replaceChildren(
      ...this.items().map((item) => {
        const entry = el('button', item.danger ? 'host-menu-item danger' : 'host-menu-item', item.label);
        entry.type = 'button';
        entry.tabIndex = -1;
        entry.dataset.testid = item.testId;
        entry.setAttribute('role', 'menuitem');
        entry.addEventListener('click', (event) => {
          event.stopPropagation();
          this.close(true);
          item.run();
        });
        return entry;
      }),
    );
    this.popup.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', this.onOutside, true);
    this.entries()[0]?.focus();
  }

  private close(returnFocus: boolean): void {
    if (this.popup.hidden) return;
    this.popup.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', this.onOutside, true);
    if (returnFocus && this.button.isConnected) this.button.focus();
  }

  private entries(): HTMLButtonElement[] {
    return [...this.popup.querySelectorAll<HTMLButtonElement>('.host-menu-item')];
  }

  private onKey(event: KeyboardEvent): void {
    handleMenuKey(event, this.entries(), () => this.close(true));
  }
}
