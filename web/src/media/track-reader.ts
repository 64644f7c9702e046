// Raw frames from a camera, screen or microphone track, behind one interface for the senders and
// the microphone meter. Where MediaStreamTrackProcessor exists (Chromium) it is used as it is;
// elsewhere (Firefox 153, docs: shared/docs/firefox.md) a replacement on the main thread:
// - video: the track plays in a muted, detached <video>; each new picture becomes
//   `new VideoFrame(video)` (I420 without a copy, cheaper than a canvas). While the page is visible
//   requestVideoFrameCallback says when a new picture arrived; in a hidden tab it fires about once
//   a second, so a timer in a dedicated Worker (not throttled) drives capture at the track's rate.
// - audio: MediaStreamAudioSourceNode -> an AudioWorklet that posts 10 ms chunks -> AudioData.
// The choice is made by feature detection only (capabilities.ts describes it to the user).
import workletUrl from './capture-worklet.ts?worker&url';
import { FrameQueue, type FrameReadResult } from './frame-queue';

/** The part of ReadableStreamDefaultReader the senders use. */
export interface TrackReader<T> {
  read(): Promise<FrameReadResult<T>>;
  cancel(): Promise<void>;
}

export type CaptureMethod = 'processor' | 'element' | 'worklet';

export function hasTrackProcessor(): boolean {
  return typeof MediaStreamTrackProcessor !== 'undefined';
}

/** The replacement needs VideoFrame built from a <video> and requestVideoFrameCallback. */
export function hasElementVideoCapture(): boolean {
  return typeof VideoFrame !== 'undefined' && typeof HTMLVideoElement !== 'undefined' && 'requestVideoFrameCallback' in HTMLVideoElement.prototype;
}

export function hasWorkletAudioCapture(): boolean {
  return typeof AudioWorkletNode !== 'undefined' && typeof AudioData !== 'undefined' && typeof AudioContext !== 'undefined';
}

export function videoCaptureMethod(): CaptureMethod | null {
  if (hasTrackProcessor()) return 'processor';
  return hasElementVideoCapture() ? 'element' : null;
}

export function audioCaptureMethod(): CaptureMethod | null {
  if (hasTrackProcessor()) return 'processor';
  return hasWorkletAudioCapture() ? 'worklet' : null;
}

/**
 * Frames of a video track. `maxBufferSize`: frames that may wait for the reader (older ones are
 * dropped). `force`: 'element' uses the replacement even where the processor exists (benchmarks).
 */
export function readVideoTrack(track: MediaStreamTrack, maxBufferSize = 2, force?: 'element'): TrackReader<VideoFrame> {
  if (force !== 'element' && hasTrackProcessor()) {
    return new MediaStreamTrackProcessor<VideoFrame>({ track, maxBufferSize }).readable.getReader() as TrackReader<VideoFrame>;
  }
  if (!hasElementVideoCapture()) throw new Error('This browser cannot read frames from the camera.');
  return new ElementVideoReader(track, maxBufferSize);
}

/** 10 ms AudioData chunks of an audio track (mono: the first channel). */
export function readAudioTrack(track: MediaStreamTrack, force?: 'worklet'): TrackReader<AudioData> {
  if (force !== 'worklet' && hasTrackProcessor()) {
    return new MediaStreamTrackProcessor<AudioData>({ track }).readable.getReader() as TrackReader<AudioData>;
  }
  if (!hasWorkletAudioCapture()) throw new Error('This browser cannot read the microphone.');
  return new WorkletAudioReader(track);
}

/** Microseconds on the page's monotonic clock (the processor's timestamps are on one too). */
const nowUs = () => Math.round(performance.now() * 1000);

/** Posts a tick every `intervalMs` from a Worker, whose timers keep running in hidden tabs. */
class WorkerTicker {
  private static source: string | null = null;
  private readonly worker: Worker;

  constructor(intervalMs: number, onTick: () => void) {
    WorkerTicker.source ??= URL.createObjectURL(
      new Blob(['onmessage = (e) => { setInterval(() => postMessage(0), e.data); };'], { type: 'text/javascript' }),
    );
    this.worker = new Worker(WorkerTicker.source);
    this.worker.onmessage = onTick;
    this.worker.postMessage(intervalMs);
  }

  stop(): void {
    this.worker.terminate();
  }
}

class ElementVideoReader implements TrackReader<VideoFrame> {
  private readonly queue: FrameQueue<VideoFrame>;
  private readonly video = document.createElement('video');
  private readonly intervalMs: number;
  private ticker: WorkerTicker | null = null;
  private lastCaptureMs = -Infinity;
  private lastTimestampUs = -1;
  private callbackId = 0;
  private readonly onVisibility = () => this.followVisibility();
  private readonly onEnded = () => this.finish();

  constructor(private readonly track: MediaStreamTrack, maxBufferSize: number) {
    this.queue = new FrameQueue<VideoFrame>(maxBufferSize);
    this.intervalMs = 1000 / (track.getSettings().frameRate || 30);
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.srcObject = new MediaStream([track]);
    track.addEventListener('ended', this.onEnded);
    document.addEventListener('visibilitychange', this.onVisibility);
    this.video.play().catch(() => {}); // muted playback is always allowed; a failure shows as no frames
    this.callbackId = this.video.requestVideoFrameCallback(() => this.onVideoFrame());
    this.followVisibility();
  }

  read(): Promise<FrameReadResult<VideoFrame>> {
    return this.queue.read();
  }

  async cancel(): Promise<void> {
    this.finish();
  }

  /** A new picture is on the element (visible page: exact; hidden page: about once a second). */
  private onVideoFrame(): void {
    if (this.queue.ended) return;
    this.capture();
    this.callbackId = this.video.requestVideoFrameCallback(() => this.onVideoFrame());
  }

  /** Hidden: the worker's ticks drive capture; visible: requestVideoFrameCallback alone. */
  private followVisibility(): void {
    if (document.hidden && !this.ticker && !this.queue.ended) {
      this.ticker = new WorkerTicker(this.intervalMs, () => this.capture());
    } else if (!document.hidden && this.ticker) {
      this.ticker.stop();
      this.ticker = null;
    }
  }

  private capture(): void {
    if (this.queue.ended) return;
    if (this.track.readyState === 'ended') return this.finish();
    const now = performance.now();
    // Both drivers may fire for one picture around a visibility change: keep one.
    if (now - this.lastCaptureMs < this.intervalMs / 2) return;
    if (this.video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || this.video.videoWidth === 0) return;
    let frame: VideoFrame;
    try {
      // The element's clock says nothing about capture time: stamp with the page clock.
      frame = new VideoFrame(this.video, { timestamp: Math.max(nowUs(), this.lastTimestampUs + 1) });
    } catch {
      return; // no picture right now (the element is between sources)
    }
    this.lastCaptureMs = now;
    this.lastTimestampUs = frame.timestamp;
    this.queue.push(frame);
  }

  private finish(): void {
    if (this.queue.ended) return;
    this.queue.cancel();
    this.ticker?.stop();
    this.ticker = null;
    this.video.cancelVideoFrameCallback(this.callbackId);
    this.video.pause();
    this.video.srcObject = null;
    this.track.removeEventListener('ended', this.onEnded);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }
}

/** Every microphone reader of the page shares one AudioContext with the worklet loaded once. */
let captureGraph: { context: AudioContext; ready: Promise<void> } | null = null;
/** Set once a source could not join a 48 kHz context: later graphs run at the device's rate. */
let deviceRateOnly = false;

function sharedCaptureGraph(): { context: AudioContext; ready: Promise<void> } {
  if (!captureGraph || captureGraph.context.state === 'closed') {
    // 48 kHz as the processor delivers and Opus encodes; the browser resamples the microphone.
    const context = new AudioContext(deviceRateOnly ? {} : { sampleRate: 48_000 });
    captureGraph = { context, ready: context.audioWorklet.addModule(workletUrl) };
  }
  return captureGraph;
}

class WorkletAudioReader implements TrackReader<AudioData> {
  /** 100 chunks are a second of audio: more means the page stalled and old audio is worthless. */
  private readonly queue = new FrameQueue<AudioData>(100);
  private source: MediaStreamAudioSourceNode | null = null;
  private node: AudioWorkletNode | null = null;
  private firstUs = 0;
  private samples = 0;
  private readonly onEnded = () => this.finish();

  constructor(private readonly track: MediaStreamTrack) {
    track.addEventListener('ended', this.onEnded);
    void this.start();
  }

  read(): Promise<FrameReadResult<AudioData>> {
    return this.queue.read();
  }

  async cancel(): Promise<void> {
    this.finish();
  }

  private async start(): Promise<void> {
    const graph = sharedCaptureGraph();
    try {
      await graph.ready;
    } catch {
      this.queue.end(); // no worklet: the reader ends at once, as a processor on a dead track would
      return;
    }
    if (this.queue.ended) return;
    const { context } = graph;
    try {
      this.source = context.createMediaStreamSource(new MediaStream([this.track]));
    } catch (error) {
      // Older Firefox refuses a source whose rate differs from the context's (NotSupportedError):
      // a new graph at the device's rate (readers already running keep the old one).
      if (!deviceRateOnly) {
        deviceRateOnly = true;
        captureGraph = null;
        return this.start();
      }
      console.error('microphone cannot be read', error);
      this.queue.end();
      return;
    }
    this.node = new AudioWorkletNode(context, 'vc-capture', { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
    this.node.port.onmessage = (event: MessageEvent<Float32Array<ArrayBuffer>>) => this.onChunk(event.data, context.sampleRate);
    this.source.connect(this.node);
    // The node outputs silence; connected to the destination so that the graph keeps pulling it.
    this.node.connect(context.destination);
    // Autoplay policy: allowed while the page captures the microphone, or after a click.
    if (context.state !== 'running') context.resume().catch(() => {});
  }

  private onChunk(samples: Float32Array<ArrayBuffer>, sampleRate: number): void {
    if (this.queue.ended) return;
    if (this.samples === 0) this.firstUs = nowUs() - Math.round((samples.length * 1e6) / sampleRate);
    // Timestamps follow the sample count, so they advance exactly 10 ms per chunk, like the processor's.
    const timestamp = this.firstUs + Math.round((this.samples * 1e6) / sampleRate);
    this.samples += samples.length;
    this.queue.push(new AudioData({ format: 'f32-planar', sampleRate, numberOfFrames: samples.length, numberOfChannels: 1, timestamp, data: samples }));
  }

  private finish(): void {
    if (this.queue.ended) return;
    this.queue.cancel();
    this.track.removeEventListener('ended', this.onEnded);
    this.node?.port.postMessage('stop');
    this.node?.port.close();
    this.node?.disconnect();
    this.source?.disconnect();
    this.node = null;
    this.source = null;
  }
}
