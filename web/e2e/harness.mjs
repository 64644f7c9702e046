// Shared helpers for the browser end-to-end tests: start the real videocall-server, launch
// Debian's Chromium through playwright-core, and create participants.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS_DIR = join(WEB_DIR, 'test-results');
mkdirSync(RESULTS_DIR, { recursive: true });
// node --test runs each test file in its own process: prefix logs with the file so none overwrites another.
const LOG_PREFIX = basename(process.argv[1] ?? 'e2e', '.mjs');
let serversStarted = 0;

const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream=fps=30',
  '--use-fake-ui-for-media-stream',
];

/** Starts videocall-server on a free port and resolves once it prints its listening line. */
export async function startServer(extraArgs = []) {
  const bin = process.env.VC_SERVER_BIN || resolve(WEB_DIR, '..', 'build', 'dev', 'src', 'server', 'videocall-server');
  if (!existsSync(bin)) throw new Error(`videocall-server not found at ${bin}; build it or set VC_SERVER_BIN`);
  const webRoot = join(WEB_DIR, 'dist');
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html missing; run npm run build first`);
  const dataDir = mkdtempSync(join(tmpdir(), 'vc-e2e-data-'));
  const proc = spawn(bin, ['--listen', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--web-root', webRoot, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logName = `${LOG_PREFIX}-server-${++serversStarted}.log`;
  const log = createWriteStream(join(RESULTS_DIR, logName));
  proc.stderr.pipe(log);
  const exited = new Promise((done) => proc.once('exit', (code, signal) => done({ code, signal })));
  const url = await new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not print its listening line within 30 s')), 30_000);
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      log.write(`[stdout] ${line}\n`);
      const match = /^videocall-server listening on (https?:\/\/\S+)$/.exec(line.trim());
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited before listening (code ${code}, signal ${signal}); see test-results/${logName}`));
    });
  });
  let stopped = false;
  return {
    url,
    async stop() {
      if (!stopped) {
        stopped = true;
        proc.kill('SIGTERM');
        const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killTimer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

const consoleLog = createWriteStream(join(RESULTS_DIR, `${LOG_PREFIX}-browser-console.log`));

/**
 * One participant = one browser context (own storage, own fake devices). Uncaught page exceptions
 * are collected (tests assert there are none); console output goes to test-results/ for debugging.
 */
export async function newParticipant(browser, label) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const uncaught = [];
  page.on('pageerror', (error) => uncaught.push(`${label}: ${error.stack ?? error.message}`));
  page.on('console', (message) => consoleLog.write(`[${label}] ${message.type()}: ${message.text()}\n`));
  return { page, context, label, uncaught };
}

/** Joins through the home page form, the way a user would. */
export async function joinFromHome(participant, baseUrl, name, meetingId) {
  const { page } = participant;
  await page.goto(`${baseUrl}/?lowcpu=1`);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('meeting-input').fill(meetingId);
  await page.getByTestId('join-button').click();
}

/** Opens a meeting link directly; a new context has no remembered name, so the prompt appears. */
export async function joinFromLink(participant, baseUrl, name, meetingId) {
  const { page } = participant;
  await page.goto(`${baseUrl}/meeting/${meetingId}?lowcpu=1`);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('join-button').click();
}

export async function waitJoined(participant, timeout = 15_000) {
  await participant.page.waitForFunction(() => window.__vc?.selfId != null && window.__vc.connection === 'connected', null, {
    timeout,
  });
  return participant.page.evaluate(() => window.__vc.selfId);
}

/** Waits until the roster (everyone else) is exactly `names`, in any order. */
export async function waitRoster(participant, names, timeout = 15_000) {
  await participant.page.waitForFunction(
    (expected) => {
      const got = (window.__vc?.roster ?? []).map((entry) => entry.name).sort();
      return JSON.stringify(got) === JSON.stringify([...expected].sort());
    },
    names,
    { timeout },
  );
}

export const vcState = (participant) => participant.page.evaluate(() => JSON.parse(JSON.stringify(window.__vc)));
