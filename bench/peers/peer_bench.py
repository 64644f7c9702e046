#!/usr/bin/env python3
"""Peer comparison: our relay against nats-server and a kernel-floor relay, same traffic, same receivers.

For each N in --subscribers and each of --rounds rounds, every relay in --relays runs once (the
order rotates per round, so slow drifts of a shared machine spread over all rows):

  videocall        videocall-server over WebSocket (plain TCP), one meeting, N+1 joins via REST,
                   --threads 1 (the relay thread writes every receiver)
  videocall-shards the same with --threads --server-threads (default: the CPU count), so egress
                   shards write most receivers' media
  floor            bench_floor_relay: epoll, one shared framed buffer per envelope, one writev of
                   everything queued per receiver per loop turn; its sockets get the server's
                   TCP_NOTSENT_LOWAT (--floor-notsent-lowat), so both pay the same kernel work
  floor-per-frame  the same with one send per frame per receiver
  nats             nats-server: the publisher PUBs every envelope, each receiver is its own
                   connection with a SUB (how the model, videocall.rs, relays every packet)

The publisher and the N receivers are bench_relay_sink in every row (one epoll thread, the same
per-packet work: read, unframe, decode the envelope, record the latency), so receivers cost the
same everywhere; their own CPU per packet is printed to show it. Traffic: VP9-sized video at 30 fps
(~860 kbit/s, a keyframe every 2 s) plus Opus-sized audio at 50/s. Relay CPU is the relay
process's on-CPU time (schedstat, all threads) over the sink's measurement window; per delivered
packet = CPU / packets the receivers got in that window. Ratios are taken within each round, then
the median is reported. "Busiest thread" is the relay thread that used the most CPU in the window,
per delivered packet: one core saturates when that thread does, so 1e6 / that figure is the most
packets/s the relay can deliver with a core per thread, and its ratio between videocall and
videocall-shards is the scaling the shards give (on paper, when the receivers share the cores).

  bench/peers/peer_bench.py --build-dir build/dev --subscribers 100,300 --rounds 3

--meeting P runs a meeting instead: P participants, each one connection that publishes (VP9-sized
video at --meeting-fps, averaging --meeting-kbps, plus audio at 50/s) and receives everyone else,
all in one bench_relay_sink process (mode `meet`); nats has no meeting row.

  bench/peers/peer_bench.py --build-dir build/dev --meeting 20 --relays videocall,videocall-shards,floor
"""
import argparse
import json
import os
import platform
import queue
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

RELAYS = ["videocall", "videocall-shards", "floor", "floor-per-frame", "nats"]


def thread_cpu_seconds(pid):
    """CPU time of each thread of pid, from schedstat (nanoseconds; stat's ticks are 10 ms)."""
    threads = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                threads[task] = int(f.read().split()[0]) / 1e9
        except (OSError, ValueError):
            pass  # a thread that just ended
    return threads


def cpu_seconds(pid):
    return sum(thread_cpu_seconds(pid).values())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_line(proc, pattern, timeout, what):
    """Waits for a line of proc's stdout that matches pattern; returns the match. A reader thread
    per process feeds a queue, so the timeout holds even when the process prints nothing."""
    if not hasattr(proc, "lines"):
        proc.lines = queue.Queue()
        def pump():
            for line in proc.stdout:
                proc.lines.put(line)
            proc.lines.put(None)
        threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = proc.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"{what}: no /{pattern}/ within {timeout} s") from None
        if line is None:
            raise RuntimeError(f"{what} exited before printing /{pattern}/")
        match = re.search(pattern, line)
        if match:
            return match


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def stop(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Relay:
    """Starts one relay; `targets(n)` gives the publisher's and receivers' sink arguments."""

    def __init__(self, kind, args, workdir):
        self.kind = kind
        self.args = args
        self.workdir = workdir
        self.proc = None

    def start(self):
        out = subprocess.PIPE
        if self.kind.startswith("videocall"):
            data = tempfile.mkdtemp(dir=self.workdir)
            threads = self.args.server_threads if self.kind == "videocall-shards" else 1
            self.proc = subprocess.Popen(
                [self.args.server_bin, "--listen", "127.0.0.1", "--port", "0", "--data-dir", data,
                 "--no-quic", "--log-level", "warn", "--join-rate-exempt", "127.0.0.1",
                 "--threads", str(threads)],
                stdout=out, stderr=subprocess.DEVNULL, text=True)
            self.port = int(wait_line(self.proc, r"listening on http://127\.0\.0\.1:(\d+)", 30, "server").group(1))
        elif self.kind.startswith("floor"):
            extra = ["--write-per-frame"] if self.kind == "floor-per-frame" else []
            if self.args.floor_notsent_lowat > 0:
                extra += ["--notsent-lowat", str(self.args.floor_notsent_lowat)]
            self.proc = subprocess.Popen([self.args.floor_bin, "--port", "0", *extra], stdout=out,
                                         stderr=subprocess.DEVNULL, text=True)
            self.port = int(wait_line(self.proc, r"listening on (\d+)", 10, "floor relay").group(1))
        else:
            self.port = free_port()
            self.proc = subprocess.Popen([self.args.nats_bin, "-a", "127.0.0.1", "-p", str(self.port)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_port(self.port)

    def sink_args(self, n):
        """(publisher args, receiver args) for bench_relay_sink."""
        if self.kind == "nats":
            common = ["--nats", str(self.port), "--subject", "bench.room"]
            return common, common + ["--count", str(n)]
        if self.kind.startswith("videocall"):
            meeting = f"peer-{os.getpid()}-{time.monotonic_ns()}"
            targets = [self.join(meeting) for _ in range(n + 1)]
        else:
            targets = ["/ws"] * (n + 1)
        path = os.path.join(self.workdir, f"targets-{self.kind}")
        with open(path, "w") as f:
            f.write("\n".join(targets[1:]) + "\n")
        return ["--ws", str(self.port), "--target", targets[0]], ["--ws", str(self.port), "--targets", path]

    def meeting_args(self, participants):
        """bench_relay_sink meet arguments: one request target per participant."""
        if self.kind.startswith("videocall"):
            meeting = f"peer-{os.getpid()}-{time.monotonic_ns()}"
            targets = [self.join(meeting) for _ in range(participants)]
        else:
            targets = ["/ws"] * participants
        path = os.path.join(self.workdir, f"meeting-{self.kind}")
        with open(path, "w") as f:
            f.write("\n".join(targets) + "\n")
        return ["--ws", str(self.port), "--targets", path]

    def join(self, meeting):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/meetings/{meeting}/join",
            data=json.dumps({"display_name": "peer bench"}).encode(),
            headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            return "/ws?token=" + json.load(response)["token"]

    def stop(self):
        stop(self.proc)


def run_once(args, kind, n, workdir):
    relay = Relay(kind, args, workdir)
    receivers = publisher = None
    try:
        relay.start()
        window = ["--warmup", str(args.warmup), "--measure", str(args.measure)]
        if args.meeting:
            receivers = subprocess.Popen(
                [args.sink_bin, "meet", *relay.meeting_args(n), "--fps", str(args.meeting_fps),
                 "--video-kbps", str(args.meeting_kbps), *window],
                stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
            wait_line(receivers, r"^ready \d+", 60, "participants")
        else:
            publish_args, receive_args = relay.sink_args(n)
            receivers = subprocess.Popen([args.sink_bin, "receive", *receive_args, *window],
                                         stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
            wait_line(receivers, r"^ready \d+", 60, "receivers")
            publisher = subprocess.Popen(
                [args.sink_bin, "publish", *publish_args, "--duration", str(args.warmup + args.measure + 5)],
                stdout=subprocess.DEVNULL, stderr=sys.stderr)
        wait_line(receivers, r"^window_start", 60, "receivers")
        threads0, sink_cpu0 = thread_cpu_seconds(relay.proc.pid), cpu_seconds(receivers.pid)
        end = wait_line(receivers, r"^window_end delivered=(\d+) bytes=(\d+) seconds=([\d.]+) p50_us=(\d+) p99_us=(\d+)",
                        args.measure + 60, "receivers")
        threads1, sink_cpu1 = thread_cpu_seconds(relay.proc.pid), cpu_seconds(receivers.pid)
        delivered, _, seconds, p50, p99 = (float(x) for x in end.groups())
        per_thread = [threads1[t] - threads0.get(t, 0) for t in threads1]
        relay_cpu = sum(per_thread)
        return {
            "relay": kind, "n": n, "delivered_per_s": delivered / seconds,
            "relay_us_per_pkt": relay_cpu * 1e6 / delivered,
            "busiest_us_per_pkt": max(per_thread) * 1e6 / delivered,
            "sink_us_per_pkt": (sink_cpu1 - sink_cpu0) * 1e6 / delivered,
            "relay_cpu_percent": relay_cpu / seconds * 100,
            "p50_ms": p50 / 1000, "p99_ms": p99 / 1000, "load1": os.getloadavg()[0],
        }
    finally:
        stop(publisher)
        stop(receivers)
        relay.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default="build/dev")
    parser.add_argument("--server-bin")
    parser.add_argument("--nats-bin", default="/usr/sbin/nats-server")
    parser.add_argument("--subscribers", default="100,300")
    parser.add_argument("--relays", default="videocall,videocall-shards,floor,floor-per-frame,nats")
    parser.add_argument("--server-threads", type=int, default=os.cpu_count(),
                        help="--threads of the videocall-shards row (default: the CPU count)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--measure", type=float, default=10)
    parser.add_argument("--floor-notsent-lowat", type=int, default=64 << 10,
                        help="TCP_NOTSENT_LOWAT of the floor's sockets: the server's "
                             "limits::kTcpNotSentLowatBytes (64 KiB) by default, 0 for none")
    parser.add_argument("--meeting", type=int, default=0,
                        help="run a meeting of this many participants instead of 1 -> N")
    parser.add_argument("--meeting-fps", type=int, default=15)
    parser.add_argument("--meeting-kbps", type=float, default=300)
    parser.add_argument("--json")
    args = parser.parse_args()
    args.server_bin = args.server_bin or os.path.join(args.build_dir, "src/server/videocall-server")
    args.floor_bin = os.path.join(args.build_dir, "bench/peers/bench_floor_relay")
    args.sink_bin = os.path.join(args.build_dir, "bench/peers/bench_relay_sink")
    relays = args.relays.split(",")
    for relay in relays:
        if relay not in RELAYS:
            parser.error(f"unknown relay {relay!r}; choose from {','.join(RELAYS)}")
    if args.meeting and "nats" in relays:
        parser.error("nats has no meeting row: leave it out of --relays")
    for path in (args.server_bin, args.floor_bin, args.sink_bin, args.nats_bin):
        if not os.access(path, os.X_OK):
            parser.error(f"{path} is missing (build with: cmake --build --preset dev)")

    results = []
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with tempfile.TemporaryDirectory(prefix="peer-bench-") as workdir:
        sizes = [args.meeting] if args.meeting else [int(x) for x in args.subscribers.split(",")]
        for n in sizes:
            for round_index in range(args.rounds):
                order = relays[round_index % len(relays):] + relays[:round_index % len(relays)]
                for kind in order:
                    row = run_once(args, kind, n, workdir)
                    row["round"] = round_index
                    results.append(row)
                    print(f"# N={n} round {round_index + 1} {kind}: {row['relay_us_per_pkt']:.2f} µs/pkt "
                          f"(receivers {row['sink_us_per_pkt']:.2f}), {row['delivered_per_s']:.0f} pkt/s, "
                          f"load {row['load1']:.2f}", file=sys.stderr)

    print(f"Peer relays, {started}, {platform.node()}, {os.cpu_count()} CPUs, "
          f"{args.rounds} rounds × {args.measure:g} s, median over rounds, "
          f"floor TCP_NOTSENT_LOWAT {args.floor_notsent_lowat} bytes\n")
    if args.meeting:
        print(f"Meeting of {args.meeting} participants, each publishing {args.meeting_kbps:g} kbit/s "
              f"video at {args.meeting_fps} fps and audio at 50/s (N below = participants)\n")
    print("| N | relay | relay µs CPU / delivered pkt | ×floor (per round, median) | busiest thread µs / pkt | receivers µs / pkt | delivered pkt/s | p50 ms | p99 ms | load 1 min |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted({row["n"] for row in results}):
        for kind in relays:
            rows = [row for row in results if row["n"] == n and row["relay"] == kind]
            ratios = []
            if "floor" in relays:
                for row in rows:
                    floor = [r for r in results if r["n"] == n and r["relay"] == "floor" and r["round"] == row["round"]]
                    if floor:
                        ratios.append(row["relay_us_per_pkt"] / floor[0]["relay_us_per_pkt"])
            med = lambda key: statistics.median(row[key] for row in rows)
            spread = f"{min(r['relay_us_per_pkt'] for r in rows):.2f}–{max(r['relay_us_per_pkt'] for r in rows):.2f}"
            ratio = f"{statistics.median(ratios):.2f}" if ratios else "–"
            print(f"| {n} | {kind} | {med('relay_us_per_pkt'):.2f} ({spread}) | {ratio} | {med('busiest_us_per_pkt'):.2f} | {med('sink_us_per_pkt'):.2f} | "
                  f"{med('delivered_per_s'):.0f} | {med('p50_ms'):.2f} | {med('p99_ms'):.2f} | {med('load1'):.2f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
