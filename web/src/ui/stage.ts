// The in-call layout. Grid view: pages of up to 3x3 tiles (4x4 on a large stage) with page buttons.
// Spotlight (speaker view, a pinned tile, or a remote screen share): one large tile and a filmstrip of
// the others. A 1:1 call in grid view: the other person large, our own video a movable
// picture-in-picture (pip.ts). Which tiles are on screen and how tall they are is observed
// (IntersectionObserver, ResizeObserver) and reported through onChange, which drives subscriptions
// and decoders.
import { el, icons } from './icons';
import { SelfPip } from './pip';
import './layout.css';
import type { Tile } from './tile';

export type LayoutMode = 'grid' | 'speaker';

export interface StageEntry {
  tile: Tile;
  /** Participant id of a remote tile (null for self), for the dominant speaker. */
  participantId: number | null;
  source: 'camera' | 'screen';
}

/** A tile's place on screen as the subscriptions and decoders see it. */
export interface TileView {
  visible: boolean;
  large: boolean;
  /** Device pixels. */
  pixelHeight: number;
}

const GAP = 12;
const SMALL_PAGE = 9;
const LARGE_PAGE = 16;
/** A stage at least this big shows 4x4 per page. */
const LARGE_STAGE = { width: 1200, height: 700 };
/** Self-view width in a 1:1 call (px): a share of the stage width, more on a narrow stage. */
const PIP = { share: 0.2, narrowShare: 0.34, narrowStage: 600, minWidth: 112, maxWidth: 280 };

export class Stage {
  readonly element = el('div', 'stage-view');
  private readonly grid = el('div', 'tile-grid');
  private readonly spotlight = el('div', 'spotlight');
  private readonly filmstrip = el('div', 'filmstrip');
  private readonly pager = el('div', 'pager');
  /** Self-view over the stage in a 1:1 call. */
  readonly pip = new SelfPip(this.element);
  private readonly pageLabel = el('span', 'pager-label');
  private readonly prevButton = el('button', 'pager-btn');
  private readonly nextButton = el('button', 'pager-btn');
  private readonly entries = new Map<string, StageEntry>();
  private readonly intersecting = new Map<string, boolean>();
  private readonly heights = new Map<string, number>();
  private readonly resizeObserver: ResizeObserver;
  private readonly intersectionObserver: IntersectionObserver;
  private changeQueued = false;
  mode: LayoutMode = 'grid';
  pinned: string | null = null;
  dominant: number | null = null;
  page = 0;
  pages = 1;
  perPage = SMALL_PAGE;
  large: string | null = null;
  private pageSizeOverride = 0;

  constructor(private readonly onChange: () => void) {
    this.element.dataset.testid = 'tile-grid';
    this.grid.dataset.testid = 'grid-page';
    this.spotlight.dataset.testid = 'spotlight';
    this.filmstrip.dataset.testid = 'filmstrip';
    this.pager.dataset.testid = 'pager';
    this.prevButton.innerHTML = icons.chevronLeft;
    this.prevButton.dataset.testid = 'page-prev';
    this.prevButton.setAttribute('aria-label', 'Previous page');
    this.nextButton.innerHTML = icons.chevronRight;
    this.nextButton.dataset.testid = 'page-next';
    this.nextButton.setAttribute('aria-label', 'Next page');
    this.pageLabel.dataset.testid = 'page-label';
    this.prevButton.addEventListener('click', () => this.setPage(this.page - 1));
    this.nextButton.addEventListener('click', () => this.setPage(this.page + 1));
    this.pager.append(this.prevButton, this.pageLabel, this.nextButton);
    this.element.append(this.grid, this.spotlight, this.filmstrip, this.pager, this.pip.element);
    this.resizeObserver = new ResizeObserver((records) => {
      for (const record of records) {
        const key = (record.target as HTMLElement).dataset.tileKey;
        if (key) this.heights.set(key, Math.round(record.contentRect.height * window.devicePixelRatio));
        else this.layout(); // the stage itself
      }
      this.queueChange();
    });
    this.intersectionObserver = new IntersectionObserver((records) => {
      for (const record of records) {
        const key = (record.target as HTMLElement).dataset.tileKey;
        if (key) this.intersecting.set(key, record.isIntersecting);
      }
      this.queueChange();
    });
    this.resizeObserver.observe(this.element);
  }

  add(entry: StageEntry, first = false): void {
    const key = entry.tile.key;
    if (first) {
      const rest = [...this.entries];
      this.entries.clear();
      this.entries.set(key, entry);
      for (const [k, v] of rest) this.entries.set(k, v);
    } else {
      this.entries.set(key, entry);
    }
    this.resizeObserver.observe(entry.tile.element);
    this.intersectionObserver.observe(entry.tile.element);
    this.render();
  }

  remove(tile: Tile): void {
    if (!this.entries.delete(tile.key)) return;
    this.resizeObserver.unobserve(tile.element);
    this.intersectionObserver.unobserve(tile.element);
    this.intersecting.delete(tile.key);
    this.heights.delete(tile.key);
    tile.element.remove();
    if (this.pinned === tile.key) this.pinned = null;
    this.render();
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  setMode(mode: LayoutMode): void {
    this.mode = mode;
    this.render();
  }

  togglePin(key: string): void {
    this.pinned = this.pinned === key ? null : key;
    this.render();
  }

  setDominant(participantId: number | null): void {
    if (this.dominant === participantId) return;
    this.dominant = participantId;
    this.render();
  }

  setPage(page: number): void {
    this.page = Math.max(0, Math.min(page, this.pages - 1));
    this.render();
  }

  /** Test hook: pages of `tiles` tiles (0 restores the size from the stage). */
  setPageSizeOverride(tiles: number): void {
    this.pageSizeOverride = Math.max(0, Math.floor(tiles));
    this.render();
  }

  /** Where a tile is right now: on screen (attached and in the viewport), large, and its height. */
  view(key: string): TileView {
    const entry = this.entries.get(key);
    const attached = !!entry && entry.tile.element.isConnected;
    return {
      // A tile just attached counts as on screen until the observer says otherwise (a frame later),
      // so its decoder starts with the server's first frames instead of after them.
      visible: attached && this.intersecting.get(key) !== false,
      large: this.large === key,
      pixelHeight: this.heights.get(key) ?? 0,
    };
  }

  /** A rough device-pixel height of a grid tile on a full page (for the Hello defaults). */
  fullPageTileHeight(): number {
    const { width, height } = this.stageSize();
    const perPage = this.pageSizeFor(width, height);
    return Math.round(this.bestTileWidth(perPage, width, height) * (9 / 16) * window.devicePixelRatio);
  }

  /** Grid view of exactly us and one other camera, nothing pinned or shared: the 1:1 layout. */
  private oneToOne(): StageEntry | null {
    if (this.mode !== 'grid' || this.pinned || this.entries.size !== 2) return null;
    const entries = [...this.entries.values()];
    if (!entries.some((entry) => entry.participantId === null)) return null;
    return entries.find((entry) => entry.participantId !== null && entry.source === 'camera') ?? null;
  }

  /** The tile shown large: a pinned tile, else a remote screen, else (speaker view) the speaker. */
  private chooseLarge(): string | null {
    if (this.pinned && this.entries.has(this.pinned)) return this.pinned;
    const screens = [...this.entries.values()].filter((entry) => entry.source === 'screen');
    if (screens.length) return screens[screens.length - 1]!.tile.key;
    const other = this.oneToOne();
    if (other) return other.tile.key;
    if (this.mode !== 'speaker') return null;
    const remote = [...this.entries.values()].filter((entry) => entry.participantId !== null && entry.source === 'camera');
    const speaker = remote.find((entry) => entry.participantId === this.dominant) ?? remote[0];
    return (speaker ?? this.entries.values().next().value)?.tile.key ?? null;
  }

  render(): void {
    this.large = this.chooseLarge();
    const entries = [...this.entries.values()];
    for (const entry of entries) {
      entry.tile.setPinned(entry.tile.key === this.pinned);
      entry.tile.setDominant(entry.participantId !== null && entry.participantId === this.dominant && entry.source === 'camera');
    }
    this.element.classList.toggle('spotlight-mode', this.large !== null);
    const pair = this.oneToOne() !== null;
    this.element.dataset.layout = pair ? 'one-to-one' : this.large !== null ? 'spotlight' : 'grid';
    if (this.large !== null) {
      const large = this.entries.get(this.large)!;
      if (large.tile.element.parentElement !== this.spotlight) this.spotlight.replaceChildren(large.tile.element);
      const others = entries.filter((entry) => entry !== large);
      this.pip.hold(pair ? others[0]!.tile.element : null);
      this.syncChildren(this.filmstrip, pair ? [] : others.map((entry) => entry.tile.element));
      this.grid.replaceChildren();
      this.pager.hidden = true;
      this.pages = 1;
    } else {
      const { width, height } = this.stageSize();
      this.perPage = this.pageSizeFor(width, height);
      this.pages = Math.max(1, Math.ceil(entries.length / this.perPage));
      this.page = Math.min(this.page, this.pages - 1);
      const onPage = entries.slice(this.page * this.perPage, (this.page + 1) * this.perPage);
      this.spotlight.replaceChildren();
      this.filmstrip.replaceChildren();
      this.pip.hold(null);
      this.syncChildren(this.grid, onPage.map((entry) => entry.tile.element));
      this.pager.hidden = this.pages <= 1;
      this.pageLabel.textContent = `${this.page + 1} / ${this.pages}`;
      this.prevButton.disabled = this.page === 0;
      this.nextButton.disabled = this.page >= this.pages - 1;
    }
    this.layout();
    this.queueChange();
  }

  /** Sizes the grid tiles (largest 16:9 that fits) or the spotlight tile. */
  layout(): void {
    if (this.large !== null) {
      const box = this.spotlight.getBoundingClientRect();
      const width = Math.max(0, Math.min(box.width - GAP * 2, ((box.height - GAP * 2) * 16) / 9));
      this.spotlight.style.setProperty('--tile-width', `${Math.floor(width)}px`);
      if (!this.pip.element.hidden) this.pip.element.style.setProperty('--tile-width', `${this.pipWidth()}px`);
      return;
    }
    const count = this.grid.children.length;
    const { width, height } = this.stageSize();
    if (!count || width <= 0 || height <= 0) return;
    this.grid.style.setProperty('--tile-width', `${Math.floor(this.bestTileWidth(count, width, height))}px`);
  }

  /** About a fifth of the stage (a third on a phone), at most a third of its height. */
  private pipWidth(): number {
    const { clientWidth: width, clientHeight: height } = this.element;
    const share = width < PIP.narrowStage ? PIP.narrowShare : PIP.share;
    return Math.round(Math.max(PIP.minWidth, Math.min(PIP.maxWidth, width * share, ((height / 3) * 16) / 9)));
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.intersectionObserver.disconnect();
  }

  private stageSize(): { width: number; height: number } {
    const pagerHeight = this.pages > 1 ? 44 : 0;
    return { width: this.element.clientWidth - GAP * 2, height: this.element.clientHeight - GAP * 2 - pagerHeight };
  }

  private pageSizeFor(width: number, height: number): number {
    if (this.pageSizeOverride > 0) return this.pageSizeOverride;
    return width >= LARGE_STAGE.width && height >= LARGE_STAGE.height ? LARGE_PAGE : SMALL_PAGE;
  }

  private bestTileWidth(count: number, width: number, height: number): number {
    let best = 0;
    for (let cols = 1; cols <= count; cols++) {
      const rows = Math.ceil(count / cols);
      const tileWidth = Math.min((width - GAP * (cols - 1)) / cols, ((height - GAP * (rows - 1)) / rows) * (16 / 9));
      best = Math.max(best, tileWidth);
    }
    return best;
  }

  /** Makes `parent`'s children exactly `children`, in order, moving as few elements as possible. */
  private syncChildren(parent: HTMLElement, children: HTMLElement[]): void {
    children.forEach((child, index) => {
      if (parent.children[index] !== child) parent.insertBefore(child, parent.children[index] ?? null);
    });
    while (parent.children.length > children.length) parent.lastElementChild!.remove();
  }

  /** Observer callbacks and renders come in bursts: report once per burst. */
  private queueChange(): void {
    if (this.changeQueued) return;
    this.changeQueued = true;
    window.setTimeout(() => {
      this.changeQueued = false;
      this.onChange();
    }, 0);
  }
}
