// The self-view picture-in-picture of a 1:1 call: a small tile over a corner of the stage that can
// be dragged (mouse, pen or touch) and snaps to the nearest corner on release, or moved with the
// arrow keys while focused. The corner is remembered for the next call.
import { el } from './icons';

export type Corner = 'top-left' | 'top-right' | 'bottom-left' | 'bottom-right';
const CORNERS: readonly Corner[] = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];
const CORNER_KEY = 'videocall.pipCorner';
/** Pointer travel before a press becomes a drag (a tap or double-click stays one). */
const DRAG_THRESHOLD_PX = 4;

/** The corner whose quadrant holds (x, y) in a box of width x height. */
export function nearestCorner(x: number, y: number, width: number, height: number): Corner {
  return `${y < height / 2 ? 'top' : 'bottom'}-${x < width / 2 ? 'left' : 'right'}` as Corner;
}

/** The corner an arrow key moves to from `corner` (the other coordinate stays). */
export function cornerAfterKey(corner: Corner, key: string): Corner | null {
  const [vertical, horizontal] = corner.split('-') as [string, string];
  if (key === 'ArrowLeft') return `${vertical}-left` as Corner;
  if (key === 'ArrowRight') return `${vertical}-right` as Corner;
  if (key === 'ArrowUp') return `top-${horizontal}` as Corner;
  if (key === 'ArrowDown') return `bottom-${horizontal}` as Corner;
  return null;
}

function savedCorner(): Corner {
  try {
    const saved = localStorage.getItem(CORNER_KEY) as Corner | null;
    return saved && CORNERS.includes(saved) ? saved : 'bottom-right';
  } catch {
    return 'bottom-right';
  }
}

export class SelfPip {
  readonly element = el('div', 'self-pip');
  private corner: Corner = savedCorner();
  private drag: { pointerId: number; startX: number; startY: number; left: number; top: number; moved: boolean } | null = null;

  /** `area`: the element the pip floats over (its offset parent). */
  constructor(private readonly area: HTMLElement) {
    this.element.dataset.testid = 'self-pip';
    this.element.tabIndex = 0;
    this.element.setAttribute('role', 'group');
    this.element.setAttribute('aria-roledescription', 'movable picture-in-picture');
    this.element.setAttribute('aria-label', 'Your video. Drag it, or use the arrow keys, to move it to another corner.');
    this.element.hidden = true;
    this.show(this.corner);
    this.element.addEventListener('pointerdown', (event) => this.onDown(event));
    this.element.addEventListener('pointermove', (event) => this.onMove(event));
    this.element.addEventListener('pointerup', (event) => this.onUp(event));
    this.element.addEventListener('pointercancel', (event) => this.onUp(event));
    this.element.addEventListener('keydown', (event) => {
      if (event.target !== this.element || event.altKey || event.ctrlKey || event.metaKey) return;
      const next = cornerAfterKey(this.corner, event.key);
      if (!next) return;
      event.preventDefault();
      this.moveTo(next);
    });
  }

  get currentCorner(): Corner {
    return this.corner;
  }

  /** Puts `tile` in the pip (or empties it with null). */
  hold(tile: HTMLElement | null): void {
    if (tile === null) {
      this.element.replaceChildren();
      this.element.hidden = true;
      return;
    }
    if (tile.parentElement !== this.element) this.element.replaceChildren(tile);
    this.element.hidden = false;
  }

  moveTo(corner: Corner): void {
    this.corner = corner;
    this.show(corner);
    try {
      localStorage.setItem(CORNER_KEY, corner);
    } catch {
      // private mode: the corner is only kept for this call
    }
  }

  private show(corner: Corner): void {
    this.element.dataset.corner = corner;
    this.element.style.removeProperty('left');
    this.element.style.removeProperty('top');
    this.element.classList.remove('dragging');
  }

  private onDown(event: PointerEvent): void {
    if (event.button !== 0 || (event.target as HTMLElement).closest('button')) return;
    const box = this.element.getBoundingClientRect();
    const area = this.area.getBoundingClientRect();
    this.drag = { pointerId: event.pointerId, startX: event.clientX, startY: event.clientY, left: box.left - area.left, top: box.top - area.top, moved: false };
    this.element.setPointerCapture(event.pointerId);
  }

  private onMove(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag || event.pointerId !== drag.pointerId) return;
    const dx = event.clientX - drag.startX;
    const dy = event.clientY - drag.startY;
    if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
    if (!drag.moved) {
      drag.moved = true;
      this.element.classList.add('dragging');
      delete this.element.dataset.corner; // placed by left/top alone while it follows the pointer
    }
    // Kept inside the area while it follows the pointer.
    const maxLeft = this.area.clientWidth - this.element.offsetWidth;
    const maxTop = this.area.clientHeight - this.element.offsetHeight;
    this.element.style.left = `${Math.max(0, Math.min(maxLeft, drag.left + dx))}px`;
    this.element.style.top = `${Math.max(0, Math.min(maxTop, drag.top + dy))}px`;
  }

  private onUp(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag || event.pointerId !== drag.pointerId) return;
    this.drag = null;
    if (this.element.hasPointerCapture(event.pointerId)) this.element.releasePointerCapture(event.pointerId);
    if (!drag.moved) return;
    const box = this.element.getBoundingClientRect();
    const area = this.area.getBoundingClientRect();
    const centerX = box.left + box.width / 2 - area.left;
    const centerY = box.top + box.height / 2 - area.top;
    this.moveTo(nearestCorner(centerX, centerY, area.width, area.height));
  }
}
