// End-to-end encryption (docs/PROTOCOL.md §15) with the real server, Chromium and videocall-cli:
//  1. Two browsers in a meeting that requires E2EE (--e2ee-required-meeting): key agreement, the
//     same safety code on both, each decodes the other's video; no frame fails authentication.
//     Screenshots of the padlock with the safety code at desktop and phone size.
//  2. A browser with the passphrase in the link's fragment and `videocall-cli stream
//     --e2ee-passphrase`: each decodes the other (the CLI's `record` with the passphrase decodes
//     the browser's video; ffmpeg reads it without error), while `record` without the passphrase
//     gets frames that ffmpeg cannot decode.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, WEB_DIR, launchBrowser, newParticipant, startServer, vcState, waitJoined, waitRoster } from './harness.mjs';

const CLI_BIN = process.env.VC_CLI_BIN || resolve(WEB_DIR, '..', 'build', 'dev', 'src', 'tools', 'videocall-cli');
const REQUIRED_MEETING = 'e2ee-required';
const PASSPHRASE = 'blue moon over tall grass';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** Joins through the meeting link (with `fragment`, e.g. "#e2ee=..."), as a user opening it would. */
async function joinLink(participant, baseUrl, name, meetingId, fragment = '') {
  await participant.page.goto(`${baseUrl}/meeting/${meetingId}?lowcpu=1${fragment}`);
  await participant.page.getByTestId('name-input').fill(name);
  await participant.page.getByTestId('join-button').click();
}

const e2eeOf = (participant) => participant.page.evaluate(() => window.__vcDebug?.e2ee?.() ?? null);

async function waitDecoded(participant, peerId, frames, timeout = 30_000) {
  await participant.page.waitForFunction(
    ({ id, count }) => (window.__vc.peers[String(id)]?.videoFramesDecoded ?? 0) >= count,
    { id: peerId, count: frames },
    { timeout, polling: 100 },
  );
}

let clisStarted = 0;
const running = new Set();

/** videocall-cli with its output kept as lines; waitLine() resolves on a matching line (an event). */
function startCli(args) {
  if (!existsSync(CLI_BIN)) throw new Error(`videocall-cli not found at ${CLI_BIN}; build it or set VC_CLI_BIN`);
  const proc = spawn(CLI_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logName = `e2ee-cli-${++clisStarted}-${args[0]}.log`;
  const log = createWriteStream(join(RESULTS_DIR, logName));
  const lines = [];
  const waiters = new Set();
  const exited = new Promise((done) => proc.once('close', (code, signal) => done({ code, signal })));
  for (const stream of ['stdout', 'stderr']) {
    createInterface({ input: proc[stream] }).on('line', (line) => {
      lines.push(line);
      log.write(`[${stream}] ${line}\n`);
      for (const waiter of waiters) waiter();
    });
  }
  const cli = {
    proc,
    lines,
    exited,
    waitLine(regex, timeout = 30_000) {
      return new Promise((resolveLine, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${regex} from videocall-cli ${args[0]} within ${timeout} ms; see test-results/${logName}`));
        }, timeout);
        function check() {
          for (const line of lines) {
            const match = regex.exec(line);
            if (match) {
              clearTimeout(timer);
              waiters.delete(check);
              resolveLine(match);
              return;
            }
          }
        }
        waiters.add(check);
        check();
        exited.then(() => check());
      });
    },
    async stop() {
      proc.kill('SIGINT');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      const result = await exited;
      clearTimeout(killer);
      running.delete(cli);
      return result;
    },
  };
  running.add(cli);
  return cli;
}

/** ffmpeg's decode errors for a file ('' when every frame decodes). */
function decodeErrors(file) {
  return new Promise((done) => {
    execFile('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { timeout: 60_000 }, (error, _stdout, stderr) => {
      done(`${stderr}`.trim() || (error ? `exit ${error.code}` : ''));
    });
  });
}

describe('end-to-end encryption', { timeout: 240_000 }, () => {
  let server;
  let browser;
  const contexts = [];

  before(async () => {
    server = await startServer(['--e2ee-required-meeting', REQUIRED_MEETING]);
    browser = await launchBrowser();
  });

  after(async () => {
    for (const cli of running) cli.proc.kill('SIGKILL');
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  test('browser <-> browser in a meeting that requires E2EE: same safety code, video decoded both ways', { timeout: 90_000 }, async (t) => {
    const alice = await newParticipant(browser, 'e2ee-alice');
    const bob = await newParticipant(browser, 'e2ee-bob');
    contexts.push(alice.context, bob.context);
    await joinLink(alice, server.url, 'Alice', REQUIRED_MEETING);
    const aliceId = await waitJoined(alice);
    await joinLink(bob, server.url, 'Bob', REQUIRED_MEETING);
    const bobId = await waitJoined(bob);
    await waitRoster(alice, ['Bob']);
    await waitDecoded(alice, bobId, 30);
    await waitDecoded(bob, aliceId, 30);
    const [a, b] = [await e2eeOf(alice), await e2eeOf(bob)];
    t.diagnostic(`alice ${JSON.stringify(a)}; bob ${JSON.stringify(b)}`);
    assert.equal(a.mode, 'key-agreement');
    assert.equal(b.mode, 'key-agreement');
    assert.match(a.safetyCode, /^\d{5}( \d{5}){5}$/);
    assert.equal(a.safetyCode, b.safetyCode, 'both see the same safety code');
    assert.ok(a.decrypted > 0 && b.decrypted > 0);
    assert.equal(a.authFailed, 0);
    assert.equal(b.authFailed, 0);
    // The padlock shows the code a person compares; look at it at desktop and phone size.
    for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      await alice.page.setViewportSize(viewport);
      const details = alice.page.getByTestId('e2ee-details');
      if (!(await details.isVisible())) await alice.page.getByTestId('e2ee-indicator').click();
      assert.equal((await alice.page.getByTestId('e2ee-safety-code').textContent())?.trim(), a.safetyCode);
      await alice.page.screenshot({ path: join(RESULTS_DIR, `e2ee-padlock-${name}.png`) });
    }
    assert.deepEqual([...alice.uncaught, ...bob.uncaught], []);
    await alice.context.close();
    await bob.context.close();
  });

  test('browser <-> videocall-cli with the passphrase; a recorder without it gets undecodable frames', { timeout: 120_000 }, async (t) => {
    const meeting = `e2ee-pass-${Date.now().toString(36)}`;
    const viewer = await newParticipant(browser, 'e2ee-viewer');
    contexts.push(viewer.context);
    await joinLink(viewer, server.url, 'Browser', meeting, `#e2ee=${encodeURIComponent(PASSPHRASE)}`);
    const viewerId = await waitJoined(viewer);
    const dir = mkdtempSync(join(tmpdir(), 'vc-e2ee-'));
    try {
      const streamer = startCli(['stream', '--server', server.url, '--meeting', meeting, '--name', 'CLI', '--video-source', 'testpattern',
        '--audio-source', 'none', '--fps', '15', '--resolution', '320x180', '--e2ee-passphrase', PASSPHRASE, '--transport', 'websocket']);
      const joined = await streamer.waitLine(/^joined meeting \S+ as participant (\d+)/);
      await streamer.waitLine(/^e2ee on mode=passphrase/);
      const cliId = Number(joined[1]);
      await waitDecoded(viewer, cliId, 20);
      // The keyed recorder takes the passphrase from the environment (never on a command line in ps).
      const recorderEnv = startCliEnv(['record', '--server', server.url, '--meeting', meeting, '--name', 'Keyed', '-o', join(dir, 'keyed'), '--transport', 'websocket'], { VIDEOCALL_E2EE_PASSPHRASE: PASSPHRASE });
      const keyless = startCli(['record', '--server', server.url, '--meeting', meeting, '--name', 'Keyless', '-o', join(dir, 'keyless'), '--transport', 'websocket']);
      await recorderEnv.waitLine(/^started .*-video\.webm$/);
      await keyless.waitLine(/^started .*-video\.webm$/);
      // Frames from both senders reach both recorders before they stop.
      await viewer.page.waitForFunction(() => (window.__vcDebug?.e2ee?.().encrypted ?? 0) > 60, null, { timeout: 30_000, polling: 200 });
      await waitDecoded(viewer, cliId, 60);
      assert.deepEqual(await recorderEnv.stop(), { code: 0, signal: null });
      assert.deepEqual(await keyless.stop(), { code: 0, signal: null });
      assert.deepEqual(await streamer.stop(), { code: 0, signal: null });
      const summary = await recorderEnv.waitLine(/^e2ee e2ee_encrypted=\d+ e2ee_decrypted=(\d+) e2ee_auth_failed=(\d+)/);
      t.diagnostic(`keyed recorder: ${summary[0]}`);
      assert.ok(Number(summary[1]) > 0, 'the keyed recorder decrypted frames');
      assert.equal(Number(summary[2]), 0, 'no frame failed authentication');
      const videos = (sub) => readdirSync(join(dir, sub)).filter((name) => name.endsWith('-video.webm')).map((name) => join(dir, sub, name));
      for (const file of videos('keyed')) assert.equal(await decodeErrors(file), '', `${file} decodes`);
      const opaque = videos('keyless');
      assert.ok(opaque.length >= 1, 'the keyless recorder wrote what it got');
      for (const file of opaque) assert.notEqual(await decodeErrors(file), '', `${file} (ciphertext) must not decode`);
      const e2ee = await e2eeOf(viewer);
      t.diagnostic(`browser ${JSON.stringify(e2ee)}; viewer ${viewerId}`);
      assert.equal(e2ee.mode, 'passphrase');
      assert.equal(e2ee.authFailed, 0);
      assert.deepEqual(viewer.uncaught, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** startCli with extra environment variables. */
function startCliEnv(args, env) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return startCli(args);
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}
