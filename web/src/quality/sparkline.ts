// Small line graphs of the last 60 s (bitrate, round-trip time) as inline SVG: people read a shape
// faster than a column of numbers. The path math is pure and unit-tested; the element is a thin
// wrapper.

/**
 * SVG path data for `values` (oldest first) in a width x height box, the newest at the right edge
 * and `capacity` samples across, scaled so `max` touches the top. Empty for no values.
 */
export function sparklinePath(values: readonly number[], capacity: number, width: number, height: number, max: number): string {
  if (values.length === 0 || capacity < 2) return '';
  const step = width / (capacity - 1);
  const offset = capacity - values.length;
  const top = max > 0 ? max : 1;
  return values
    .map((value, index) => {
      const x = (offset + index) * step;
      const y = height - (Math.max(0, Math.min(value, top)) / top) * height;
      return `${index === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`;
    })
    .join(' ');
}

/** A "nice" top of scale at or above `value` (1, 2, 5 x 10^n), so axis labels read easily. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 240;
const HEIGHT = 48;

export interface SparklineSeries {
  values: readonly number[];
  /** CSS class of the line (its colour). */
  className: string;
}

/** A graph (an SVG in a box with its scale label) redrawn with draw(); `capacity` samples span its width. */
export class Sparkline {
  readonly element = document.createElement('div');
  private readonly svg: SVGSVGElement = document.createElementNS(SVG_NS, 'svg');
  private readonly maxLabel = document.createElement('span');

  constructor(private readonly capacity: number, label: string, private readonly unit: string) {
    this.element.className = 'sparkline-box';
    this.svg.setAttribute('viewBox', `0 0 ${WIDTH} ${HEIGHT}`);
    this.svg.setAttribute('preserveAspectRatio', 'none');
    this.svg.setAttribute('class', 'sparkline');
    this.svg.setAttribute('role', 'img');
    this.svg.setAttribute('aria-label', label);
    this.maxLabel.className = 'sparkline-max';
    this.element.append(this.svg, this.maxLabel);
  }

  draw(series: SparklineSeries[]): void {
    const max = niceMax(Math.max(0, ...series.flatMap((line) => line.values)));
    this.svg.replaceChildren(
      ...series.map((line) => {
        const path = document.createElementNS(SVG_NS, 'path');
        path.setAttribute('d', sparklinePath(line.values, this.capacity, WIDTH, HEIGHT, max));
        path.setAttribute('class', `sparkline-line ${line.className}`);
        path.setAttribute('vector-effect', 'non-scaling-stroke');
        return path;
      }),
    );
    this.maxLabel.textContent = `${max} ${this.unit}`;
  }
}
