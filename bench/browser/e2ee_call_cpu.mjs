#!/usr/bin/env node
// CPU cost of end-to-end encryption in a 4-person browser call (issue 11's benchmark): four
// Chromium participants (one browser process, four contexts, fake camera and microphone) in one
// meeting on this machine's server, first without E2EE, then with the passphrase mode (every frame
// encrypted once by its sender and decrypted by each of the three receivers, in WebCrypto). The
// modes alternate for --rounds rounds, so machine noise hits both alike.
//
// What is measured, over --seconds once every participant decodes the three others: the whole
// machine's busy CPU time from /proc/stat (the browsers, the server, everything; run it on an
// otherwise idle machine), and the frames the pages encrypted/decrypted. The delta between the modes
// is the cost of E2EE for the whole call.
//
// Usage (after `make build web`):
//   node bench/browser/e2ee_call_cpu.mjs [--rounds 2] [--seconds 20] [--lowcpu]
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { launchBrowser, newParticipant, startServer, waitJoined } from '../../web/e2e/harness.mjs';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '20' },
    lowcpu: { type: 'boolean', default: false },
  },
});
const PASSPHRASE = 'bench passphrase for a four person call';
const PEOPLE = 4;

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
function machineJiffies() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + fields[4]; // idle + iowait
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function measure(browser, url, mode, round) {
  const meeting = `cpu-${mode}-${round}-${Date.now().toString(36)}`;
  const query = args.lowcpu ? '?lowcpu=1' : '';
  const fragment = mode === 'passphrase' ? `#e2ee=${encodeURIComponent(PASSPHRASE)}` : '';
  const people = [];
  try {
    for (let i = 0; i < PEOPLE; i++) {
      const participant = await newParticipant(browser, `p${i}`);
      people.push(participant);
      await participant.page.goto(`${url}/meeting/${meeting}${query}${fragment}`);
      await participant.page.getByTestId('name-input').fill(`Person ${i}`);
      await participant.page.getByTestId('join-button').click();
      await waitJoined(participant, 30_000);
    }
    // Steady state: everyone decodes everyone else's video.
    for (const { page } of people) {
      await page.waitForFunction(
        (others) => Object.values(window.__vc.peers).filter((peer) => peer.videoFramesDecoded > 30).length >= others,
        PEOPLE - 1,
        { timeout: 60_000, polling: 500 },
      );
    }
    const e2eeCounts = () => Promise.all(people.map(({ page }) => page.evaluate(() => window.__vcDebug?.e2ee?.() ?? null)));
    const before = { cpu: machineJiffies(), e2ee: await e2eeCounts() };
    await new Promise((done) => setTimeout(done, Number(args.seconds) * 1000)); // the measurement window itself
    const after = { cpu: machineJiffies(), e2ee: await e2eeCounts() };
    const cores = cpus().length;
    const busyShare = (after.cpu.busy - before.cpu.busy) / (after.cpu.total - before.cpu.total);
    const sum = (list, key) => list.reduce((total, counts) => total + (counts?.[key] ?? 0), 0);
    return {
      mode,
      round,
      machineCores: busyShare * cores,
      encrypted: sum(after.e2ee, 'encrypted') - sum(before.e2ee, 'encrypted'),
      decrypted: sum(after.e2ee, 'decrypted') - sum(before.e2ee, 'decrypted'),
    };
  } finally {
    for (const { context } of people) await context.close().catch(() => {});
  }
}

const server = await startServer();
const browser = await launchBrowser();
const results = [];
try {
  for (let round = 1; round <= Number(args.rounds); round++) {
    for (const mode of ['off', 'passphrase']) {
      process.stderr.write(`round ${round}, e2ee ${mode}...\n`);
      results.push(await measure(browser, server.url, mode, round));
    }
  }
} finally {
  await browser.close();
  await server.stop();
}

console.log(`Machine: ${cpus()[0]?.model ?? '?'}, ${cpus().length} CPUs; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}; ${new Date().toISOString()}`);
console.log(`${PEOPLE} participants, ${args.seconds} s per window${args.lowcpu ? ', ?lowcpu=1' : ''}\n`);
console.log('| round | e2ee | machine CPU (cores busy) | frames encrypted/s | frames decrypted/s |');
console.log('|---:|---|---:|---:|---:|');
for (const r of results) {
  const perSecond = (n) => (n / Number(args.seconds)).toFixed(0);
  console.log(`| ${r.round} | ${r.mode} | ${r.machineCores.toFixed(2)} | ${perSecond(r.encrypted)} | ${perSecond(r.decrypted)} |`);
}
