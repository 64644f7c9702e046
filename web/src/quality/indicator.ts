// The plain connection indicator: signal bars and one word (Good, Fair, Poor, Reconnecting…), in
// the top bar for our own connection and on each remote tile for what reaches us from that peer.
// Both are buttons that open the connection details.
import { el } from '../ui/icons';
import type { QualityLevel } from './judge';
import './quality.css';

const WORD: Record<QualityLevel, string> = { good: 'Good', fair: 'Fair', poor: 'Poor' };
const BARS: Record<QualityLevel, number> = { good: 3, fair: 2, poor: 1 };

function barsSvg(lit: number): string {
  const bar = (index: number) =>
    `<rect x="${3 + index * 6}" y="${14 - index * 5}" width="4" height="${6 + index * 5}" rx="1" class="${index < lit ? 'lit' : ''}"/>`;
  return `<svg viewBox="0 0 22 22" width="16" height="16" aria-hidden="true">${bar(0)}${bar(1)}${bar(2)}</svg>`;
}

/** 'connected': in the call, not measured yet (the first level comes after two samples). */
export type IndicatorState = QualityLevel | 'reconnecting' | 'connecting' | 'connected';

export class QualityIndicator {
  readonly element = el('button', 'quality');
  private readonly word = el('span', 'quality-word');
  private readonly icon = el('span', 'quality-icon');
  private state: IndicatorState | null = null;

  /** `subjectLabel`: whose connection ("Your connection", "Bob's connection"), for the label. */
  constructor(private subjectLabel: string, compact: boolean, open: () => void) {
    this.element.type = 'button';
    if (compact) this.element.classList.add('quality-compact');
    this.element.append(this.icon, this.word);
    this.element.addEventListener('click', (event) => {
      event.stopPropagation(); // a tile's own click (pin) must not fire
      open();
    });
    this.element.addEventListener('dblclick', (event) => event.stopPropagation());
    this.set('connecting');
  }

  setSubject(label: string): void {
    this.subjectLabel = label;
    if (this.state) this.paint(this.state);
  }

  set(state: IndicatorState): void {
    if (state === this.state) return;
    this.state = state;
    this.paint(state);
  }

  private paint(state: IndicatorState): void {
    this.element.dataset.quality = state;
    const waiting = state === 'reconnecting' || state === 'connecting';
    const word =
      state === 'reconnecting' ? 'Reconnecting…' : state === 'connecting' ? 'Connecting…' : state === 'connected' ? 'Connected' : WORD[state];
    this.icon.innerHTML = waiting ? '<span class="quality-spinner"></span>' : barsSvg(state === 'connected' ? 0 : BARS[state]);
    this.word.textContent = word;
    const label = `${this.subjectLabel}: ${waiting || state === 'connected' ? word : word.toLowerCase()}. Show connection details`;
    this.element.setAttribute('aria-label', label);
    this.element.title = label;
  }
}
