// Unit tests of the connection-quality logic: the level of one sample, hysteresis, the 60 s ring,
// loss from sequence gaps, freeze detection and the sparkline path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RingSeries } from '../../src/quality/history';
import { QualityJudge, qualityCauses, qualityLevel, type QualitySample } from '../../src/quality/judge';
import { FreezeDetector } from '../../src/quality/freeze';
import { LossCounter, lossBetween } from '../../src/quality/loss';
import { niceMax, sparklinePath } from '../../src/quality/sparkline';
import {
  LOSS_FAIR,
  LOSS_POOR,
  QUALITY_DEGRADE_SAMPLES,
  QUALITY_RECOVER_SAMPLES,
  RTT_FAIR_MS,
  RTT_POOR_MS,
} from '../../src/quality/thresholds';

const sample = (fields: Partial<QualitySample>): QualitySample => ({
  rttMs: 40,
  loss: 0,
  fps: 30,
  expectedFps: 30,
  freezes: 0,
  ...fields,
});

test('one sample: RTT, loss, frame rate and freezes each move the level', () => {
  assert.equal(qualityLevel(sample({})), 'good');
  assert.equal(qualityLevel(sample({ rttMs: RTT_FAIR_MS - 1 })), 'good');
  assert.equal(qualityLevel(sample({ rttMs: RTT_FAIR_MS })), 'fair');
  assert.equal(qualityLevel(sample({ rttMs: RTT_POOR_MS })), 'poor');
  assert.equal(qualityLevel(sample({ loss: LOSS_FAIR })), 'fair');
  assert.equal(qualityLevel(sample({ loss: LOSS_POOR })), 'poor');
  assert.equal(qualityLevel(sample({ fps: 15 })), 'fair', 'half the expected frame rate');
  assert.equal(qualityLevel(sample({ fps: 5 })), 'poor');
  assert.equal(qualityLevel(sample({ fps: 60 })), 'good', 'more than expected is no better than expected');
  assert.equal(qualityLevel(sample({ freezes: 1 })), 'fair');
  assert.equal(qualityLevel(sample({ freezes: 3 })), 'poor');
  // The worst metric wins.
  assert.equal(qualityLevel(sample({ rttMs: RTT_FAIR_MS, loss: LOSS_POOR })), 'poor');
});

test('causes name what pulls a sample below good, worst first', () => {
  assert.deepEqual(qualityCauses(sample({})), []);
  assert.deepEqual(qualityCauses(sample({ fps: 15, rttMs: RTT_POOR_MS })), ['long delay to the server', 'low frame rate']);
  assert.deepEqual(qualityCauses(sample({ fps: 5, loss: LOSS_FAIR, freezes: 1 })), ['low frame rate', 'lost audio', 'video freezes']);
});

test('metrics that do not apply are ignored', () => {
  assert.equal(qualityLevel({ rttMs: null, loss: null, fps: null, expectedFps: null, freezes: 0 }), 'good');
  assert.equal(qualityLevel(sample({ fps: 0, expectedFps: null })), 'good', 'no video expected');
  assert.equal(qualityLevel(sample({ rttMs: Number.NaN })), 'good');
});

test('hysteresis: one spike does not flip the level; recovery needs a clear margin for a while', () => {
  const judge = new QualityJudge();
  assert.equal(judge.level, null);
  assert.equal(judge.update(sample({})), 'good');
  // A single bad sample is ignored; QUALITY_DEGRADE_SAMPLES in a row are not.
  assert.equal(judge.update(sample({ rttMs: 900 })), 'good');
  assert.equal(judge.update(sample({})), 'good');
  for (let i = 0; i < QUALITY_DEGRADE_SAMPLES - 1; i++) assert.equal(judge.update(sample({ rttMs: 900 })), 'good');
  assert.equal(judge.update(sample({ rttMs: 900 })), 'poor');
  // Just under the poor threshold is not clearly better: stays poor however long it lasts.
  for (let i = 0; i < QUALITY_RECOVER_SAMPLES * 2; i++) assert.equal(judge.update(sample({ rttMs: RTT_POOR_MS - 10 })), 'poor');
  // Clearly fair (under 80 % of the poor threshold), for QUALITY_RECOVER_SAMPLES samples.
  const clearlyFair = RTT_POOR_MS * 0.8 - 10;
  assert.ok(clearlyFair >= RTT_FAIR_MS);
  for (let i = 0; i < QUALITY_RECOVER_SAMPLES - 1; i++) assert.equal(judge.update(sample({ rttMs: clearlyFair })), 'poor');
  assert.equal(judge.update(sample({ rttMs: clearlyFair })), 'fair');
  // An interrupted recovery starts counting again.
  for (let i = 0; i < QUALITY_RECOVER_SAMPLES - 1; i++) judge.update(sample({ rttMs: 20 }));
  assert.equal(judge.update(sample({ rttMs: RTT_FAIR_MS + 10 })), 'fair');
  for (let i = 0; i < QUALITY_RECOVER_SAMPLES - 1; i++) assert.equal(judge.update(sample({ rttMs: 20 })), 'fair');
  assert.equal(judge.update(sample({ rttMs: 20 })), 'good');
  judge.reset();
  assert.equal(judge.level, null);
  assert.equal(judge.update(sample({ loss: 0.5 })), 'poor', 'the first sample after a reset is taken as it is');
});

test('ring series keeps the newest values, oldest first', () => {
  const ring = new RingSeries(3);
  assert.deepEqual(ring.toArray(), []);
  assert.equal(ring.last(), null);
  for (const value of [1, 2, 3, 4, 5]) ring.push(value);
  assert.deepEqual(ring.toArray(), [3, 4, 5]);
  assert.equal(ring.length, 3);
  assert.equal(ring.last(), 5);
  assert.equal(ring.sumOfLast(2), 9);
  ring.clear();
  assert.deepEqual(ring.toArray(), []);
  assert.throws(() => new RingSeries(0), RangeError);
});

test('loss: short sequence gaps are loss, long gaps and restarts are pauses', () => {
  const counter = new LossCounter();
  for (const sequence of [1, 2, 3, 6, 7]) counter.note(sequence); // 4 and 5 missing
  assert.equal(counter.received, 5);
  assert.equal(counter.lost, 2);
  counter.note(500); // a long pause (muted, not forwarded)
  assert.equal(counter.lost, 2);
  counter.note(3); // a new sender session starts over
  counter.note(4);
  assert.equal(counter.lost, 2);
  const wrap = new LossCounter();
  wrap.note(0xffffffff);
  wrap.note(1); // 0 missing across the wrap
  assert.equal(wrap.lost, 1);
  assert.equal(lossBetween({ received: 10, lost: 0 }, { received: 28, lost: 2 }), 0.1);
  assert.equal(lossBetween({ received: 10, lost: 1 }, { received: 10, lost: 1 }), null);
});

test('freezes: a late frame after a steady stream counts, pauses and the warm-up do not', () => {
  const detector = new FreezeDetector();
  let now = 0;
  assert.equal(detector.frame(now), false);
  assert.equal(detector.frame((now += 900)), false, 'no average yet');
  const detector2 = new FreezeDetector();
  now = 0;
  for (let i = 0; i < 30; i++) assert.equal(detector2.frame((now += 33)), false);
  assert.equal(detector2.frame((now += 90)), false, 'under 3 x 33 ms and under 33 + 150 ms');
  assert.equal(detector2.frame((now += 400)), true);
  assert.equal(detector2.freezes, 1);
  assert.equal(detector2.frame((now += 33)), false);
  assert.equal(detector2.frame((now += 8000)), false, 'a pause (camera off) is not a freeze');
  assert.equal(detector2.frame((now += 400)), false, 'the average restarts after a pause');
  assert.equal(detector2.freezes, 1);
});

test('sparkline: the newest value at the right edge, scaled to the top', () => {
  assert.equal(sparklinePath([], 60, 100, 10, 5), '');
  assert.equal(sparklinePath([0, 5], 3, 100, 10, 5), 'M50.0 10.0 L100.0 0.0');
  assert.equal(sparklinePath([10], 2, 100, 10, 5), 'M100.0 0.0', 'values over the top are clipped');
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(7), 10);
  assert.equal(niceMax(1200), 2000);
  assert.equal(niceMax(450), 500);
});
