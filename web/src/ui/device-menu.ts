// The small menu button beside the microphone and camera buttons: lists the devices of one or two
// kinds as radio items and switches on choice. Keyboard: Enter/Space opens, arrows move, Escape
// closes and returns focus to the button.
import { el } from './icons';
import { handleMenuKey } from './menu-keys';
import './devices.css';

export interface DeviceMenuSection {
  title: string;
  kind: string;
  devices: Array<{ id: string; name: string }>;
  current: string | null;
  /** Shown instead of the list when there is nothing to choose. */
  empty: string;
}

const caret = '<svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M6 15l6-6 6 6"/></svg>';

export class DeviceMenu {
  readonly element = el('div', 'device-menu');
  private readonly button = el('button', 'ctrl ctrl-caret');
  private readonly popup = el('div', 'device-menu-popup');

  constructor(
    label: string,
    testId: string,
    private readonly sections: () => DeviceMenuSection[],
    private readonly select: (kind: string, id: string) => void,
  ) {
    this.button.innerHTML = caret;
    this.button.title = label;
    this.button.setAttribute('aria-label', label);
    this.button.setAttribute('aria-haspopup', 'menu');
    this.button.setAttribute('aria-expanded', 'false');
    this.button.dataset.testid = testId;
    this.popup.setAttribute('role', 'menu');
    this.popup.setAttribute('aria-label', label);
    this.popup.dataset.testid = `${testId}-popup`;
    this.popup.hidden = true;
    this.button.addEventListener('click', () => (this.popup.hidden ? this.open() : this.close(false)));
    this.popup.addEventListener('keydown', (event) => this.onKey(event));
    this.element.append(this.popup, this.button);
  }

  private readonly onOutside = (event: Event) => {
    if (!this.element.contains(event.target as Node)) this.close(false);
  };

  open(): void {
    this.render();
    this.popup.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', this.onOutside, true);
    const items = this.items();
    (items.find((item) => item.getAttribute('aria-checked') === 'true') ?? items[0])?.focus();
  }

  close(returnFocus: boolean): void {
    if (this.popup.hidden) return;
    this.popup.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', this.onOutside, true);
    if (returnFocus) this.button.focus();
  }

  private render(): void {
    const parts: HTMLElement[] = [];
    for (const section of this.sections()) {
      parts.push(el('div', 'device-menu-title', section.title));
      if (section.devices.length === 0) parts.push(el('div', 'device-menu-empty', section.empty));
      for (const device of section.devices) {
        const item = el('button', 'device-menu-item', device.name);
        item.type = 'button';
        item.tabIndex = -1;
        item.setAttribute('role', 'menuitemradio');
        item.setAttribute('aria-checked', String(device.id === section.current));
        item.dataset.kind = section.kind;
        item.dataset.deviceId = device.id;
        item.addEventListener('click', () => {
          this.close(true);
          this.select(section.kind, device.id);
        });
        parts.push(item);
      }
    }
    this.popup.replaceChildren(...parts);
  }

  private items(): HTMLButtonElement[] {
    return [...this.popup.querySelectorAll<HTMLButtonElement>('.device-menu-item')];
  }

  private onKey(event: KeyboardEvent): void {
    handleMenuKey(event, this.items(), () => this.close(true));
  }
}
