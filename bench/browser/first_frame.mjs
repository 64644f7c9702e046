#!/usr/bin/env node
// Join -> first remote frame, and capture-to-screen latency, in Chromium against the real server
// (issue 10, "Join and glass-to-glass"). Two participants on loopback: a host publishing its fake
// camera, and a joiner that opens the meeting link, presses Join and waits for the host's video.
//
//  - join -> first frame: performance.now() at the Join click (window.__vc.joinStartedAt) to the
//    first drawn frame of the host's camera (peers[host].firstVideoFrameAt), page load excluded;
//  - capture -> screen: for every frame the joiner draws, Date.now() minus the frame's capture time
//    (the sender's capture_time_us, wall clock; both pages share this machine's clock). This is
//    glass-to-glass without the camera's and the display's own delay (no physical glass here).
//
// End-to-end encryption (issue 11's "join time with E2EE on versus off"): --e2ee off,passphrase,agreement
// measures each mode in turn: passphrase joins through a `#e2ee=` link, agreement joins a meeting the
// server requires E2EE for (X25519 key agreement: the joiner's first frame waits for the host's
// sealed key).
//
// Usage (after `make build web`):
//   node bench/browser/first_frame.mjs [--runs 10] [--transports webtransport,websocket] [--latency-seconds 10]
//        [--e2ee off,passphrase,agreement]
// Prints a Markdown table; --json FILE writes the raw samples.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { joinFromLink, launchBrowser, newParticipant, startServer, waitJoined } from '../../web/e2e/harness.mjs';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    transports: { type: 'string', default: 'webtransport,websocket' },
    'latency-seconds': { type: 'string', default: '10' },
    json: { type: 'string' },
    e2ee: { type: 'string', default: 'off' },
  },
});
const PASSPHRASE = 'bench passphrase for first frames';
const RUNS = Number(args.runs);
const LATENCY_MS = Number(args['latency-seconds']) * 1000;

function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Joins `name` through the meeting link on `transport`; resolves with its participant id. */
async function join(browser, url, meeting, name, transport, e2ee) {
  const participant = await newParticipant(browser, name);
  const fragment = e2ee === 'passphrase' ? `#e2ee=${encodeURIComponent(PASSPHRASE)}` : '';
  const link = `${url}/meeting/${meeting}?transport=${transport}${fragment}`;
  await participant.page.goto(link);
  await participant.page.getByTestId('name-input').fill(name);
  await participant.page.getByTestId('join-button').click();
  return { participant, id: await waitJoined(participant, 30_000) };
}

/** The meeting the server requires E2EE for (key agreement), per transport. */
const agreementMeeting = (transport) => `ff-agreement-${transport}`;

async function measureTransport(browser, url, transport, e2ee) {
  const meeting = e2ee === 'agreement' ? agreementMeeting(transport) : `ff-${transport}-${e2ee}-${Date.now().toString(36)}`;
  const host = await join(browser, url, meeting, 'Host', transport, e2ee);
  // The host's camera is running before anyone joins (the usual case: joining a meeting in progress).
  await host.participant.page.waitForFunction(() => window.__vc.sent.videoFrames >= 60, null, { timeout: 30_000 });
  const firstFrameMs = [];
  const joinedMs = [];
  let latencies = [];
  for (let run = 0; run < RUNS; run++) {
    const joiner = await join(browser, url, meeting, `Joiner ${run}`, transport, e2ee);
    const first = await joiner.participant.page.waitForFunction(
      (hostId) => {
        const peer = window.__vc.peers[String(hostId)];
        if (peer?.firstVideoFrameAt == null || window.__vc.joinStartedAt == null) return null;
        // Total, and the part until the host's tile existed (camera opened, connected, joined).
        return { total: peer.firstVideoFrameAt - window.__vc.joinStartedAt, joined: peer.createdAt - window.__vc.joinStartedAt, requests: peer.keyframeRequestsSent };
      },
      host.id,
      { timeout: 30_000, polling: 'raf' },
    );
    const { total, joined, requests } = await first.jsonValue();
    process.stderr.write(`  join ${run}: first frame ${total.toFixed(0)} ms (peer tile at ${joined.toFixed(0)} ms), ${requests} keyframe requests\n`);
    firstFrameMs.push(total);
    joinedMs.push(joined);
    if (run === 0) {
      // Capture-to-screen latency over a steady stretch, from the first joiner's tile of the host.
      await new Promise((done) => setTimeout(done, LATENCY_MS)); // the measurement interval itself
      latencies = await joiner.participant.page.evaluate((key) => window.__vc.tiles[key]?.latencyMs ?? [], `${host.id}/2`);
    }
    await joiner.participant.context.close();
  }
  await host.participant.context.close();
  return { transport, e2ee, firstFrameMs, joinedMs, latencyMs: latencies };
}

const transports = args.transports.split(',');
const server = await startServer(transports.flatMap((transport) => ['--e2ee-required-meeting', agreementMeeting(transport)]));
const browser = await launchBrowser();
const results = [];
try {
  for (const e2ee of args.e2ee.split(',')) {
    for (const transport of transports) {
      process.stderr.write(`measuring ${transport}, e2ee ${e2ee} (${RUNS} joins)...\n`);
      results.push(await measureTransport(browser, server.url, transport, e2ee));
    }
  }
} finally {
  await browser.close();
  await server.stop();
}

const fmt = (value) => (value === null ? 'n/a' : value.toFixed(0));
console.log(`Machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} CPUs; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${new Date().toISOString()}\n`);
console.log('| transport | e2ee | joins | join -> first frame p50 ms | p95 ms | max ms | of which join -> peer tile p50 ms | capture -> screen p50 ms | p95 ms | frames |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  console.log(`| ${r.transport} | ${r.e2ee} | ${r.firstFrameMs.length} | ${fmt(percentile(r.firstFrameMs, 50))} | ${fmt(percentile(r.firstFrameMs, 95))} | ` +
    `${fmt(Math.max(...r.firstFrameMs))} | ${fmt(percentile(r.joinedMs, 50))} | ${fmt(percentile(r.latencyMs, 50))} | ${fmt(percentile(r.latencyMs, 95))} | ${r.latencyMs.length} |`);
}
if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
