#!/usr/bin/env python3
"""Selective forwarding benchmarks (issue 10): a large meeting and a webinar, each run twice on a fresh
server: once with selection (each subscriber views N cameras at a small height, the server forwards
the top-K audio) and once forwarding everything to everyone (every camera at its highest layer, all
audio), so the egress and CPU ratios are measured in the same run on the same machine.

  large:   P simulcast publishers (180p/360p[/720p] ladder, 15 fps, all with audio) and S subscribers
           that view --view cameras at --view-height; rooms above --large-room-threshold get the
           --audio-top-k loudest audio tracks.
  webinar: P publishers (the first --speakers send audio), S viewers that view N cameras at
           --view-height (the last N speakers with --view-mode speaker, the server's last_n).

Server CPU, RSS, forwarded packets/s and egress bytes/s come from /proc and /metrics (helpers shared
with bench/load/relay_bench.py); latency, loss and per-layer counts from videocall-bot's JSON
summary. Prints a Markdown table; --json FILE keeps the raw results.

  bench/sfu/sfu_bench.py --scenario large --publishers 20 --subscribers 60 --duration 20
  bench/sfu/sfu_bench.py --scenario webinar --publishers 10 --subscribers 100,200 --duration 20
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "load"))
from relay_bench import cpu_seconds, read_line_matching, rss_bytes, scrape_metrics  # noqa: E402


def bot_args(args, subscribers, selective):
    common = ["--publishers", str(args.publishers), "--subscribers", str(subscribers),
              "--receive-only-subscribers", "--simulcast", "--resolution", args.resolution,
              "--fps", str(args.fps), "--duration", str(args.duration), "--ramp-up", "100",
              "--threads", str(args.bot_threads), "--join-timeout", "180", "--transport", "websocket"]
    if args.scenario == "webinar":
        common += ["--speakers", str(args.speakers)]
    if selective:
        common += ["--view", str(args.view), "--view-resolution", str(args.view_height), "--view-mode", args.view_mode]
    return common


def run_one(args, subscribers, selective):
    workdir = tempfile.mkdtemp(prefix="vc-sfu-bench-")
    log = open(os.path.join(workdir, "server.log"), "w")
    participants = args.publishers + subscribers
    # Selection on: rooms this large get the top-K audio. Off: the threshold is above the room size.
    threshold = args.large_room_threshold if selective else participants + 1
    server = subprocess.Popen([args.server_bin, "--listen", "127.0.0.1", "--port", "0", "--data-dir",
                               os.path.join(workdir, "data"), "--log-level", "warn", "--no-quic",
                               "--join-rate-exempt", "127.0.0.1",
                               "--large-room-threshold", str(threshold), "--audio-top-k", str(args.audio_top_k)],
                              stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = read_line_matching(server, server.stdout, r"listening on (\S+)", 60).group(1)
        idle_rss = rss_bytes(server.pid)
        bot = subprocess.Popen([args.bot_bin, "--server", url] + bot_args(args, subscribers, selective),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        read_line_matching(bot, bot.stderr, r"bot: phase=publishing", 600)
        metrics_start = scrape_metrics(url)
        cpu_start, wall_start = cpu_seconds(server.pid), time.monotonic()
        read_line_matching(bot, bot.stderr, r"bot: phase=draining", args.duration + 120)
        cpu_end, wall_end = cpu_seconds(server.pid), time.monotonic()
        metrics_end = scrape_metrics(url)
        rss = rss_bytes(server.pid)
        out, _ = bot.communicate(timeout=300)
        summary = json.loads(out)
        wall = wall_end - wall_start
        metric = "videocall_ws_bytes_out_total"
        egress = metrics_end.get(metric, 0) - metrics_start.get(metric, 0)
        forwarded = summary["forwarded_packets"]
        cpu = cpu_end - cpu_start
        return {
            "scenario": args.scenario, "selective": selective, "threshold": threshold, "publishers": args.publishers,
            "subscribers": subscribers, "joined": summary["participants"]["joined"],
            "forwarded_packets_per_s": forwarded / wall,
            "egress_mbit_per_s": egress * 8 / 1e6 / wall,
            "server_cpu_percent": 100.0 * cpu / wall,
            "server_cpu_us_per_packet": cpu * 1e6 / forwarded if forwarded else None,
            "rss_mb": rss / 2**20, "rss_idle_mb": idle_rss / 2**20,
            "latency_p50_ms": summary["latency_ms"]["all"].get("p50"),
            "latency_p99_ms": summary["latency_ms"]["all"].get("p99"),
            "loss_video": summary["video"]["missing"], "loss_audio": summary["audio"]["missing"],
            "layers": summary.get("layers"), "view": summary.get("view"),
            "bot": {k: summary.get(k) for k in ("video", "audio", "pre_encode")},
        }
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        log.close()


def audio_loss(result):
    # With selection the server forwards only the top-K audio tracks: the bot, which expects every
    # publisher's audio, cannot tell a dropped packet from one not selected.
    if result["selective"] and result["publishers"] + result["subscribers"] > result.get("threshold", 0):
        return "top-K"
    return str(result["loss_audio"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["large", "webinar"], default="large")
    parser.add_argument("--build-dir", default="build/dev")
    parser.add_argument("--publishers", type=int, default=20)
    parser.add_argument("--subscribers", default="60", help="comma-separated list of subscriber counts")
    parser.add_argument("--view", type=int, default=None, help="cameras each subscriber views (large: 9, webinar: 4)")
    parser.add_argument("--view-height", type=int, default=180)
    parser.add_argument("--view-mode", choices=["fixed", "speaker", "rotate"], default="fixed",
                        help="webinar: fixed views the first N publishers, the same forwarding work as the "
                             "last N speakers (speaker follows the server's last_n: see docs/BENCHMARKS.md)")
    parser.add_argument("--speakers", type=int, default=3, help="webinar: publishers that send audio")
    parser.add_argument("--audio-top-k", type=int, default=3)
    parser.add_argument("--large-room-threshold", type=int, default=20)
    parser.add_argument("--resolution", default="640x360")
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--duration", type=float, default=20)
    parser.add_argument("--bot-threads", type=int, default=2)
    parser.add_argument("--only", choices=["selective", "all"], help="run one mode only")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.view is None:
        args.view = 9 if args.scenario == "large" else 4
    args.server_bin = os.path.join(args.build_dir, "src/server/videocall-server")
    args.bot_bin = os.path.join(args.build_dir, "src/tools/videocall-bot")
    modes = [True, False] if args.only is None else [args.only == "selective"]
    results = []
    for subscribers in [int(x) for x in args.subscribers.split(",")]:
        for selective in modes:
            print(f"{args.scenario}: {args.publishers} publishers, {subscribers} subscribers, "
                  f"{'selective' if selective else 'everything'} ...", file=sys.stderr)
            results.append(run_one(args, subscribers, selective))
            print(json.dumps(results[-1]), file=sys.stderr)
    with open("/proc/cpuinfo") as f:
        cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), platform.processor())
    print(f"Machine: {cpu}, {os.cpu_count()} CPUs; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.duration:g} s per run; "
          f"{args.resolution} simulcast at {args.fps} fps; view {args.view} at {args.view_height}p\n")
    print("| scenario | forwarding | publishers | subscribers | joined | forwarded pkt/s | egress Mbit/s | server CPU % "
          "| µs/pkt | RSS MB | p50 ms | p99 ms | lost (video/audio) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        us = "n/a" if r["server_cpu_us_per_packet"] is None else f"{r['server_cpu_us_per_packet']:.2f}"
        print(f"| {r['scenario']} | {'selective' if r['selective'] else 'everything'} | {r['publishers']} | "
              f"{r['subscribers']} | {r['joined']} | {r['forwarded_packets_per_s']:.0f} | {r['egress_mbit_per_s']:.1f} | "
              f"{r['server_cpu_percent']:.0f} | {us} | {r['rss_mb']:.1f} | {r['latency_p50_ms']} | {r['latency_p99_ms']} | "
              f"{r['loss_video']}/{audio_loss(r)} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
