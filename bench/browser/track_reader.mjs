#!/usr/bin/env node
// CPU cost of reading camera and microphone frames (web/src/media/track-reader.ts): Chromium's
// native MediaStreamTrackProcessor against the replacement Firefox needs (<video> + VideoFrame for
// video, AudioWorklet -> AudioData for audio), at 640x360, 30 fps, fake devices. Each row opens the
// device, reads and closes every frame for --seconds, and counts the CPU time (utime + stime) of
// the browser's processes over that window; the "open only" rows keep the track open but unread,
// so the difference is the reader's own cost.
//
// Usage (after `npm ci` in web/): node bench/browser/track_reader.mjs [--seconds 10] [--runs 2] [--browsers chromium,firefox]
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { launchBrowser, launchFirefox } from '../../web/e2e/harness.mjs';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, runs: { type: 'string', default: '2' }, browsers: { type: 'string', default: 'chromium,firefox' } } });
const SECONDS = Number(args.seconds);
const RUNS = Number(args.runs);
const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
// vite is web/'s devDependency, not resolvable from bench/.
const { build } = await import(pathToFileURL(createRequire(join(WEB_DIR, 'package.json')).resolve('vite')).href);
const TICKS = 100; // /proc times are in clock ticks (USER_HZ)

const PAGE_SCRIPT = `
import { readAudioTrack, readVideoTrack } from '${join(WEB_DIR, 'src', 'media', 'track-reader.ts')}';
window.runBench = async ({ kind, reader, seconds }) => {
  let hiddenAt = null;
  const constraints = kind === 'video'
    ? { video: { width: { exact: 640 }, height: { exact: 360 }, frameRate: { ideal: 30 } } }
    : { audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } };
  const stream = await navigator.mediaDevices.getUserMedia(constraints);
  const track = stream.getTracks()[0];
  await new Promise((done) => setTimeout(done, 1000)); // the device settles before the window
  window.benchReady = true;
  let frames = 0;
  let width = 0;
  let firstAt = 0;
  if (reader !== 'none') {
    const force = reader === 'processor' ? undefined : reader;
    const source = kind === 'video' ? readVideoTrack(track, 2, force) : readAudioTrack(track, force);
    const stop = Date.now() + seconds * 1000;
    while (Date.now() < stop) {
      const { value, done } = await source.read();
      if (done) break;
      if (frames++ === 0) firstAt = performance.now();
      if (hiddenAt === null && document.hidden) hiddenAt = frames;
      width = value.displayWidth ?? value.numberOfFrames;
      value.close();
    }
    await source.cancel();
  } else {
    await new Promise((done) => setTimeout(done, seconds * 1000));
  }
  track.stop();
  // Rate from the first frame on (an AudioContext and its worklet take a moment to start).
  const elapsed = frames > 1 ? (performance.now() - firstAt) / 1000 : seconds;
  return { frames, perSecond: frames > 1 ? (frames - 1) / elapsed : 0, width, hidden: document.hidden, hiddenAt };
};`;

async function buildPage() {
  const root = mkdtempSync(join(tmpdir(), 'vc-bench-reader-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>track reader bench</title><script type="module" src="./main.ts"></script>');
  writeFileSync(join(root, 'main.ts'), PAGE_SCRIPT);
  await build({ root, configFile: false, logLevel: 'warn', build: { outDir: join(root, 'dist'), target: 'es2022' } });
  return root;
}

function serve(dir) {
  const types = { '.html': 'text/html', '.js': 'text/javascript' };
  const server = createServer((request, response) => {
    const path = join(dir, new URL(request.url, 'http://x').pathname.replace(/\/$/, '/index.html'));
    try {
      const body = readFileSync(path);
      response.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done({ server, url: `http://127.0.0.1:${server.address().port}/` })));
}

/** utime + stime (ticks) of every process descending from this one (the browsers we launched). */
function browserTicks() {
  const parent = new Map();
  const ticks = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // exited meanwhile
    }
  }
  let total = 0;
  for (const [pid, value] of ticks) {
    for (let up = parent.get(pid); up !== undefined && up > 1; up = parent.get(up)) {
      if (up === process.pid) {
        total += value;
        break;
      }
    }
  }
  return total;
}

async function measure(page, run) {
  const result = page.evaluate(run);
  await page.waitForFunction(() => window.benchReady === true, ...(page.getByTestId ? [null, { timeout: 30_000 }] : [{ timeout: 30_000 }]));
  const before = browserTicks();
  const started = Date.now();
  const outcome = await result;
  const cpu = ((browserTicks() - before) / TICKS / ((Date.now() - started) / 1000)) * 100;
  return { ...outcome, cpu };
}

const rows = [];
const root = await buildPage();
const { server, url } = await serve(join(root, 'dist'));
const cases = [
  ['video', 'none'],
  ['video', 'processor'],
  ['video', 'element'],
  ['video', 'element', 'hidden'],
  ['audio', 'none'],
  ['audio', 'processor'],
  ['audio', 'worklet'],
];
try {
  for (const browserName of args.browsers.split(',')) {
    const browser = browserName === 'chromium' ? await launchBrowser() : await launchFirefox();
    try {
      for (const [kind, reader, hidden] of cases) {
        if (browserName === 'firefox' && reader === 'processor') continue; // Firefox 153 has none
        if (browserName === 'chromium' && hidden) continue; // Chromium's processor is not throttled
        for (let run = 0; run < RUNS; run++) {
          const context = browserName === 'chromium' ? await browser.newContext() : await browser.createBrowserContext();
          const page = browserName === 'chromium' ? await context.newPage() : await context.newPage({ type: 'window' });
          await page.goto(url);
          await page.waitForFunction(() => typeof window.runBench === 'function');
          // Hidden: another tab in front of this one (a user who switched tabs).
          const front = hidden ? await context.newPage() : null;
          const result = await measure(page, `window.runBench(${JSON.stringify({ kind, reader, seconds: SECONDS })})`);
          await front?.close();
          rows.push({ browser: browserName, kind, reader: hidden ? `${reader}-hidden` : reader, run, ...result });
          console.error(JSON.stringify(rows.at(-1)));
          await context.close();
        }
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  server.close();
  rmSync(root, { recursive: true, force: true });
}

console.log(`load average at the end: ${loadavg().map((value) => value.toFixed(1)).join(' ')}\n`);
console.log('| browser | track | reader | frames/s (runs) | browser CPU % of one core (runs) |');
console.log('|---|---|---|---|---|');
const keyed = new Map();
for (const row of rows) {
  const key = `${row.browser}|${row.kind}|${row.reader}`;
  if (!keyed.has(key)) keyed.set(key, []);
  keyed.get(key).push(row);
}
for (const [key, group] of keyed) {
  const [browserName, kind, reader] = key.split('|');
  const labels = {
    none: 'open only',
    processor: 'MediaStreamTrackProcessor',
    element: '<video> + VideoFrame',
    'element-hidden': '<video> + VideoFrame, tab hidden (Worker ticks)',
    worklet: 'AudioWorklet → AudioData',
  };
  const label = labels[reader];
  const fps = reader === 'none' ? '–' : group.map((row) => row.perSecond.toFixed(1)).join(' / ');
  console.log(`| ${browserName} | ${kind} | ${label} | ${fps} | ${group.map((row) => row.cpu.toFixed(0)).join(' / ')} |`);
}
