// Unit tests of the sending side's pure decisions (src/media/simulcast.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EncodeLoadGovernor,
  TemporalDropState,
  cameraCapturePlan,
  cameraEncodings,
  screenEncoding,
} from '../../src/media/simulcast';

test('a 720p camera offers 180p, 360p and 720p, lowest first, with the ladder bitrates', () => {
  const specs = cameraEncodings(1280, 720, 3, 30);
  assert.deepEqual(
    specs.map((spec) => [spec.spatialLayer, spec.width, spec.height, spec.bitrate]),
    [
      [0, 320, 180, 150_000],
      [1, 640, 360, 500_000],
      [2, 1280, 720, 1_500_000],
    ],
  );
});

test('the top encoding needs a source that reaches it, and the layer cap', () => {
  assert.equal(cameraEncodings(640, 360, 3, 30).length, 2, '360p source: no upscaled 720p');
  assert.equal(cameraEncodings(1280, 720, 2, 30).length, 2, 'capped at 2');
  assert.equal(cameraEncodings(1280, 720, 1, 30).length, 1);
  assert.equal(cameraEncodings(960, 540, 3, 30).at(-1)!.height, 360);
});

test('encodings keep the source aspect ratio with even sizes', () => {
  const specs = cameraEncodings(640, 480, 3, 30);
  assert.deepEqual(
    specs.map((spec) => [spec.width, spec.height]),
    [
      [240, 180],
      [480, 360],
    ],
  );
});

test('a source below the lowest rung is one encoding at its own size', () => {
  assert.deepEqual(
    cameraEncodings(161, 120, 3, 30).map((spec) => [spec.spatialLayer, spec.width, spec.height]),
    [[0, 160, 120]],
  );
  assert.deepEqual(cameraEncodings(0, 0, 3, 30), []);
});

test('screens are scaled to fit 1920x1080 at 5-15 fps', () => {
  assert.deepEqual(screenEncoding(3840, 2160, 30), { spatialLayer: 0, width: 1920, height: 1080, bitrate: 2_500_000, maxFps: 15 });
  const tall = screenEncoding(1080, 1920, 2);
  assert.equal(tall.height, 1080);
  assert.equal(tall.width, 606);
  assert.equal(tall.maxFps, 5);
});

test('only machines with 4 or more cores capture 720p for three encodings', () => {
  assert.deepEqual(cameraCapturePlan(2), { width: 640, height: 360, maxLayers: 2 });
  assert.deepEqual(cameraCapturePlan(8), { width: 1280, height: 720, maxLayers: 3 });
});

const options = { frameIntervalMs: 33, windowMs: 2000, restoreAfterMs: 20_000 };

/** Feeds one window of `frames` frames; `skips` of them skipped; returns the governor's verdict. */
function window(governor: EncodeLoadGovernor, start: number, frames: number, skips: number, latencyMs: number): number | null {
  for (let i = 0; i < frames; i++) {
    const at = start + (i * options.windowMs) / frames;
    if (i < skips) governor.noteBusySkip(at);
    else governor.noteEncoded(latencyMs, at);
  }
  return governor.evaluate(start + options.windowMs);
}

test('the governor keeps every encoding while encoding keeps up', () => {
  const governor = new EncodeLoadGovernor(3, options);
  for (let t = 0; t < 60_000; t += 2000) assert.equal(window(governor, t, 60, 0, 5), null);
  assert.equal(governor.allowedLayers, 3);
});

test('busy encoders or slow encoding drop the top encoding, never below one', () => {
  const governor = new EncodeLoadGovernor(3, options);
  assert.equal(window(governor, 0, 60, 10, 5), 2, 'a sixth of the frames skipped');
  assert.equal(window(governor, 2000, 60, 0, 40), 1, 'encoding slower than the frame interval');
  assert.equal(window(governor, 4000, 60, 30, 40), null);
  assert.equal(governor.allowedLayers, 1);
  const floored = new EncodeLoadGovernor(3, { ...options, minLayers: 2 });
  assert.equal(window(floored, 0, 60, 30, 40), 2);
  assert.equal(window(floored, 2000, 60, 30, 40), null, 'kept at minLayers');
});

test('a dropped encoding returns after a healthy period, and a relapse doubles the wait', () => {
  const governor = new EncodeLoadGovernor(3, options);
  let t = 0;
  assert.equal(window(governor, t, 60, 10, 5), 2);
  // Healthy windows: back after 20 s of them.
  let restoredAt = null;
  for (t = 2000; t < 40_000 && restoredAt === null; t += 2000) if (window(governor, t, 60, 0, 5) === 3) restoredAt = t;
  assert.ok(restoredAt !== null && restoredAt >= 2000 + 20_000 - 2000, `restored at ${restoredAt}`);
  // Relapse: dropped again, and now it takes about 40 s.
  assert.equal(window(governor, t, 60, 10, 5), 2);
  const relapseAt = t;
  restoredAt = null;
  for (t += 2000; t < relapseAt + 80_000 && restoredAt === null; t += 2000) if (window(governor, t, 60, 0, 5) === 3) restoredAt = t;
  assert.ok(restoredAt !== null && restoredAt - relapseAt >= 40_000, `second restore after ${restoredAt! - relapseAt} ms`);
});

test('middling windows neither drop nor count towards a restore', () => {
  const governor = new EncodeLoadGovernor(2, options);
  assert.equal(window(governor, 0, 60, 10, 5), 1);
  for (let t = 2000; t < 60_000; t += 2000) assert.equal(window(governor, t, 60, 1, 5), null, 'one skip per window is not healthy');
  assert.equal(governor.allowedLayers, 1);
});

test('dropping a top temporal layer frame costs only that frame', () => {
  const drops = new TemporalDropState();
  assert.equal(drops.dropped(2, false), false, 'no keyframe needed');
  for (const layer of [0, 2, 1, 2, 0]) assert.equal(drops.mustDrop(layer, false), false);
});

test('a lost layer-1 frame drops layers 1 and 2 until the next keyframe; layer 0 keeps flowing', () => {
  const drops = new TemporalDropState();
  assert.equal(drops.dropped(1, false), true, 'keyframe needed');
  assert.deepEqual(
    [2, 0, 2, 1, 2, 0].map((layer) => drops.mustDrop(layer, false)),
    [true, false, true, true, true, false],
  );
  assert.equal(drops.mustDrop(0, true), false, 'the keyframe passes');
  assert.equal(drops.mustDrop(2, false), false, 'and everything after it');
});

test('a lost layer-0 frame or keyframe drops everything until the next keyframe', () => {
  for (const [layer, keyframe] of [
    [0, false],
    [2, true],
  ] as const) {
    const drops = new TemporalDropState();
    assert.equal(drops.dropped(layer, keyframe), true);
    assert.deepEqual(
      [0, 1, 2].map((next) => drops.mustDrop(next, false)),
      [true, true, true],
    );
    assert.equal(drops.mustDrop(0, true), false);
  }
});
