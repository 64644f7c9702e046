#!/usr/bin/env python3
"""WebSocket relay load benchmark: videocall-server + videocall-bot on loopback.

For each N in --subscribers: start a fresh server, run videocall-bot with 1 publisher (30 fps
video at ~1 Mbps + 50 audio packets/s) and N subscribers, and sample the server's /proc/<pid>
while the bot publishes. Reports server CPU time per forwarded packet, forwarded packets/s,
p50/p99 end-to-end latency added by the relay path (capture stamp -> receipt, same clock),
and server RSS per participant. Prints a Markdown table (and --json for the raw numbers).

  bench/load/relay_bench.py --build-dir build/dev --subscribers 10,100,500 --duration 10
"""
import argparse
import json
import os
import platform
import re
import selectors
import subprocess
import sys
import tempfile
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[11], fields[12] are utime and stime (stat fields 14 and 15).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


_buffers = {}


def read_line_matching(proc, stream, pattern, timeout):
    """Waits for a matching line; reads the raw fd (select() cannot see Python's line buffer)."""
    fd = stream.fileno()
    buffered = _buffers.setdefault(fd, bytearray())
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    end = time.monotonic() + timeout
    regex = re.compile(pattern)
    eof = False
    while True:
        while b"\n" in buffered:
            line, _, rest = bytes(buffered).partition(b"\n")
            buffered[:] = rest
            match = regex.search(line.decode(errors="replace"))
            if match:
                return match
        if eof or time.monotonic() >= end:
            break
        if not selector.select(timeout=max(0.0, end - time.monotonic())):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            eof = True
            buffered.extend(b"\n")
        buffered.extend(chunk)
    raise RuntimeError(f"timed out waiting for {pattern!r} (exit={proc.poll()})")


def run_one(server_bin, bot_bin, subscribers, duration, bot_threads):
    workdir = tempfile.mkdtemp(prefix="vc-bench-")
    log = open(os.path.join(workdir, "server.log"), "w")
    server = subprocess.Popen([server_bin, "--listen", "127.0.0.1", "--port", "0", "--data-dir",
                               os.path.join(workdir, "data"), "--no-quic", "--log-level", "warn"],
                              stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = read_line_matching(server, server.stdout, r"listening on (\S+)", 60).group(1)
        idle_rss = rss_bytes(server.pid)
        bot = subprocess.Popen([bot_bin, "--server", url, "--publishers", "1", "--subscribers", str(subscribers),
                                "--duration", str(duration), "--fps", "30", "--bitrate-kbps", "1000",
                                "--ramp-up", "200", "--threads", str(bot_threads), "--join-timeout", "120"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        read_line_matching(bot, bot.stderr, r"bot: phase=publishing", 300)
        cpu_start, wall_start = cpu_seconds(server.pid), time.monotonic()
        joined_rss = rss_bytes(server.pid)
        read_line_matching(bot, bot.stderr, r"bot: phase=draining", duration + 60)
        cpu_end, wall_end = cpu_seconds(server.pid), time.monotonic()
        peak_rss = rss_bytes(server.pid)
        out, err = bot.communicate(timeout=120)
        summary = json.loads(out)
        forwarded = summary["forwarded_packets"]
        cpu = cpu_end - cpu_start
        participants = subscribers + 1
        return {
            "subscribers": subscribers,
            "joined": summary["participants"]["joined"],
            "forwarded_packets": forwarded,
            "forwarded_packets_per_s": forwarded / (wall_end - wall_start),
            "server_cpu_s": cpu,
            "server_cpu_us_per_packet": cpu * 1e6 / forwarded if forwarded else None,
            "server_cpu_percent": 100.0 * cpu / (wall_end - wall_start),
            "latency_p50_ms": summary["latency_ms"]["all"].get("p50"),
            "latency_p99_ms": summary["latency_ms"]["all"].get("p99"),
            "video_latency_p99_ms": summary["latency_ms"]["video"].get("p99"),
            "loss_video": summary["video"]["missing"],
            "loss_audio": summary["audio"]["missing"],
            "video_kbps": summary["pre_encode"]["video_kbps"],
            "rss_idle_mb": idle_rss / 2**20,
            "rss_mb": max(joined_rss, peak_rss) / 2**20,
            "rss_kb_per_participant": (max(joined_rss, peak_rss) - idle_rss) / 1024 / participants,
            "join_p50_ms": summary["join_ms"].get("p50"),
            "join_p99_ms": summary["join_ms"].get("p99"),
        }
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default="build/dev")
    parser.add_argument("--server-bin")
    parser.add_argument("--bot-bin")
    parser.add_argument("--subscribers", default="10,100,500")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--bot-threads", type=int, default=2)
    parser.add_argument("--json", help="also write raw results here")
    args = parser.parse_args()
    server_bin = args.server_bin or os.path.join(args.build_dir, "src/server/videocall-server")
    bot_bin = args.bot_bin or os.path.join(args.build_dir, "src/tools/videocall-bot")
    results = []
    for n in [int(x) for x in args.subscribers.split(",")]:
        print(f"running N={n} ...", file=sys.stderr)
        results.append(run_one(server_bin, bot_bin, n, args.duration, args.bot_threads))
        print(json.dumps(results[-1]), file=sys.stderr)
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    print(f"Machine: {cpu or platform.processor()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
          f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.duration:g} s per run\n")
    print("| N subscribers | forwarded pkt/s | server CPU µs/pkt | server CPU % | p50 latency ms | p99 latency ms "
          "| RSS MB | RSS KB/participant | lost (video/audio) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['subscribers']} | {r['forwarded_packets_per_s']:.0f} | {r['server_cpu_us_per_packet']:.2f} | "
              f"{r['server_cpu_percent']:.0f} | {r['latency_p50_ms']:.2f} | {r['latency_p99_ms']:.2f} | "
              f"{r['rss_mb']:.1f} | {r['rss_kb_per_participant']:.0f} | {r['loss_video']}/{r['loss_audio']} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
