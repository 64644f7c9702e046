#!/usr/bin/env python3
"""Relay load benchmark (WebSocket and/or WebTransport): videocall-server + videocall-bot on loopback.

For each N in --subscribers and each transport in --transport: start a fresh server, run
videocall-bot with 1 publisher (30 fps video at ~1 Mbps + 50 audio packets/s) and N subscribers,
all on that transport, and sample the server's /proc/<pid> while the bot publishes. Reports server
CPU time per forwarded packet, forwarded packets/s, server CPU cycles per egress byte, p50/p99
end-to-end latency added by the relay path (capture stamp -> receipt, same clock), and server RSS
per participant. Prints a Markdown table (and --json for the raw numbers).

Egress bytes over the measurement window come from the server's /metrics:
videocall_ws_bytes_out_total (envelope bytes written to WebSockets, before WebSocket framing and
TCP/IP headers) or videocall_quic_bytes_out_total (UDP payload bytes of the QUIC endpoint:
QUIC headers, encryption and retransmissions included). Cycles come from `perf stat -e cycles -p`
when the CPU exposes a cycle counter, else CPU time x the nominal clock (marked "est.").

  bench/load/relay_bench.py --build-dir build/dev --subscribers 10,100,500 --duration 10 \
      --transport websocket,webtransport

With --compare-bin OTHER (another videocall-server build) and --rounds R, every (N, transport)
runs on both servers, interleaved round by round so machine noise hits both alike; the table
gives medians over the rounds and the ratios print below it (WebTransport / WebSocket per server,
other / this per transport): on this shared machine ratios mean more than absolute times.
--compare-bot-bin BOT runs the "other" rows with another videocall-bot (alone: the same server
with two clients, for a client-side change such as how often subscribers acknowledge).
"""
import statistics
import argparse
import json
import os
import platform
import re
import selectors
import subprocess
import sys
import signal
import tempfile
import time
import urllib.request

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


def cpu_mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("cpu MHz"):
                    return float(line.split(":", 1)[1])
    except (OSError, ValueError):
        pass
    return None


def scrape_metrics(url):
    """Returns {name: value} of the server's unlabelled Prometheus samples ({} on failure)."""
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return {}
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name] = float(value)
        except ValueError:
            pass
    return values


class PerfCycles:
    """`perf stat -e cycles -p PID` over a window; value None when perf or the counter is missing."""

    def __init__(self, pid):
        self.proc = None
        try:
            self.proc = subprocess.Popen(["perf", "stat", "-x,", "-e", "cycles", "-p", str(pid)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except OSError:
            pass

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return None
        for line in err.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2].startswith("cycles"):
                try:
                    return float(fields[0])
                except ValueError:
                    return None  # "<not supported>" on VMs without a PMU
        return None


EGRESS_METRIC = {"websocket": "videocall_ws_bytes_out_total", "webtransport": "videocall_quic_bytes_out_total"}

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


def run_one(server_bin, bot_bin, subscribers, duration, bot_threads, transport="websocket"):
    workdir = tempfile.mkdtemp(prefix="vc-bench-")
    log = open(os.path.join(workdir, "server.log"), "w")
    # The WebSocket runs keep --no-quic, as in earlier results: no QUIC endpoint at all.
    server = subprocess.Popen([server_bin, "--listen", "127.0.0.1", "--port", "0", "--data-dir",
                               os.path.join(workdir, "data"), "--log-level", "warn",
                               "--join-rate-exempt", "127.0.0.1"]  # hundreds of loopback joins
                              + (["--no-quic"] if transport == "websocket" else []),
                              stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        url = read_line_matching(server, server.stdout, r"listening on (\S+)", 60).group(1)
        idle_rss = rss_bytes(server.pid)
        bot = subprocess.Popen([bot_bin, "--server", url, "--publishers", "1", "--subscribers", str(subscribers),
                                "--duration", str(duration), "--fps", "30", "--bitrate-kbps", "1000",
                                "--ramp-up", "200", "--threads", str(bot_threads), "--join-timeout", "120",
                                "--transport", transport]
                               # The server admits 64 QUIC connections per source address.
                               + (["--source-addresses", str(-(-(subscribers + 1) // 60))]
                                  if transport == "webtransport" else []),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        read_line_matching(bot, bot.stderr, r"bot: phase=publishing", 300)
        metrics_start = scrape_metrics(url)
        perf = PerfCycles(server.pid)
        cpu_start, wall_start = cpu_seconds(server.pid), time.monotonic()
        joined_rss = rss_bytes(server.pid)
        read_line_matching(bot, bot.stderr, r"bot: phase=draining", duration + 60)
        cpu_end, wall_end = cpu_seconds(server.pid), time.monotonic()
        cycles = perf.stop()
        metrics_end = scrape_metrics(url)
        peak_rss = rss_bytes(server.pid)
        out, err = bot.communicate(timeout=120)
        summary = json.loads(out)
        used = summary.get("transport", {})
        for role in ("publishers", "subscribers"):
            others = {t: n for t, n in used.get(role, {}).items() if t != transport and n}
            if others:
                raise RuntimeError(f"{role} did not all run on {transport}: {used}")
        forwarded = summary["forwarded_packets"]
        cpu = cpu_end - cpu_start
        cycles_estimated = cycles is None
        if cycles is None and cpu_mhz():
            cycles = cpu * cpu_mhz() * 1e6
        metric = EGRESS_METRIC[transport]
        egress = (metrics_end[metric] - metrics_start[metric]
                  if metric in metrics_start and metric in metrics_end else None)
        participants = subscribers + 1
        return {
            "transport": transport,
            "subscribers": subscribers,
            "egress_bytes": egress,
            "egress_mbit_per_s": egress * 8 / 1e6 / (wall_end - wall_start) if egress else None,
            "server_cycles": cycles,
            "cycles_estimated": cycles_estimated,
            "cycles_per_egress_byte": cycles / egress if cycles and egress else None,
            "quic_packets_out": (metrics_end.get("videocall_quic_packets_out_total", 0)
                                 - metrics_start.get("videocall_quic_packets_out_total", 0)),
            "quic_datagrams_in": (metrics_end.get("videocall_quic_datagrams_in_total", 0)
                                  - metrics_start.get("videocall_quic_datagrams_in_total", 0)),
            "wt_datagrams_out": (metrics_end.get("videocall_wt_datagrams_out_total", 0)
                                 - metrics_start.get("videocall_wt_datagrams_out_total", 0)),
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


MEDIAN_FIELDS = ("forwarded_packets_per_s", "server_cpu_us_per_packet", "server_cpu_percent",
                 "egress_mbit_per_s", "cycles_per_egress_byte", "latency_p50_ms", "latency_p99_ms",
                 "rss_mb", "rss_kb_per_participant", "loss_video", "loss_audio")


def median_rows(runs):
    """One row per (server, transport, N): the median of each number over the rounds."""
    rows = {}
    for run in runs:
        rows.setdefault((run["server"], run["transport"], run["subscribers"]), []).append(run)
    merged = []
    for (server, transport, n), group in rows.items():
        row = dict(group[0])
        for field in MEDIAN_FIELDS:
            values = [r[field] for r in group if r.get(field) is not None]
            row[field] = statistics.median(values) if values else None
        merged.append(row)
    return merged


def print_ratios(results):
    """WebTransport / WebSocket per server and N, and other / this per transport and N."""
    cost = {(r["server"], r["transport"], r["subscribers"]): r["server_cpu_us_per_packet"]
            for r in results}
    lines = []
    for (server, transport, n), value in cost.items():
        if transport == "webtransport" and value:
            ws = cost.get((server, "websocket", n))
            if ws:
                lines.append(f"- {server}, N={n}: WebTransport / WebSocket = {value / ws:.2f}x per packet")
        if server == "other" and value:
            base = cost.get(("this", transport, n))
            if base:
                lines.append(f"- {transport}, N={n}: other / this = {value / base:.2f}x per packet")
    if lines:
        print("\nRatios of server CPU per forwarded packet (medians):")
        print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default="build/dev")
    parser.add_argument("--server-bin")
    parser.add_argument("--bot-bin")
    parser.add_argument("--subscribers", default="10,100,500")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--bot-threads", type=int, default=2)
    parser.add_argument("--transport", default="websocket",
                        help="comma-separated: websocket, webtransport (each N runs on each)")
    parser.add_argument("--compare-bin", help="another videocall-server binary, run interleaved")
    parser.add_argument("--compare-bot-bin",
                        help="the videocall-bot for the 'other' runs (default: the same bot), e.g. to "
                             "measure a client-side change against the same server")
    parser.add_argument("--rounds", type=int, default=1, help="runs per row (medians reported)")
    parser.add_argument("--json", help="also write raw results here")
    args = parser.parse_args()
    server_bin = args.server_bin or os.path.join(args.build_dir, "src/server/videocall-server")
    bot_bin = args.bot_bin or os.path.join(args.build_dir, "src/tools/videocall-bot")
    transports = [t.strip() for t in args.transport.split(",") if t.strip()]
    for t in transports:
        if t not in EGRESS_METRIC:
            parser.error(f"unknown transport {t!r}")
    servers = [("this", server_bin, bot_bin)]
    if args.compare_bin or args.compare_bot_bin:
        servers.append(("other", args.compare_bin or server_bin, args.compare_bot_bin or bot_bin))
    runs = []
    for round_number in range(1, args.rounds + 1):
        for n in [int(x) for x in args.subscribers.split(",")]:
            for transport in transports:
                for label, binary, bot in servers:
                    print(f"round {round_number}: N={n} over {transport} on {label} ...", file=sys.stderr)
                    result = run_one(binary, bot, n, args.duration, args.bot_threads, transport)
                    result["server"] = label
                    result["round"] = round_number
                    runs.append(result)
                    print(json.dumps(result), file=sys.stderr)
    results = median_rows(runs)
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    print(f"Machine: {cpu or platform.processor()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}; "
          f"date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {args.duration:g} s per run\n")
    def number(value, digits):
        return "n/a" if value is None else f"{value:.{digits}f}"

    print(f"Servers: this = {server_bin} with {bot_bin}"
          + "".join(f", other = {binary} with {bot}" for label, binary, bot in servers[1:])
          + f"; medians of {args.rounds} round(s)\n")
    print("| server | transport | N subscribers | forwarded pkt/s | server CPU µs/pkt | server CPU % | egress Mbit/s "
          "| cycles/egress byte | p50 latency ms | p99 latency ms | RSS MB | RSS KB/participant | lost (video/audio) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        cycles = number(r["cycles_per_egress_byte"], 2) + (" (est.)" if r["cycles_estimated"] else "")
        print(f"| {r['server']} | {r['transport']} | {r['subscribers']} | {r['forwarded_packets_per_s']:.0f} | "
              f"{number(r['server_cpu_us_per_packet'], 2)} | {r['server_cpu_percent']:.0f} | "
              f"{number(r['egress_mbit_per_s'], 1)} | {cycles} | {number(r['latency_p50_ms'], 2)} | "
              f"{number(r['latency_p99_ms'], 2)} | {r['rss_mb']:.1f} | {r['rss_kb_per_participant']:.0f} | "
              f"{number(r['loss_video'], 0)}/{number(r['loss_audio'], 0)} |")
    print_ratios(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=2)


if __name__ == "__main__":
    main()
