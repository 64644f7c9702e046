// E2EE cost per frame on WebCrypto (docs/BENCHMARKS.md "End-to-end encryption"): the web app's
// own frame code (web/src/e2ee), bundled by Vite and run in Chromium (the same WebCrypto as a
// call) and in Node. Usage: node scripts/e2ee-bench.mjs   (after npm ci)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { build } from 'vite';

const webDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = mkdtempSync(join(tmpdir(), 'vc-e2ee-bench-'));
const SIZES = { 'audio 160 B': 160, '360p delta 3.3 KB': 3300, '360p key 25 KB': 25000, '720p delta 10 KB': 10000, '720p key 80 KB': 80000 };

/** Runs in the page and in Node: µs per frame to encrypt and to decrypt each size. */
async function measure(lib, sizes, frames) {
  const { SenderKey, ReceiverKeys } = lib;
  const secret = new Uint8Array(32).fill(0x5a);
  const sender = new SenderKey();
  await sender.install(256, secret);
  const receiver = new ReceiverKeys();
  await receiver.add(42, 256, secret);
  const results = {};
  for (const [name, size] of Object.entries(sizes)) {
    const frame = new Uint8Array(size).fill(0x33);
    const header = (sequence) => ({ kind: 2, trackId: 2, sequence, captureTimeUs: 0n, senderParticipantId: 42n });
    const sealed = [];
    let start = performance.now();
    for (let i = 0; i < frames; i++) sealed.push(await sender.encrypt(header(i), frame));
    const encryptUs = ((performance.now() - start) * 1000) / frames;
    start = performance.now();
    for (let i = 0; i < frames; i++) {
      const { result } = await receiver.decrypt(header(i), sealed[i]);
      if (result !== 'ok') throw new Error(`decrypt ${result}`);
    }
    const decryptUs = ((performance.now() - start) * 1000) / frames;
    results[name] = { encryptUs: Number(encryptUs.toFixed(1)), decryptUs: Number(decryptUs.toFixed(1)) };
  }
  return results;
}

try {
  await build({
    root: webDir,
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, lib: { entry: join(webDir, 'src/e2ee/key-ring.ts'), formats: ['es'], fileName: 'e2ee' }, minify: false },
  });
  const bundle = join(outDir, 'e2ee.js');
  const nodeResults = await measure(await import(pathToFileURL(bundle).href), SIZES, 400);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  const page = await browser.newPage();
  // WebCrypto needs a secure context: a loopback http origin is one.
  const http = createServer((_request, response) => response.end('<html><body></body></html>'));
  await new Promise((done) => http.listen(0, '127.0.0.1', done));
  await page.goto(`http://127.0.0.1:${http.address().port}/`);
  const source = readFileSync(bundle, 'utf8');
  const chromiumResults = await page.evaluate(
    async ({ source, sizes, frames, measureSource }) => {
      const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
      const lib = await import(url);
      const run = new Function(`return (${measureSource})`)();
      return run(lib, sizes, frames);
    },
    { source, sizes: SIZES, frames: 400, measureSource: measure.toString() },
  );
  await browser.close();
  http.close();
  console.log(JSON.stringify({ chromium: chromiumResults, node: nodeResults }, null, 2));
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
