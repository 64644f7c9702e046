#!/usr/bin/env node
// Tiles one browser can show (issue 10): one Chromium page in grid view watches a meeting of N
// videocall-bot publishers (pre-encoded VP8 loops, so the bots cost little) and we count how many of
// the tiles on screen decode at >= 24 fps over a measured interval.
//
// The page subscribes per tile (a paused subscription for tiles off the page, a max height for the
// rest) and decodes only what is on screen; `--page-size` overrides the tiles per page (the stage's
// own choice is 3x3 or 4x4).
//
// Usage (after `make build web`):
//   node bench/browser/tiles.mjs [--publishers 9,16,25] [--fps 30] [--seconds 10] [--page-size 25]
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WEB_DIR, launchBrowser, newParticipant, startServer, waitJoined } from '../../web/e2e/harness.mjs';

const { values: args } = parseArgs({
  options: {
    publishers: { type: 'string', default: '9,16,25' },
    fps: { type: 'string', default: '30' },
    resolution: { type: 'string', default: '320x180' },
    seconds: { type: 'string', default: '10' },
    'page-size': { type: 'string', default: '25' },
    viewport: { type: 'string', default: '1920x1080' },
  },
});
const BOT = process.env.VC_BOT_BIN || resolve(WEB_DIR, '..', 'build', 'dev', 'src', 'tools', 'videocall-bot');
const [width, height] = args.viewport.split('x').map(Number);

async function measure(browser, url, publishers) {
  const meeting = `tiles-${publishers}-${Date.now().toString(36)}`;
  const bot = spawn(BOT, ['--server', url, '--meeting', meeting, '--publishers', String(publishers), '--subscribers', '0',
    '--codec', 'vp8', '--resolution', args.resolution, '--fps', args.fps, '--bitrate-kbps', '200', '--duration', '600', '--no-audio'],
  { stdio: 'ignore' });
  const viewer = await newParticipant(browser, 'viewer');
  try {
    await viewer.page.setViewportSize({ width, height });
    await viewer.page.goto(`${url}/meeting/${meeting}?transport=websocket`);
    await viewer.page.getByTestId('name-input').fill('Viewer');
    await viewer.page.getByTestId('join-button').click();
    await waitJoined(viewer, 30_000);
    await viewer.page.evaluate((tiles) => window.__vcDebug.setGridPageSize(tiles), Number(args['page-size']));
    await viewer.page.waitForFunction((n) => Object.values(window.__vc.tiles).filter((t) => t.visible && t.framesDecoded > 0).length >= n,
      Math.min(publishers, Number(args['page-size']) - 1), { timeout: 60_000, polling: 500 });
    const count = () => viewer.page.evaluate(() => Object.fromEntries(Object.entries(window.__vc.tiles).filter(([, t]) => t.visible).map(([k, t]) => [k, t.framesDecoded])));
    const start = await count();
    const t0 = performance.now();
    await new Promise((done) => setTimeout(done, Number(args.seconds) * 1000)); // the measurement interval
    const end = await count();
    const seconds = (performance.now() - t0) / 1000;
    const rates = Object.keys(end).filter((k) => k in start).map((k) => (end[k] - start[k]) / seconds);
    const state = await viewer.page.evaluate(() => ({ skipped: Object.values(window.__vc.tiles).reduce((n, t) => n + t.skippedT1 + t.skippedT2, 0),
      resets: Object.values(window.__vc.tiles).reduce((n, t) => n + t.decoderResets, 0) }));
    return { publishers, visible: rates.length, smooth: rates.filter((fps) => fps >= 24).length,
      minFps: Math.min(...rates), medianFps: rates.sort((a, b) => a - b)[Math.floor(rates.length / 2)], ...state };
  } finally {
    await viewer.context.close();
    bot.kill('SIGTERM');
  }
}

const server = await startServer();
const browser = await launchBrowser();
const results = [];
try {
  for (const n of args.publishers.split(',').map(Number)) {
    process.stderr.write(`measuring ${n} publishers...\n`);
    results.push(await measure(browser, server.url, n));
  }
} finally {
  await browser.close();
  await server.stop();
}
console.log(`Machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} CPUs; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${new Date().toISOString()}; ` +
  `bots ${args.resolution} VP8 at ${args.fps} fps; viewport ${args.viewport}\n`);
console.log('| publishers | tiles on screen | tiles >= 24 fps | min fps | median fps | frames skipped (T1+T2) | decoder resets |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.publishers} | ${r.visible} | ${r.smooth} | ${r.minFps.toFixed(1)} | ${r.medianFps.toFixed(1)} | ${r.skipped} | ${r.resets} |`);
}
