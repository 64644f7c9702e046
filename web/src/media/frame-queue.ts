// A bounded queue of media frames between a push-style capture callback and a pull-style reader,
// with the semantics of MediaStreamTrackProcessor's readable: at most `capacity` frames wait (the
// oldest is closed and dropped when a new one arrives, so a slow reader gets fresh frames rather
// than a growing delay), read() waits for the next frame, and after end() or cancel() it reports
// done. No DOM: unit-tested in test/unit/track-reader.test.ts.

export interface Closable {
  close(): void;
}

export type FrameReadResult<T> = { done: false; value: T } | { done: true; value?: undefined };

export class FrameQueue<T extends Closable> {
  private readonly frames: T[] = [];
  private waiter: ((result: FrameReadResult<T>) => void) | null = null;
  private finished = false;
  /** Frames closed unread because the queue was full. */
  dropped = 0;

  constructor(private readonly capacity: number) {}

  get ended(): boolean {
    return this.finished;
  }

  /** Hands a frame to the reader; the queue owns it from here (closed if dropped or never read). */
  push(frame: T): void {
    if (this.finished) {
      frame.close();
      return;
    }
    if (this.waiter) {
      const deliver = this.waiter;
      this.waiter = null;
      deliver({ done: false, value: frame });
      return;
    }
    this.frames.push(frame);
    while (this.frames.length > Math.max(1, this.capacity)) {
      this.frames.shift()!.close();
      this.dropped++;
    }
  }

  /** The next frame (the caller closes it), or done once the source ended and the queue is empty. */
  read(): Promise<FrameReadResult<T>> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve({ done: false, value: frame });
    if (this.finished) return Promise.resolve({ done: true });
    if (this.waiter) return Promise.reject(new TypeError('only one read() may wait at a time'));
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** The source ended: frames already queued are still read, then done. */
  end(): void {
    this.finished = true;
    if (this.waiter && this.frames.length === 0) {
      const deliver = this.waiter;
      this.waiter = null;
      deliver({ done: true });
    }
  }

  /** The reader gave up: queued frames are closed and every read reports done. */
  cancel(): void {
    for (const frame of this.frames.splice(0)) frame.close();
    this.end();
  }
}

/**
 * Chunks a stream of audio blocks (the audio graph delivers 128 samples at a time) into fixed-size
 * chunks, as MediaStreamTrackProcessor delivers 10 ms AudioData. Returns the completed chunks.
 */
export class SampleChunker {
  private current: Float32Array;
  private filled = 0;

  constructor(private readonly chunkSize: number) {
    this.current = new Float32Array(chunkSize);
  }

  add(block: Float32Array): Float32Array[] {
    const done: Float32Array[] = [];
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(block.length - offset, this.chunkSize - this.filled);
      this.current.set(block.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.chunkSize) {
        done.push(this.current);
        this.current = new Float32Array(this.chunkSize);
        this.filled = 0;
      }
    }
    return done;
  }
}
