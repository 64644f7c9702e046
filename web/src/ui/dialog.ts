// Keeping keyboard focus inside a dialog, and a modal dialog built on it. Reusable:
//
//   const release = trapFocus(container, { onEscape: close });   // Tab / Shift+Tab cycle inside
//   ...                                                          // `container`, Escape calls close
//   release();                                                    // focus goes back to the opener
//
//   const dialog = new ModalDialog({ title: 'Keyboard shortcuts', testId: 'shortcut-help' });
//   dialog.body.append(...);  dialog.open();  // focus moves in, the page behind is inert
//   dialog.close();                           // also Escape, the close button or a backdrop click
//
// ModalDialog uses <dialog>.showModal() (top layer, the rest of the page inert) and adds what the
// browser leaves out: Tab wraps around inside instead of leaving for the browser's own UI, and
// focus returns to whatever had it before the dialog opened.
import { el, icons } from './icons';
import './dialog.css';

const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex], [contenteditable="true"]';

/** Elements in `container` that Tab reaches, in order (visible, enabled, tabindex >= 0). */
export function tabbables(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (element) =>
      element.tabIndex >= 0 &&
      !(element as HTMLButtonElement).disabled &&
      !element.closest('[hidden], [inert]') &&
      element.getClientRects().length > 0,
  );
}

export interface TrapOptions {
  /** Escape pressed inside (the trap does not release itself: call the returned function). */
  onEscape?(): void;
  /** Focus on release; default: the element focused when the trap was set. */
  returnFocusTo?: HTMLElement | null;
  /** Focus first; default: the first tabbable element (or the container itself). */
  initialFocus?: HTMLElement | null;
}

/** Open traps, innermost last: only that one handles keys (a dialog opened from a dialog). */
const traps: HTMLElement[] = [];

/**
 * Keeps Tab and Shift+Tab cycling inside `container` (a modal surface) until the returned function
 * is called, which also returns focus. Keys are watched on the document, so focus that strayed to
 * the page body (a click on plain text) still comes back inside on Tab.
 */
export function trapFocus(container: HTMLElement, options: TrapOptions = {}): () => void {
  const opener = options.returnFocusTo ?? (document.activeElement instanceof HTMLElement ? document.activeElement : null);
  const onKey = (event: KeyboardEvent) => {
    if (traps[traps.length - 1] !== container) return;
    if (event.key === 'Escape' && options.onEscape) {
      event.preventDefault();
      event.stopPropagation();
      options.onEscape();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = tabbables(container);
    if (items.length === 0) {
      event.preventDefault();
      container.focus();
      return;
    }
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    const outside = !(active instanceof Node) || !container.contains(active) || !items.includes(active as HTMLElement);
    if (event.shiftKey && (active === first || outside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || outside)) {
      event.preventDefault();
      first.focus();
    }
  };
  traps.push(container);
  document.addEventListener('keydown', onKey, true);
  if (!container.hasAttribute('tabindex')) container.tabIndex = -1;
  (options.initialFocus ?? tabbables(container)[0] ?? container).focus();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    document.removeEventListener('keydown', onKey, true);
    traps.splice(traps.lastIndexOf(container), 1);
    if (opener?.isConnected) opener.focus();
  };
}

export interface DialogOptions {
  title: string;
  testId: string;
  /** Called after the dialog closed (any way). */
  onClose?(): void;
}

/** A modal dialog with a title, a close button and a body to fill; focus stays inside while open. */
export class ModalDialog {
  readonly element = el('dialog', 'modal');
  readonly body = el('div', 'modal-body');
  private release: (() => void) | null = null;

  constructor(private readonly options: DialogOptions) {
    const titleId = `${options.testId}-title`;
    this.element.dataset.testid = options.testId;
    this.element.setAttribute('aria-labelledby', titleId);
    const header = el('div', 'modal-header');
    const title = el('h2', 'modal-title', options.title);
    title.id = titleId;
    const close = el('button', 'icon-btn modal-close');
    close.type = 'button';
    close.innerHTML = icons.close;
    close.title = 'Close';
    close.setAttribute('aria-label', 'Close');
    close.dataset.testid = `${options.testId}-close`;
    close.addEventListener('click', () => this.close());
    header.append(title, close);
    this.element.append(header, this.body);
    // The browser's own Escape handling would close without returning focus: ours does both.
    this.element.addEventListener('cancel', (event) => {
      event.preventDefault();
      this.close();
    });
    this.element.addEventListener('click', (event) => {
      if (event.target === this.element) this.close(); // the backdrop
    });
  }

  get isOpen(): boolean {
    return this.element.open;
  }

  open(): void {
    if (this.element.open) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!this.element.isConnected) document.body.append(this.element);
    this.element.showModal();
    this.release = trapFocus(this.element, { onEscape: () => this.close(), returnFocusTo: opener });
  }

  close(): void {
    if (!this.element.open) return;
    this.element.close();
    this.release?.();
    this.release = null;
    this.options.onClose?.();
  }

  /** Closes and removes the element (page teardown). */
  dispose(): void {
    this.close();
    this.element.remove();
  }
}
