#!/usr/bin/env python3
"""Soak benchmark: N minutes of churn and hostile clients against ONE videocall-server.

Starts its own server on a free loopback port with its own data dir (under --out), then runs at
the same time:
  - fan-out: one videocall-bot process, 1 publisher -> --subscribers subscribers (WebSocket);
  - churn: a short-lived videocall-bot (1 audio publisher + 2 subscribers) joins the fan-out room
    every --churn-interval seconds; every other one is SIGKILLed mid-call (abrupt disconnect);
  - reconnects: a raw client that resets its TCP connection and comes back with its token within
    or after the reconnect grace, and every fifth cycle leaves and joins afresh;
  - a slow reader in the fan-out room: tiny receive window, never reads, pings to stay alive;
  - malformed envelopes every --malformed-interval seconds (random bytes, truncated protobuf,
    oversized, a 5 MiB frame header, text, empty, bad media kind; before and after Hello; a forged
    token once per rotation) in a room of their own;
  - a control flood: --flood-rate KeyframeRequest/MediaState messages per second from one client.
Samples the server's VmRSS, open fds, threads and CPU from /proc every --sample-interval seconds
into OUT/samples.csv (with a few /metrics values and the driver's counters) and prints a summary:
RSS after warm-up (min/max/drift), fds, the server's exit, and sanitizer reports in its stderr.
Writes OUT/summary.json too. Exit status 0 when the server survived with no sanitizer report.

  bench/soak/soak.py --server-bin build/dev/src/server/videocall-server \\
      --bot-bin build/dev/src/tools/videocall-bot --minutes 30 --out /tmp/soak-release
"""
import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "load")]
import hostile  # noqa: E402
import relay_bench  # noqa: E402  (scrape_metrics)

FANOUT_MEETING = "soak-fanout"
MALFORMED_MEETING = "soak-malformed"
SANITIZER_PATTERNS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                      "WARNING: ThreadSanitizer")
METRICS = ("videocall_ws_sessions", "videocall_participants", "videocall_rooms",
           "videocall_frames_forwarded_total", "videocall_slow_receivers_closed_total",
           "videocall_keyframe_requests_sent_total", "videocall_joins_total")
# Driver counters with a CSV column each (all counters, the per-kind ones too, go to summary.json).
COUNTER_COLUMNS = ("joins", "leaves", "reconnect_aborts", "reconnect_errors", "slow_reader_connects",
                   "slow_reader_dropped", "malformed_sent", "flood_connects", "flood_sent",
                   "churn_bots_started", "churn_bots_killed", "churn_bots_exited_ok")
COLUMNS = (("t_s", "rss_kb", "fds", "threads", "cpu_s", "data_dir_kb") + tuple(m.removeprefix("videocall_") for m in METRICS)
           + COUNTER_COLUMNS + ("fanout_bot_running",))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
HOSTILE_CLIENTS = ("reconnect", "slow-reader", "malformed", "flood")


def proc_sample(pid):
    """VmRSS kB, open fds, threads and CPU seconds of a live process."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "Threads"):
                values[key] = int(rest.split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return {"rss_kb": values.get("VmRSS", 0), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": values.get("Threads", 0),
            "cpu_s": round((int(fields[11]) + int(fields[12])) / CLOCK_TICKS, 2)}


def directory_kb(path):
    """Bytes in a directory's files, in kB (the SQLite database and its WAL in the data dir)."""
    try:
        return sum(entry.stat().st_size for entry in os.scandir(path) if entry.is_file()) // 1024
    except OSError:
        return 0


def scrape(url):
    """The METRICS values from the server's /metrics ({} when it does not answer)."""
    return {k: v for k, v in relay_bench.scrape_metrics(url).items() if k in METRICS}


def start_server(args, workdir):
    stderr = open(os.path.join(workdir, "server.stderr"), "w")
    server = subprocess.Popen([args.server_bin, "--listen", "127.0.0.1", "--port", "0", "--no-quic",
                               "--data-dir", os.path.join(workdir, "data"), "--log-level", "warn",
                               # every soak client joins from loopback, faster than the join rate limit
                               "--join-rate-exempt", "127.0.0.1"],
                              stdout=subprocess.PIPE, stderr=stderr, text=True)
    deadline = time.monotonic() + 120  # an ASan build starts slowly
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        match = re.search(r"listening on (\S+)", line)
        if match:
            # Keep draining stdout so the server never blocks on a full pipe.
            threading.Thread(target=server.stdout.read, daemon=True).start()
            return server, match.group(1)
    raise RuntimeError(f"server did not start (exit {server.poll()}); see {workdir}/server.stderr")


def bot_command(args, url, publishers, subscribers, duration, audio_only):
    return ([args.bot_bin, "--server", url, "--meeting", FANOUT_MEETING, "--publishers", str(publishers),
             "--subscribers", str(subscribers), "--duration", str(duration), "--threads", "1",
             "--transport", "websocket", "--join-timeout", "120", "--log-level", "error",
             "--fps", str(args.fps), "--bitrate-kbps", str(args.bitrate_kbps), "--ramp-up", "50"]
            + (["--no-video", "--loop-seconds", "1"] if audio_only else []))


def wait_for_line(proc, pattern, timeout):
    """Reads proc.stderr until a matching line (a thread, so the deadline holds)."""
    found = threading.Event()

    def reader():
        for line in proc.stderr:
            if re.search(pattern, line):
                found.set()
                break
        # Keep draining so the bot never blocks on a full stderr pipe.
        for _ in proc.stderr:
            pass

    threading.Thread(target=reader, daemon=True).start()
    return found.wait(timeout)


class Churn:
    """One short-lived bot at a time joins the fan-out room; every other one is killed mid-call."""

    def __init__(self, args, url, counters, log):
        self.args, self.url, self.counters, self.log = args, url, counters, log
        self.proc, self.started, self.count, self.next_start = None, 0.0, 0, time.monotonic()

    def tick(self):
        now = time.monotonic()
        if self.proc is not None:
            code = self.proc.poll()
            if code is None and self.count % 2 == 1 and now - self.started > 2.5:
                self.proc.kill()
                self.proc.wait()
                self.counters.add("churn_bots_killed")
                self.proc = None
            elif code is None and now - self.started > 60:
                self.proc.kill()
                self.proc.wait()
                self.counters.add("churn_bots_hung")
                self.proc = None
            elif code is not None:
                self.counters.add("churn_bots_exited_ok" if code == 0 else f"churn_bots_exit:{code}")
                self.proc = None
        if self.proc is None and now >= self.next_start:
            self.count += 1
            self.proc = subprocess.Popen(bot_command(self.args, self.url, 1, 2, 3, True),
                                         stdout=subprocess.DEVNULL, stderr=self.log)
            self.started, self.next_start = now, now + self.args.churn_interval
            self.counters.add("churn_bots_started")

    def stop(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


def summarise(rows, warmup_s, server_exit, stderr_path, bot_summary, counters):
    after = [r for r in rows if r["t_s"] >= warmup_s] or rows
    rss = [r["rss_kb"] for r in after]
    fds = [r["fds"] for r in after]
    summary = {"samples": len(rows), "warmup_s": warmup_s}
    if rss:
        head, tail = rss[:3], rss[-3:]
        summary.update({
            "rss_kb_after_warmup": {"min": min(rss), "max": max(rss), "first": rss[0], "last": rss[-1]},
            # Mean of the last three samples against the first three after warm-up.
            "rss_drift_pct": round((sum(tail) / len(tail) - sum(head) / len(head)) / (sum(head) / len(head)) * 100, 2),
            "rss_spread_pct": round((max(rss) - min(rss)) / min(rss) * 100, 2),
            "fds_after_warmup": {"min": min(fds), "max": max(fds)},
            "fds_whole_run": {"min": min(r["fds"] for r in rows), "max": max(r["fds"] for r in rows)},
            "rss_kb_whole_run": {"min": min(r["rss_kb"] for r in rows), "max": max(r["rss_kb"] for r in rows)},
        })
    summary["server_exit"] = server_exit
    with open(stderr_path, errors="replace") as f:
        reports = [line.rstrip() for line in f if any(p in line for p in SANITIZER_PATTERNS)]
    summary["sanitizer_reports"] = reports[:20]
    summary["sanitizer_report_lines"] = len(reports)
    summary["counters"] = counters
    if bot_summary:
        summary["fanout_bot"] = {k: bot_summary.get(k) for k in
                                 ("participants", "forwarded_packets", "video", "audio", "latency_ms", "reconnects", "ok",
                                  "exit")
                                 if k in bot_summary}
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server-bin", required=True)
    parser.add_argument("--bot-bin", required=True)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--out", default=f"soak-{time.strftime('%Y%m%d-%H%M%S')}")
    parser.add_argument("--warmup-minutes", type=float, default=3,
                        help="excluded from the RSS/fd statistics (capped at half the run)")
    parser.add_argument("--sample-interval", type=float, default=10)
    parser.add_argument("--subscribers", type=int, default=50)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate-kbps", type=int, default=500)
    parser.add_argument("--churn-interval", type=float, default=5)
    parser.add_argument("--malformed-interval", type=float, default=5)
    parser.add_argument("--flood-rate", type=float, default=200, help="control messages per second")
    parser.add_argument("--skip", default="", help="comma-separated clients to leave out, to find which "
                        "one a trend comes from: " + ",".join(HOSTILE_CLIENTS) + ",churn")
    args = parser.parse_args()
    skipped = set(filter(None, args.skip.split(",")))
    if skipped - set(HOSTILE_CLIENTS) - {"churn"}:
        parser.error(f"--skip: unknown client in {args.skip}")
    os.makedirs(args.out, exist_ok=True)
    workdir = os.path.abspath(args.out)
    warmup_s = min(args.warmup_minutes * 60, args.minutes * 30)

    server, url = start_server(args, workdir)
    print(f"soak: server pid {server.pid} at {url}, output in {workdir}", flush=True)
    counters = hostile.Counters()
    bots_log = open(os.path.join(workdir, "bots.stderr"), "w")
    fanout = subprocess.Popen(bot_command(args, url, 1, args.subscribers, int(args.minutes * 60), False),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    fanout_out = []
    threading.Thread(target=lambda: fanout_out.append(fanout.stdout.read()), daemon=True).start()
    if not wait_for_line(fanout, r"bot: phase=publishing", 300):
        print("soak: the fan-out bot did not start publishing", file=sys.stderr)
    stop = threading.Event()
    workers = [threading.Thread(target=f, args=a, daemon=True) for name, (f, a) in {
        "reconnect": (hostile.reconnector, (url, FANOUT_MEETING, counters, stop)),
        "slow-reader": (hostile.slow_reader, (url, FANOUT_MEETING, counters, stop)),
        "malformed": (hostile.malformed_sender, (url, MALFORMED_MEETING, args.malformed_interval, counters, stop)),
        "flood": (hostile.control_flood, (url, FANOUT_MEETING, args.flood_rate, counters, stop)),
    }.items() if name not in skipped]
    for worker in workers:
        worker.start()
    churn = Churn(args, url, counters, bots_log) if "churn" not in skipped else None

    rows, started = [], time.monotonic()
    end, next_sample = started + args.minutes * 60, started
    with open(os.path.join(workdir, "samples.csv"), "w", newline="") as csv_file:
        writer = csv.DictWriter(csv_file, fieldnames=COLUMNS, restval=0, extrasaction="ignore")
        writer.writeheader()
        while time.monotonic() < end and server.poll() is None:
            if churn:
                churn.tick()
            if time.monotonic() >= next_sample:
                try:
                    row = {"t_s": round(time.monotonic() - started, 1), **proc_sample(server.pid)}
                except OSError:
                    break  # the server is gone
                row["data_dir_kb"] = directory_kb(os.path.join(workdir, "data"))
                row.update({k.removeprefix("videocall_"): int(v) for k, v in scrape(url).items()})
                row.update(counters.snapshot())
                row["fanout_bot_running"] = int(fanout.poll() is None)
                rows.append(row)
                writer.writerow(row)
                csv_file.flush()
                print(f"soak: t={row['t_s']:.0f}s rss={row['rss_kb']} kB fds={row['fds']} "
                      f"sessions={row.get('ws_sessions', '?')}", flush=True)
                next_sample += args.sample_interval
            time.sleep(0.2)

    stop.set()
    if churn:
        churn.stop()
    for worker in workers:
        worker.join(timeout=20)
    bot_summary = None
    try:
        fanout.wait(timeout=90)
        bot_summary = json.loads(fanout_out[0]) if fanout_out and fanout_out[0] else None
        if bot_summary is not None:
            bot_summary["exit"] = fanout.returncode
    except (subprocess.TimeoutExpired, ValueError):
        fanout.kill()
    crashed = server.poll()
    if crashed is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    code = server.returncode
    server_exit = {"crashed_during_run": crashed is not None, "returncode": code,
                   "signal": signal.Signals(-code).name if code and code < 0 else None}
    summary = summarise(rows, warmup_s, server_exit, os.path.join(workdir, "server.stderr"),
                        bot_summary, counters.snapshot())
    with open(os.path.join(workdir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    healthy = crashed is None and code == 0 and not summary["sanitizer_report_lines"]
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
