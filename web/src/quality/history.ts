// Bounded time series for the graphs and the judging windows: a ring of the newest `capacity`
// values, oldest first when read.

export class RingSeries {
  private readonly values: number[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  get length(): number {
    return this.values.length;
  }

  push(value: number): void {
    if (this.values.length < this.capacity) {
      this.values.push(value);
    } else {
      this.values[this.start] = value;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Oldest first. */
  toArray(): number[] {
    return [...this.values.slice(this.start), ...this.values.slice(0, this.start)];
  }

  /** The newest value, or null when empty. */
  last(): number | null {
    if (this.values.length === 0) return null;
    return this.values[(this.start + this.values.length - 1) % this.values.length]!;
  }

  /** Sum of the newest `count` values. */
  sumOfLast(count: number): number {
    const all = this.toArray();
    return all.slice(Math.max(0, all.length - count)).reduce((sum, value) => sum + value, 0);
  }

  clear(): void {
    this.values.length = 0;
    this.start = 0;
  }
}
