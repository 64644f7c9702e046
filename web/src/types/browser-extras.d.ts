// APIs Chromium ships that TypeScript's lib.dom does not declare (yet).

/** Reads raw frames from a capture track. Chromium: window only, not in workers. */
declare class MediaStreamTrackProcessor<T extends VideoFrame | AudioData = VideoFrame | AudioData> {
  constructor(init: { track: MediaStreamTrack; maxBufferSize?: number });
  readonly readable: ReadableStream<T>;
}

// AudioWorkletGlobalScope, for src/media/playout-worklet.ts (lib.dom has no audioworklet lib).
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
  constructor(options?: unknown);
}
declare function registerProcessor(
  name: string,
  ctor: new (options?: unknown) => AudioWorkletProcessor & {
    process(inputs: Float32Array[][], outputs: Float32Array[][], params: Record<string, Float32Array>): boolean;
  },
): void;
declare const sampleRate: number;
