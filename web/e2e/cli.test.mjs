// The native CLI (VC_CLI_BIN) and the browser in one meeting on the real videocall-server:
//  1. `videocall-cli stream --video-source testpattern --audio-source tone` -> a headless Chromium
//     participant decodes its video and audio (window.__vc counters) and draws a real picture.
//  2. A Chromium participant (fake camera + mic) -> `videocall-cli record` for ~10 s, stopped with
//     SIGINT: ffprobe reads both WebM files, ffmpeg decodes every frame without error, and the video
//     frame count / audio duration match what the browser itself says it sent in that interval.
// The CLI's error paths (unreachable server, refused token, missing device, bad file) are covered by
// tests/integration/client/client_integration_test.py and are not repeated here.
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { RESULTS_DIR, WEB_DIR, joinFromLink, launchBrowser, newParticipant, startServer, vcState, waitJoined, waitRoster } from './harness.mjs';

const run = promisify(execFile);
const CLI_BIN = process.env.VC_CLI_BIN || resolve(WEB_DIR, '..', 'build', 'dev', 'src', 'tools', 'videocall-cli');
const MIN_VIDEO_FRAMES = 60;
const MIN_AUDIO_FRAMES = 100; // 2 s of 20 ms Opus frames
const RECORD_MS = 10_000;

let clisStarted = 0;
const running = new Set();

/**
 * Spawns videocall-cli with its stdout/stderr kept as lines (and logged to test-results/).
 * waitLine() resolves on the first line (from `from` on) matching a regex, and rejects if the
 * process exits first or the timeout passes, so every wait is for an event.
 */
function startCli(args) {
  if (!existsSync(CLI_BIN)) throw new Error(`videocall-cli not found at ${CLI_BIN}; build it or set VC_CLI_BIN`);
  const proc = spawn(CLI_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logName = `cli-${++clisStarted}-${args[0]}.log`;
  const log = createWriteStream(join(RESULTS_DIR, logName));
  log.write(`$ ${CLI_BIN} ${args.join(' ')}\n`);
  const lines = { stdout: [], stderr: [] };
  const waiters = new Set();
  let exit = null;
  // 'close' comes after the exit and after both pipes ended, i.e. after the last line was read.
  const exited = new Promise((done) =>
    proc.once('close', (code, signal) => {
      exit = { code, signal };
      running.delete(cli);
      log.write(`[exit] code=${code} signal=${signal}\n`);
      for (const waiter of waiters) waiter.check();
      done(exit);
    }),
  );
  for (const stream of ['stdout', 'stderr']) {
    createInterface({ input: proc[stream] }).on('line', (line) => {
      lines[stream].push(line);
      log.write(`[${stream}] ${line}\n`);
      for (const waiter of waiters) waiter.check();
    });
  }
  const cli = {
    proc,
    lines,
    exited,
    logName,
    waitLine(regex, { stream = 'stdout', from = 0, timeout = 20_000 } = {}) {
      return new Promise((resolveLine, reject) => {
        const waiter = {
          check() {
            const list = lines[stream];
            for (let i = from; i < list.length; i++) {
              const match = regex.exec(list[i]);
              if (match) return finish(null, { match, index: i });
            }
            if (exit) finish(new Error(`videocall-cli ${args[0]} exited (${JSON.stringify(exit)}) without ${regex} on ${stream}; see test-results/${logName}`));
          },
        };
        const timer = setTimeout(() => finish(new Error(`no ${regex} on videocall-cli ${args[0]} ${stream} within ${timeout} ms; see test-results/${logName}`)), timeout);
        function finish(error, value) {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (error) reject(error);
          else resolveLine(value);
        }
        waiters.add(waiter);
        waiter.check();
      });
    },
    /** Sends `signal` and waits for the exit (SIGKILL after `timeout`, which then fails the caller's assertions). */
    async stop(signal = 'SIGINT', timeout = 15_000) {
      if (!exit) proc.kill(signal);
      const killTimer = setTimeout(() => proc.kill('SIGKILL'), timeout);
      const result = await exited;
      clearTimeout(killTimer);
      return result;
    },
  };
  running.add(cli);
  return cli;
}

async function ffprobe(...args) {
  const { stdout } = await run('ffprobe', ['-v', 'error', ...args], { timeout: 60_000 });
  return stdout.trim();
}

/** Luma mean/std of the first remote tile's canvas (std ~0 for a blank or solid canvas). */
function remoteCanvasStats() {
  const canvas = document.querySelector('[data-testid="peer-tile"] canvas');
  if (!canvas || !canvas.width || !canvas.height) return null;
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let sum = 0;
  let sumSquares = 0;
  const pixels = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
    sum += luma;
    sumSquares += luma * luma;
  }
  const mean = sum / pixels;
  return { width: canvas.width, height: canvas.height, mean, std: Math.sqrt(Math.max(0, sumSquares / pixels - mean * mean)) };
}

describe('videocall-cli with the browser', { timeout: 120_000 }, () => {
  let server;
  let browser;
  const contexts = [];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    for (const cli of running) cli.proc.kill('SIGKILL');
    await Promise.all([...running].map((cli) => cli.exited));
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  test('the browser decodes videocall-cli stream (test pattern + tone)', { timeout: 45_000 }, async (t) => {
    const meeting = `cli-${Date.now().toString(36)}`;
    const viewer = await newParticipant(browser, 'cli-viewer');
    contexts.push(viewer.context);
    await joinFromLink(viewer, server.url, 'Browser Viewer', meeting);
    await waitJoined(viewer);

    let streamer;
    try {
      streamer = startCli([
        'stream', '--server', server.url, '--meeting', meeting, '--name', 'CLI Pattern',
        '--video-source', 'testpattern', '--audio-source', 'tone', '--fps', '30',
      ]);
      const joined = await streamer.waitLine(/^joined meeting \S+ as participant (\d+) with 1 others over (webtransport|websocket)$/, { stream: 'stderr' });
      const cliId = Number(joined.match[1]);
      await waitRoster(viewer, ['CLI Pattern']);
      const rosterEntry = (await vcState(viewer)).roster.find((entry) => entry.name === 'CLI Pattern');
      assert.equal(rosterEntry.id, cliId, 'the browser sees the id the CLI was given');

      const started = Date.now();
      await viewer.page.waitForFunction(
        ({ id, video, audio }) => {
          const peer = window.__vc.peers[String(id)];
          return peer && peer.videoFramesDecoded >= video && peer.audioFramesDecoded >= audio;
        },
        { id: cliId, video: MIN_VIDEO_FRAMES, audio: MIN_AUDIO_FRAMES },
        { timeout: 15_000, polling: 100 },
      );
      const seconds = (Date.now() - started) / 1000;
      // The tile shows the picture: wait for it to be drawn, then check it is not blank.
      await viewer.page.locator('[data-testid="peer-tile"].show-video').waitFor({ timeout: 10_000 });
      const picture = await viewer.page.evaluate(remoteCanvasStats);
      await viewer.page.screenshot({ path: join(RESULTS_DIR, 'cli-stream-viewer.png') });
      const state = await vcState(viewer);
      const peer = state.peers[String(cliId)];
      t.diagnostic(
        `browser decoded ${peer.videoFramesDecoded} video (${peer.videoCodec} ${peer.videoWidth}x${peer.videoHeight}, ` +
          `${peer.videoKeyframesReceived} keyframes, first frame after ${peer.firstVideoFrameMs?.toFixed(0)} ms) and ` +
          `${peer.audioFramesDecoded} audio frames within ${seconds.toFixed(1)} s of the CLI joining; canvas luma ` +
          `mean ${picture?.mean.toFixed(1)} std ${picture?.std.toFixed(1)}; transport ${state.transport}`,
      );
      assert.equal(peer.videoCodec, 'VP9', 'the CLI streams VP9 by default');
      assert.equal(peer.videoWidth, 640);
      assert.equal(peer.videoHeight, 360);
      assert.equal(peer.videoDecoderResets, 0, 'no decoder errors on the CLI stream');
      assert.ok(picture && picture.std > 10, `remote canvas shows a picture, not a flat colour: ${JSON.stringify(picture)}`);
      assert.equal(state.lastError, null);
      assert.deepEqual(viewer.uncaught, []);

      // Ctrl-C: the CLI leaves cleanly (exit 0), reports what it sent, and the browser sees it go.
      const exit = await streamer.stop('SIGINT');
      assert.deepEqual(exit, { code: 0, signal: null }, `stream exit; see test-results/${streamer.logName}`);
      const sent = await streamer.waitLine(/^sent video_frames=(\d+) audio_frames=(\d+)/, { stream: 'stderr' });
      await waitRoster(viewer, []);
      t.diagnostic(`CLI: ${sent.match[0]}`);
      // Everything the browser decoded was sent by the CLI (sanity bound on the counters).
      assert.ok(Number(sent.match[1]) >= peer.videoFramesDecoded, 'decoded no more video frames than were sent');
      assert.ok(Number(sent.match[2]) >= peer.audioFramesDecoded, 'decoded no more audio frames than were sent');
    } finally {
      // Free the CPU for the next test even when an assertion failed half-way.
      if (streamer) await streamer.stop('SIGKILL', 5_000);
      await viewer.context.close().catch(() => {});
    }
  });

  test('videocall-cli record writes decodable WebM of a browser participant', { timeout: 60_000 }, async (t) => {
    const meeting = `rec-${Date.now().toString(36)}`;
    const publisher = await newParticipant(browser, 'rec-publisher');
    contexts.push(publisher.context);
    await joinFromLink(publisher, server.url, 'Browser Cam', meeting);
    const publisherId = await waitJoined(publisher);
    // Capture and encoding are running before the recorder arrives (it joins mid-stream).
    await publisher.page.waitForFunction(() => window.__vc.sent.videoFrames >= 30 && window.__vc.sent.audioFrames >= 50, null, {
      timeout: 15_000,
      polling: 100,
    });

    const outDir = mkdtempSync(join(tmpdir(), 'vc-e2e-rec-'));
    let passed = false;
    let recorder;
    try {
      recorder = startCli(['record', '--server', server.url, '--meeting', meeting, '-o', outDir]);
      await recorder.waitLine(/^recording meeting \S+ \(1 participants, over (webtransport|websocket)\)$/);
      // The camera sends simulcast: frames sent per encoding (spatial layer) of the camera track.
      const sentNow = async () => ({
        at: performance.now(),
        ...(await publisher.page.evaluate(() => ({
          camera: Object.fromEntries(Object.values(window.__vc.encodings).filter((e) => e.trackId === 2).map((e) => [e.spatialLayer, e.framesSent])),
          audioFrames: window.__vc.sent.audioFrames,
        }))),
      });
      // The files open at the first frame written (video: the first keyframe, requested by the
      // recorder because it joined mid-stream). Sample the browser's counters as each one opens.
      const opened = {};
      await Promise.all(
        ['video', 'audio'].map(async (kind) => {
          const { match } = await recorder.waitLine(new RegExp(`^started (\\S+-${publisherId}-\\S+-${kind}\\.webm)$`));
          opened[kind] = { path: match[1], ...(await sentNow()) };
        }),
      );
      const recordStart = performance.now();
      // The intended recording length: a measured interval, not a synchronisation.
      await new Promise((done) => setTimeout(done, RECORD_MS));
      const stopped = await sentNow();
      const exit = await recorder.stop('SIGINT');
      assert.deepEqual(exit, { code: 0, signal: null }, `record exit; see test-results/${recorder.logName}`);
      const finished = {};
      for (const kind of ['video', 'audio']) {
        const { match } = await recorder.waitLine(new RegExp(`^finished (\\S+-${kind}\\.webm) frames=(\\d+)( sizes=\\S+)?$`));
        assert.equal(match[1], opened[kind].path);
        finished[kind] = Number(match[2]);
      }
      t.diagnostic(`recorded ${((stopped.at - recordStart) / 1000).toFixed(2)} s; files ${basename(opened.video.path)}, ${basename(opened.audio.path)}`);
      assert.match(basename(opened.video.path), /^Browser_Cam-/, 'file named after the participant');

      // Every frame decodes without error: exit 0 (-xerror stops at the first error) and nothing at
      // -v error. -enc_time_base -1 keeps the file's 1 ms time base on the null output: the browser's
      // capture timestamps are monotonic but irregular (fake camera + main-thread jitter, 8..56 ms
      // apart under load), and without it ffmpeg's own re-timing to 1/fps makes two frames collide
      // and the *null muxer* logs "non monotonically increasing dts" -- not a decode error.
      for (const kind of ['video', 'audio']) {
        const { stderr } = await run('ffmpeg', ['-v', 'error', '-xerror', '-i', opened[kind].path, '-enc_time_base', '-1', '-f', 'null', '-'], {
          timeout: 60_000,
        });
        assert.equal(stderr.trim(), '', `${kind} file decodes cleanly`);
      }
      const pts = (await ffprobe('-select_streams', 'v:0', '-show_entries', 'packet=pts', '-of', 'csv=p=0', opened.video.path)).split('\n').map(Number);
      const gaps = pts.slice(1).map((value, i) => value - pts[i]);
      assert.ok(gaps.every((gap) => gap > 0), 'video timestamps strictly increase');
      t.diagnostic(`video frame intervals in the file: ${Math.min(...gaps)}..${Math.max(...gaps)} ms`);
      const probe = JSON.parse(
        await ffprobe('-count_frames', '-show_entries', 'format=format_name,duration:stream=codec_type,codec_name,width,height,nb_read_frames', '-of', 'json', opened.video.path),
      );
      const audioProbe = JSON.parse(
        await ffprobe('-show_entries', 'format=format_name,duration:stream=codec_type,codec_name,channels,sample_rate', '-of', 'json', opened.audio.path),
      );
      const [video] = probe.streams;
      const [audio] = audioProbe.streams;
      assert.match(probe.format.format_name, /webm/);
      assert.match(audioProbe.format.format_name, /webm/);
      assert.equal(video.codec_type, 'video');
      assert.equal(video.codec_name, 'vp9', 'the browser publishes VP9 by default');
      assert.equal(video.width, 640);
      assert.equal(video.height, 360);
      assert.equal(audio.codec_type, 'audio');
      assert.equal(audio.codec_name, 'opus');
      const frames = Number(video.nb_read_frames);
      const videoSeconds = Number(probe.format.duration);
      const audioSeconds = Number(audioProbe.format.duration);

      // What "expected" means here, from the browser's own counters of frames it handed to the
      // transport, sampled when each file opened and when we sent SIGINT (so a slow browser is not
      // blamed on the recorder). Video: the recorder receives one encoding at a time, the server may
      // switch it between encodings at keyframes (its bandwidth estimate starts low), and a late
      // subscriber starts at the layer's last keyframe, replayed from the server's cache (at most
      // kGopCacheFrames = 120 frames). So: the file's frame rate lies within the encodings' rates (a
      // recorder that loses frames falls below), and its duration covers the wall-time since it
      // opened, plus at most the replayed frames.
      const wallVideo = (stopped.at - opened.video.at) / 1000;
      const wallAudio = (stopped.at - opened.audio.at) / 1000;
      const rates = Object.keys(stopped.camera)
        .map((layer) => (stopped.camera[layer] - (opened.video.camera[layer] ?? 0)) / wallVideo)
        .filter((fps) => fps >= 1);
      const [minFps, maxFps] = [Math.min(...rates), Math.max(...rates)];
      const fileFps = (frames - 1) / videoSeconds;
      const replayBoundSeconds = 120 / minFps;
      // Audio: 20 ms Opus frames (web/src/media/audio-sender.ts); the file's duration comes from the
      // frames' capture timestamps, so it is compared with both the sent count and the wall-time.
      const expectedAudioSeconds = (stopped.audioFrames - opened.audio.audioFrames) * 0.02;
      t.diagnostic(
        `video: ${frames} frames in the file (recorder wrote ${finished.video}), ${videoSeconds.toFixed(2)} s, ${fileFps.toFixed(2)} fps; ` +
          `the browser sent ${rates.map((fps) => fps.toFixed(2)).join(' / ')} fps per encoding over ${wallVideo.toFixed(2)} s since the file opened`,
      );
      t.diagnostic(
        `audio: ${audioSeconds.toFixed(2)} s in the file (${finished.audio} frames, ${audio.channels} ch ${audio.sample_rate} Hz); ` +
          `expected ${expectedAudioSeconds.toFixed(2)} s sent by the browser over ${wallAudio.toFixed(2)} s wall-time`,
      );
      const within10 = (got, want, what) => assert.ok(Math.abs(got - want) <= 0.1 * want, `${what}: got ${got}, expected ${want} +-10%`);
      assert.ok(rates.length > 0 && expectedAudioSeconds > 0, 'the browser was sending');
      assert.equal(frames, finished.video, 'ffprobe reads every frame the recorder says it wrote');
      assert.ok(fileFps >= 0.9 * minFps && fileFps <= 1.1 * maxFps, `video frame rate in the file ${fileFps.toFixed(2)} outside the encodings' ${minFps.toFixed(2)}..${maxFps.toFixed(2)} fps`);
      assert.ok(videoSeconds >= 0.9 * wallVideo && videoSeconds <= wallVideo + replayBoundSeconds + 0.5,
        `video duration ${videoSeconds.toFixed(2)} s vs ${wallVideo.toFixed(2)} s since the file opened (+ up to ${replayBoundSeconds.toFixed(2)} s replayed)`);
      within10(audioSeconds, expectedAudioSeconds, 'audio duration vs the browser\'s sent audio');
      within10(audioSeconds, wallAudio, 'audio duration vs wall-time');
      assert.equal((await vcState(publisher)).lastError, null);
      assert.deepEqual(publisher.uncaught, []);
      passed = true;
    } finally {
      if (recorder) await recorder.stop('SIGKILL', 5_000);
      await publisher.context.close().catch(() => {});
      if (passed) rmSync(outDir, { recursive: true, force: true });
      else t.diagnostic(`recordings kept in ${outDir}`);
    }
  });

  // Nobody may listen unseen: a receive-only client (the recorder) is in every roster and the page
  // says so in the top bar and the participant list. Screenshots: desktop 1280x800, phone 390x844.
  test('a receive-only recorder is shown to every participant', { timeout: 45_000 }, async (t) => {
    const meeting = `seen-${Date.now().toString(36)}`;
    const host = await newParticipant(browser, 'seen-host');
    contexts.push(host.context);
    await host.page.setViewportSize({ width: 1280, height: 800 });
    await joinFromLink(host, server.url, 'Ada Host', meeting);
    await waitJoined(host);
    const outDir = mkdtempSync(join(tmpdir(), 'vc-e2e-seen-'));
    const indicator = host.page.getByTestId('receive-only-indicator');
    let recorder;
    try {
      assert.equal(await indicator.isVisible(), false, 'no indicator while nobody receives only');
      recorder = startCli(['record', '--server', server.url, '--meeting', meeting, '--name', 'Night Recorder', '-o', outDir]);
      await recorder.waitLine(/^recording meeting \S+ \(1 participants, over (webtransport|websocket)\)$/);
      await host.page.waitForFunction(() => window.__vc?.receiveOnly?.some((r) => r.name === 'Night Recorder'), null, { timeout: 15_000 });
      await indicator.waitFor({ state: 'visible' });
      assert.equal((await indicator.textContent()).trim(), '1 receiving only');
      assert.match(await indicator.getAttribute('title'), /Night Recorder/);
      const entry = host.page.getByTestId('receive-only-entry');
      assert.match(await entry.textContent(), /Night Recorder.*Receiving only/);
      assert.deepEqual((await vcState(host)).roster, [], 'a receiver gets no tile');
      await host.page.screenshot({ path: join(RESULTS_DIR, 'receive-only-desktop.png') });

      await host.page.setViewportSize({ width: 390, height: 844 });
      // A narrow window closes the participant panel the desktop showed (no click needed).
      await host.page.waitForFunction(() => !document.querySelector('.meeting')?.classList.contains('panel-open'));
      assert.ok(await indicator.isVisible(), 'the indicator stays visible on a phone');
      await host.page.screenshot({ path: join(RESULTS_DIR, 'receive-only-phone.png') });
      await indicator.click(); // opens the participant list
      await entry.waitFor({ state: 'visible' });
      await host.page.screenshot({ path: join(RESULTS_DIR, 'receive-only-phone-panel.png') });

      const exit = await recorder.stop('SIGINT');
      assert.deepEqual(exit, { code: 0, signal: null }, `record exit; see test-results/${recorder.logName}`);
      await indicator.waitFor({ state: 'hidden' });
      assert.deepEqual((await vcState(host)).receiveOnly, []);
      assert.deepEqual(host.uncaught, []);
      t.diagnostic('screenshots: test-results/receive-only-{desktop,phone,phone-panel}.png');
    } finally {
      if (recorder) await recorder.stop('SIGKILL', 5_000);
      await host.context.close().catch(() => {});
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});
