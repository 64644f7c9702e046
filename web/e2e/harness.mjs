// Shared helpers for the browser end-to-end tests: start the real videocall-server, launch
// Debian's Chromium through playwright-core (and Debian's Firefox ESR through puppeteer-core over
// WebDriver BiDi), and create participants.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';

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

function serverBinary() {
  const bin = process.env.VC_SERVER_BIN || resolve(WEB_DIR, '..', 'build', 'dev', 'src', 'server', 'videocall-server');
  if (!existsSync(bin)) throw new Error(`videocall-server not found at ${bin}; build it or set VC_SERVER_BIN`);
  return bin;
}

/**
 * Starts videocall-server and resolves once it prints its listening line. `port` 0 (the default)
 * lets the server pick a free one; nodes that must know each other's URLs beforehand get ports
 * from freePort(). The returned `kill(signal)` ends it abruptly (SIGKILL: a crashed node). A given
 * `dataDir` (the token secret and database) is kept on stop(), so a restart on the same port is the
 * same server to its clients.
 */
export async function startServer(extraArgs = [], { port = 0, label = 'server', dataDir: keptDataDir = null } = {}) {
  const bin = serverBinary();
  const webRoot = join(WEB_DIR, 'dist');
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`${webRoot}/index.html missing; run npm run build first`);
  const dataDir = keptDataDir ?? mkdtempSync(join(tmpdir(), 'vc-e2e-data-'));
  const proc = spawn(bin, ['--listen', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, '--web-root', webRoot,
    // Every browser of the suite joins from loopback, faster than the join rate limit allows.
    '--join-rate-exempt', '127.0.0.1', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logName = `${LOG_PREFIX}-${label}-${++serversStarted}.log`;
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
  let frozen = false;
  return {
    url,
    logName,
    /** Sends `signal` and waits for the process to exit (SIGKILL: no goodbye to anyone). */
    async kill(signal = 'SIGKILL') {
      stopped = true;
      proc.kill(signal);
      await exited;
    },
    /** SIGSTOP: the process stays, its sockets stay open, nothing answers (a hung or unplugged host). */
    freeze() {
      frozen = true;
      proc.kill('SIGSTOP');
    },
    /** SIGCONT after freeze(). */
    thaw() {
      frozen = false;
      proc.kill('SIGCONT');
    },
    async stop() {
      if (!stopped) {
        stopped = true;
        proc.kill(frozen ? 'SIGKILL' : 'SIGTERM');
        const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(killTimer);
      }
      if (!keptDataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A loopback port free for both TCP and UDP right now (the server uses the same number for QUIC). */
export async function freePort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise((done, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: picked } = server.address();
        server.close(() => done(picked));
      });
    });
    const udpFree = await new Promise((done) => {
      const socket = createSocket('udp4');
      socket.once('error', () => done(false));
      socket.bind(port, '127.0.0.1', () => socket.close(() => done(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free loopback port for TCP and UDP');
}

/** Starts /usr/sbin/nats-server on a free loopback port; resolves once it is ready. */
export async function startNats() {
  const port = await freePort();
  const proc = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logName = `${LOG_PREFIX}-nats.log`;
  const log = createWriteStream(join(RESULTS_DIR, logName));
  const exited = new Promise((done) => proc.once('exit', (code, signal) => done({ code, signal })));
  await new Promise((ready, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server not ready within 10 s; see test-results/${logName}`)), 10_000);
    // nats-server logs to stderr.
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        if (line.includes('Server is ready')) {
          clearTimeout(timer);
          ready();
        }
      });
    }
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited (code ${code}, signal ${signal}); see test-results/${logName}`));
    });
  });
  let stopped = false;
  return {
    url: `nats://127.0.0.1:${port}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      proc.kill('SIGTERM');
      const killTimer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killTimer);
    },
  };
}

/**
 * Starts `count` videocall-server nodes joined by `natsUrl`, sharing one room-token secret, each
 * with SQLite in its own data dir. Ports are chosen up front so every node can be given the other
 * nodes' URLs (--peer-url, in node order). Resolves to { nodes: [{url, kill, freeze, thaw, stop}], stop }.
 */
export async function startCluster(natsUrl, count, extraArgs = []) {
  const secretDir = mkdtempSync(join(tmpdir(), 'vc-e2e-secret-'));
  const secretFile = join(secretDir, 'token_secret');
  writeFileSync(secretFile, randomBytes(32).toString('hex'), { mode: 0o600 });
  const ports = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  const nodes = [];
  try {
    // One at a time: a second node racing the first for a port would fail confusingly.
    for (const [index, port] of ports.entries()) {
      const peers = urls.filter((_, other) => other !== index).flatMap((url) => ['--peer-url', url]);
      const args = ['--nats-url', natsUrl, '--token-secret-file', secretFile, ...peers, ...extraArgs];
      nodes.push(await startServer(args, { port, label: `node${String.fromCharCode(65 + index)}` }));
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    rmSync(secretDir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      rmSync(secretDir, { recursive: true, force: true });
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
  retryScreenshots(page);
  const uncaught = [];
  page.on('pageerror', (error) => uncaught.push(`${label}: ${error.stack ?? error.message}`));
  page.on('console', (message) => consoleLog.write(`[${label}] ${message.type()}: ${message.text()}\n`));
  return { page, context, label, uncaught };
}

/**
 * Screenshots are for people to look at, not assertions. Under load, headless Chromium sometimes
 * never produces the frame a capture waits for (a 30 s timeout seen once in a full run, on a page
 * whose assertions had all passed): one more try after 15 s instead of failing the test.
 */
function retryScreenshots(page) {
  const capture = page.screenshot.bind(page);
  page.screenshot = async (options = {}) => {
    try {
      return await capture({ timeout: 15_000, ...options });
    } catch (error) {
      if (error?.name !== 'TimeoutError') throw error;
      return capture(options);
    }
  };
}

/** Joins through the home page form, the way a user would (home, then the pre-join screen). */
export async function joinFromHome(participant, baseUrl, name, meetingId) {
  const { page } = participant;
  await page.goto(`${baseUrl}/?lowcpu=1`);
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('meeting-input').fill(meetingId);
  await page.getByTestId('join-button').click();
  await clickPrejoinJoin(page);
}

/** On the pre-join screen (name already filled in): "Join now". */
export async function clickPrejoinJoin(page) {
  await page.getByTestId('prejoin').getByTestId('join-button').click();
}

/** Opens a meeting link directly: the pre-join screen, whose name field a new context leaves empty. */
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

/**
 * Debian's firefox-esr through puppeteer-core over WebDriver BiDi (Playwright's Firefox driver
 * needs Playwright's patched build). Fake camera and microphone, no permission prompts, autoplay
 * allowed, and a mock audio device: without one headless Firefox has no audio output, its
 * AudioContext stays suspended and nothing is played or captured (shared/docs/firefox.md).
 */
export function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: process.env.VC_FIREFOX_BIN || '/usr/bin/firefox-esr',
    headless: true,
    // 5-10 s idle, 30-50 s on a busy 2-core machine, minutes when it is overloaded (default 30 s).
    timeout: 240_000,
    protocolTimeout: 240_000, // the BiDi session.new alone exceeded the default 180 s at load 30
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'media.autoplay.block-webaudio': false,
      'media.cubeb.force_mock_context': true,
    },
  });
}

/**
 * A participant in its own Firefox context, opened as a window (a background tab is hidden and
 * throttled). It has the same small interface as chromiumDriver() gives a Chromium participant,
 * so one test can drive both browsers.
 */
export async function newFirefoxParticipant(browser, label, viewport = { width: 1280, height: 720 }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage({ type: 'window' });
  await page.setViewport(viewport);
  const uncaught = [];
  page.on('pageerror', (error) => uncaught.push(`${label}: ${error.stack ?? error.message}`));
  page.on('console', (message) => consoleLog.write(`[${label}] ${message.type()}: ${message.text()}\n`));
  const byTestId = (id) => page.locator(`[data-testid="${id}"]`);
  return {
    label,
    browserName: 'firefox',
    page,
    context,
    uncaught,
    goto: (url) => page.goto(url, { timeout: 60_000 }),
    fill: (testId, text) => byTestId(testId).fill(text),
    click: (testId) => byTestId(testId).click(),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitFor: (fn, arg, timeout) => page.waitForFunction(fn, { timeout, polling: 200 }, arg),
    setViewport: (size) => page.setViewport(size),
    screenshot: (path) => page.screenshot({ path }),
    close: () => context.close(),
  };
}

/** The driver interface of newFirefoxParticipant() over a Chromium participant (newParticipant()). */
export function chromiumDriver(participant) {
  const { page, context } = participant;
  return {
    ...participant,
    browserName: 'chromium',
    goto: (url) => page.goto(url, { timeout: 60_000 }),
    fill: (testId, text) => page.getByTestId(testId).fill(text),
    click: (testId) => page.getByTestId(testId).click(),
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    waitFor: (fn, arg, timeout) => page.waitForFunction(fn, arg, { timeout, polling: 200 }),
    setViewport: (size) => page.setViewportSize(size),
    screenshot: (path) => page.screenshot({ path }),
    close: () => context.close(),
  };
}
