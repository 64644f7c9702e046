// Unit tests of the capability assessment (what is essential, what degrades, which words the user
// reads) and of the frame queue and sample chunker behind the MediaStreamTrackProcessor replacement.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROWSER_ADVICE, assessCapabilities, problemSummary, type CapabilityProbe } from '../../src/capabilities';
import { FrameQueue, SampleChunker } from '../../src/media/frame-queue';

/** Chromium 156 on Debian (shared/docs/browser.md). */
const CHROMIUM: CapabilityProbe = {
  getUserMedia: true,
  videoEncode: { vp9: true, vp8: true, vp9Layers: true, vp8Layers: true },
  videoDecode: { vp9: true, vp8: true, av1: true, h264: true },
  opusEncode: true,
  opusDecode: true,
  videoCapture: 'processor',
  audioCapture: 'processor',
  audioWorklet: true,
  webTransport: true,
  speakerChoice: true,
  screenShare: true,
};

/** Firefox 153 ESR (shared/docs/firefox.md): no processor, no setSinkId. */
const FIREFOX: CapabilityProbe = { ...CHROMIUM, videoCapture: 'element', audioCapture: 'worklet', speakerChoice: false };

test('Chromium: nothing missing, nothing degraded, VP9', () => {
  const report = assessCapabilities(CHROMIUM);
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.degraded, []);
  assert.equal(report.sendCodec, 'vp9');
  assert.equal(problemSummary(report), null);
});

test('Firefox 153: no problem; the replacements and the missing speaker choice are degradations', () => {
  const report = assessCapabilities(FIREFOX);
  assert.deepEqual(report.problems, []);
  assert.equal(report.sendCodec, 'vp9');
  assert.equal(report.degraded.length, 3);
  assert.ok(report.degraded.some((line) => /speaker/.test(line)));
  assert.ok(report.degraded.some((line) => /video element/.test(line)));
  assert.ok(report.degraded.some((line) => /AudioWorklet/.test(line)));
});

test('no way to read camera frames: cannot send video, in words', () => {
  const report = assessCapabilities({ ...FIREFOX, videoCapture: null });
  assert.deepEqual(report.problems, [{ area: 'send-video', message: 'This browser cannot send video: it cannot read pictures from the camera.' }]);
  assert.equal(problemSummary(report), `This browser cannot send video: it cannot read pictures from the camera. ${BROWSER_ADVICE}`);
});

test('no WebCodecs at all: all four directions are reported, each once', () => {
  const report = assessCapabilities({
    ...CHROMIUM,
    videoEncode: { vp9: false, vp8: false, vp9Layers: false, vp8Layers: false },
    videoDecode: { vp9: false, vp8: false, av1: false, h264: false },
    opusEncode: false,
    opusDecode: false,
  });
  assert.deepEqual(report.problems.map((problem) => problem.area), ['send-video', 'send-audio', 'receive-video', 'receive-audio']);
  assert.match(report.problems[0]!.message, /^This browser cannot send video: it has no VP9 or VP8 video encoder/);
  assert.match(report.problems[2]!.message, /no VP9 or VP8 video decoder/);
  assert.equal(report.sendCodec, null);
});

test('a receiver needs both VP9 and VP8 (each sender picks its own)', () => {
  const report = assessCapabilities({ ...CHROMIUM, videoDecode: { vp9: false, vp8: true, av1: true, h264: true } });
  assert.deepEqual(report.problems.map((problem) => problem.message), ["This browser cannot show other people's video: it has no VP9 video decoder (WebCodecs)."]);
});

test('VP8 only encoder: sends VP8; without L1T3 that is a degradation, not a problem', () => {
  const report = assessCapabilities({ ...CHROMIUM, videoEncode: { vp9: false, vp8: true, vp9Layers: false, vp8Layers: false } });
  assert.deepEqual(report.problems, []);
  assert.equal(report.sendCodec, 'vp8');
  assert.ok(report.degraded.some((line) => /temporal layers/.test(line)));
});

test('playout needs an AudioWorklet; capture needs getUserMedia (secure page)', () => {
  assert.deepEqual(assessCapabilities({ ...CHROMIUM, audioWorklet: false }).problems.map((problem) => problem.area), ['receive-audio']);
  const insecure = assessCapabilities({ ...CHROMIUM, getUserMedia: false });
  assert.equal(insecure.problems.length, 1);
  assert.match(insecure.problems[0]!.message, /cannot use your camera or microphone: .*secure \(https\)/);
});

test('no AV1 decoder: only a degradation (browsers never send AV1)', () => {
  const report = assessCapabilities({ ...CHROMIUM, videoDecode: { vp9: true, vp8: true, av1: false, h264: true } });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.degraded, ['No AV1 decoder: video from native clients that send AV1 is not shown.']);
});

test('no WebTransport: WebSocket instead, only a degradation', () => {
  const report = assessCapabilities({ ...CHROMIUM, webTransport: false });
  assert.deepEqual(report.problems, []);
  assert.deepEqual(report.degraded, ['No WebTransport: the call uses a WebSocket connection.']);
});

class Frame {
  closed = false;
  constructor(readonly id: number) {}
  close(): void {
    this.closed = true;
  }
}

test('frame queue: a waiting read gets the next frame; a full queue drops (and closes) the oldest', async () => {
  const queue = new FrameQueue<Frame>(2);
  const waiting = queue.read();
  const first = new Frame(1);
  queue.push(first);
  assert.deepEqual(await waiting, { done: false, value: first });
  const frames = [2, 3, 4].map((id) => new Frame(id));
  for (const frame of frames) queue.push(frame);
  assert.equal(queue.dropped, 1);
  assert.equal(frames[0]!.closed, true);
  assert.equal((await queue.read()).value, frames[1]);
  assert.equal((await queue.read()).value, frames[2]);
});

test('frame queue: end() lets queued frames be read, then done; cancel() closes them', async () => {
  const queue = new FrameQueue<Frame>(4);
  const kept = new Frame(1);
  queue.push(kept);
  queue.end();
  assert.equal((await queue.read()).value, kept);
  assert.deepEqual(await queue.read(), { done: true });
  const late = new Frame(2);
  queue.push(late); // after the end: closed, never delivered
  assert.equal(late.closed, true);

  const other = new FrameQueue<Frame>(4);
  const unread = new Frame(3);
  other.push(unread);
  const pending = new FrameQueue<Frame>(4);
  const waiting = pending.read();
  other.cancel();
  pending.cancel();
  assert.equal(unread.closed, true);
  assert.deepEqual(await other.read(), { done: true });
  assert.deepEqual(await waiting, { done: true });
});

test('sample chunker: 128-sample blocks become 480-sample chunks in order, nothing lost', () => {
  const chunker = new SampleChunker(480);
  const chunks: Float32Array[] = [];
  let next = 0;
  for (let block = 0; block < 15; block++) {
    const samples = Float32Array.from({ length: 128 }, () => next++);
    chunks.push(...chunker.add(samples));
  }
  assert.equal(chunks.length, 4); // 1920 samples
  assert.deepEqual(chunks.map((chunk) => chunk.length), [480, 480, 480, 480]);
  assert.deepEqual([chunks[0]![0], chunks[1]![0], chunks[3]![479]], [0, 480, 1919]);
});
