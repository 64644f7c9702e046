// Unit tests of the pre-join and device-switching decisions: stored preferences, which device to
// use, what replaces a vanished one, and the connection verdict.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_PREFERENCES,
  addedDevices,
  deviceName,
  loadPreferences,
  parsePreferences,
  pickDevice,
  replacementFor,
  savePreferences,
} from '../../src/media/device-preferences';
import { levelOf } from '../../src/media/mic-level';
import { judgeConnection, median } from '../../src/prejoin/connection-check';

const device = (deviceId: string, label = '') => ({ deviceId, label });

function memoryStorage(): Pick<Storage, 'getItem' | 'setItem'> & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (key) => data.get(key) ?? null, setItem: (key, value) => void data.set(key, value) };
}

test('preferences: missing, broken or mistyped storage gives the defaults field by field', () => {
  assert.deepEqual(parsePreferences(null), DEFAULT_PREFERENCES);
  assert.deepEqual(parsePreferences('{not json'), DEFAULT_PREFERENCES);
  assert.deepEqual(parsePreferences('"a string"'), DEFAULT_PREFERENCES);
  assert.deepEqual(parsePreferences('{"cameraId": 7, "micId": "", "cameraOn": "no", "micOn": false, "speakerId": "spk"}'), {
    ...DEFAULT_PREFERENCES,
    micOn: false,
    speakerId: 'spk',
  });
});

test('preferences: saving merges with what is stored and round-trips', () => {
  const storage = memoryStorage();
  savePreferences({ cameraId: 'cam-2', micOn: false }, storage);
  savePreferences({ speakerId: 'spk-1' }, storage);
  assert.deepEqual(loadPreferences(storage), { cameraId: 'cam-2', micId: null, speakerId: 'spk-1', cameraOn: true, micOn: false });
});

test('preferences: a storage that throws (private mode) neither breaks loading nor saving', () => {
  const broken = {
    getItem: () => {
      throw new Error('denied');
    },
    setItem: () => {
      throw new Error('denied');
    },
  };
  assert.deepEqual(loadPreferences(broken), DEFAULT_PREFERENCES);
  assert.doesNotThrow(() => savePreferences({ micOn: false }, broken));
  assert.deepEqual(loadPreferences(null), DEFAULT_PREFERENCES);
});

test('pickDevice: the preferred device while listed, else the system default, else the first', () => {
  const mics = [device('default', 'Default - Headset'), device('a', 'Headset'), device('b', 'Built-in')];
  assert.equal(pickDevice(mics, 'b'), 'b');
  assert.equal(pickDevice(mics, 'gone'), 'default');
  assert.equal(pickDevice(mics, null), 'default');
  const cameras = [device('c1', 'FaceTime'), device('c2', 'USB')];
  assert.equal(pickDevice(cameras, 'gone'), 'c1');
  assert.equal(pickDevice([], 'c1'), null);
});

test('replacementFor: nothing while the device is listed; the default when it vanished; null when none is left', () => {
  const cameras = [device('c1'), device('c2')];
  assert.equal(replacementFor(cameras, 'c2'), undefined);
  assert.equal(replacementFor(cameras, null), undefined, 'nothing in use: nothing to replace');
  assert.equal(replacementFor([device('c1')], 'c2'), 'c1');
  assert.equal(replacementFor([device('default'), device('m1')], 'm2'), 'default');
  assert.equal(replacementFor([], 'c2'), null);
  // Without permission the browser hides ids: no judgement can be made.
  assert.equal(replacementFor([device(''), device('')], 'c2'), undefined);
});

test('addedDevices: only newly listed ids count as plugged in', () => {
  assert.deepEqual(addedDevices([device('a')], [device('a'), device('b', 'USB mic')]), [device('b', 'USB mic')]);
  assert.deepEqual(addedDevices([device('a')], [device('')]), []);
});

test('deviceName: the label, else a readable fallback', () => {
  assert.equal(deviceName(device('x', 'USB Camera'), 0, 'camera'), 'USB Camera');
  assert.equal(deviceName(device('x'), 1, 'camera'), 'Camera 2');
  assert.equal(deviceName(device('default'), 0, 'speaker'), 'System default speaker');
});

test('levelOf: silence is 0, full scale is 1, -30 dBFS is half way', () => {
  assert.equal(levelOf(new Float32Array(480)), 0);
  assert.equal(levelOf(new Float32Array(480).fill(1)), 1);
  assert.ok(Math.abs(levelOf(new Float32Array(480).fill(10 ** (-30 / 20))) - 0.5) < 1e-6);
});

test('judgeConnection: plain verdicts from round trip and download rate', () => {
  assert.equal(judgeConnection(false, null, null).verdict, 'offline');
  assert.equal(judgeConnection(true, 20, 20_000).verdict, 'good');
  assert.equal(judgeConnection(true, 20, 20_000).summary, 'Your connection looks good for video.');
  assert.equal(judgeConnection(true, 200, 20_000).verdict, 'fair');
  assert.equal(judgeConnection(true, 20, 1000).verdict, 'fair');
  assert.equal(judgeConnection(true, 400, 20_000).verdict, 'poor');
  assert.equal(judgeConnection(true, 20, 300).verdict, 'poor');
  assert.equal(judgeConnection(true, 20, null).verdict, 'good', 'an unmeasured rate is not held against it');
});

test('median: odd and even counts, empty', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});
