// AudioWorklet side of the microphone reader for browsers without MediaStreamTrackProcessor
// (track-reader.ts): the first input channel, cut into 10 ms chunks, posted to the page.
import { SampleChunker } from './frame-queue';

class CaptureProcessor extends AudioWorkletProcessor {
  private readonly chunker = new SampleChunker(Math.round(sampleRate / 100));
  private stopped = false;

  constructor() {
    super();
    this.port.onmessage = () => (this.stopped = true); // any message: stop (the node is being dropped)
  }

  process(inputs: Float32Array[][]): boolean {
    const channel = inputs[0]?.[0];
    // No channel: the source is not producing (yet); the graph keeps calling.
    if (channel && channel.length > 0) {
      for (const chunk of this.chunker.add(channel)) this.port.postMessage(chunk, [chunk.buffer]);
    }
    return !this.stopped;
  }
}

registerProcessor('vc-capture', CaptureProcessor);
