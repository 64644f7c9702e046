#!/usr/bin/env python3
"""Cross-node overhead benchmark: one room on 1 node versus the same room spread over 2 and 3
nodes (videocall-server + nats-server + videocall-bot, all on this machine, loopback).

For each scenario and node count it starts a fresh nats-server (with its monitoring port), N fresh
videocall-server nodes sharing one token secret (own SQLite --data-dir each, `--no-quic`), and
videocall-bot processes for each node. Separate SQLite stores are fine: a join is recorded in the
store of the node it goes through, and the room spans the nodes over NATS only (side effect: each
node's first joiner is "host" in that node's store; production uses PostgreSQL). The script samples
/proc/<pid>/stat of every server and of nats-server, and each node's /metrics, between the moment
every bot printed `bot: phase=publishing` (plus --settle) and the first `bot: phase=draining`, and
reports per row (the median over --repeat runs; the JSON keeps every run):

  server mCPU     sum over nodes of CPU-seconds per wall second x 1000 (utime+stime); "non-relay
                  threads" is the part outside each server's relay (main) thread, i.e. libnats'
                  reader/flusher/delivery threads (the store pool is idle while media flows)
  NATS mCPU       the same for nats-server alone; NATS msgs in/out from its /varz
  µs/pkt          server CPU / frames queued to local receivers (`videocall_frames_forwarded_total`
                  summed over nodes); "+NATS" adds nats-server's CPU to the numerator
  latency         capture stamp -> receipt in the bots (same host clock, so valid across
                  processes); p50 is the sample-weighted mean of the bots' p50s, p99 the worst p99
  missing / gaps  expected deliveries (every packet sent x every other participant) - received
                  (includes start/end edges: bot processes start publishing a few ms apart), and
                  sequence gaps seen by the bot processes that have a publisher (real loss)

Scenarios
  meeting   --participants (20), all publishing VP9 640x360 at --meeting-fps (15) fps and
            --meeting-kbps (300); --speakers (20) of them also publish Opus at 50 packets/s (the
            others are "muted", --no-audio). Split evenly over the nodes; one bot process per node
            and kind.
  fanout    1 publisher (VP9 30 fps ~1 Mbit/s + Opus 50/s) on node 1 and --subscribers (100)
            subscribers split evenly over the nodes (node 1 gets the remainder). Latency is also
            reported for subscribers on the publisher's node ("local") and on the others ("remote").

Why a join proxy. videocall-bot names its meeting PREFIX-<per-process run id>-<room>, so two bot
processes never share a meeting, and the client opens its WebSocket to the host it joined through.
So every bot talks to its node through a loopback proxy (one child process, one selector loop, one
listener per node): it rewrites `POST /api/v1/meetings/<id>/join` to the run's meeting id and copies
everything else both ways (WebSocket media included). It also holds the joins until every
participant of the run has asked (at most 4 s: the client's HTTP timeout is 5 s), so all bot
processes start publishing within milliseconds of each other. The proxy is the same hop in every
row; --direct-baseline adds a 1-node row with the bots straight on the node to show what it adds
(its CPU is reported as "proxy mCPU"). A bot option for an exact meeting id would make it unneeded.

Usage (from the repository root):

  bench/cluster/cluster_bench.py --server-bin build/dev/src/server/videocall-server \\
      --bot-bin build/client/src/tools/videocall-bot --nodes 1,2,3 --scenarios meeting,fanout \\
      --duration 20 --repeat 3 --direct-baseline [--json out.json]
  bench/cluster/cluster_bench.py ... --scenarios meeting --speakers 2     # 2 unmuted of 20

Needs /usr/sbin/nats-server (or --nats-bin). Python 3.10+ standard library only; helpers
(cpu_seconds, rss_bytes, read_line_matching) come from bench/load/relay_bench.py.
"""
import argparse
import json
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "load"))
from relay_bench import cpu_seconds, read_line_matching, rss_bytes  # noqa: E402

JOIN_LINE = re.compile(rb"^POST /api/v1/meetings/[A-Za-z0-9_-]{1,64}/join ")


# ---------------------------------------------------------------- join-rewriting loopback proxy

class _Pipe:
    """One direction of a proxied connection: bytes read from src wait in `pending` for dst."""

    def __init__(self, src, dst):
        self.src, self.dst, self.pending, self.eof = src, dst, bytearray(), False


class JoinProxy:
    """One child process, one selector loop, one listener per node (127.0.0.1:<port> -> node).

    A connection whose request line is `POST /api/v1/meetings/<id>/join` gets the run's meeting id
    instead and is held until `expected` joins have arrived (or the oldest has waited `max_wait`
    s: the client gives up after 5 s); everything else (the WebSocket with its media) is copied
    both ways unchanged. Single-threaded and non-blocking, so the copying costs no GIL hand-offs.
    """

    def __init__(self, node_ports, meeting_id, expected, max_wait=4.0):
        self.node_ports, self.meeting_id = node_ports, meeting_id.encode()
        self.expected, self.max_wait = expected, max_wait
        self.listeners = []
        for _ in node_ports:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            listener.listen(1024)
            self.listeners.append(listener)
        self.ports = [l.getsockname()[1] for l in self.listeners]
        self.pid = os.fork()
        if self.pid == 0:  # child: serve until killed
            code = 0
            try:
                self._serve()
            except BaseException:  # noqa: BLE001 - a child must never return into the parent's code
                code = 1
            os._exit(code)
        for listener in self.listeners:
            listener.close()

    def close(self):
        try:
            os.kill(self.pid, 15)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass

    # --- child process ---
    def _serve(self):
        import selectors
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.sel = selectors.DefaultSelector()
        for index, listener in enumerate(self.listeners):
            listener.setblocking(False)
            self.sel.register(listener, selectors.EVENT_READ, ("listen", index))
        self.heads = {}  # socket -> [node index, bytes read so far]
        self.held = []  # (client socket, node index, rewritten head)
        self.arrived, self.first, self.open = 0, None, self.expected <= 1
        self.buffer = bytearray(1 << 18)
        while True:
            for key, mask in self.sel.select(timeout=0.1):
                kind, obj = key.data
                if kind == "listen":
                    self._accept(key.fileobj, obj)
                elif kind == "head":
                    self._read_head(key.fileobj)
                else:  # "pipes": (pipe reading from this socket, pipe writing to it)
                    reading, writing = obj
                    if mask & selectors.EVENT_WRITE:
                        self._flush(writing)
                    if mask & selectors.EVENT_READ:
                        self._pump(reading)
            if self.held and (self.open or time.monotonic() - self.first >= self.max_wait):
                self.open = True
                for client, index, head in self.held:
                    self._connect(client, index, head)
                self.held = []

    def _accept(self, listener, index):
        try:
            client, _ = listener.accept()
        except OSError:
            return
        client.setblocking(False)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.heads[client] = [index, b""]
        self.sel.register(client, 1, ("head", None))

    def _read_head(self, client):
        index, head = self.heads[client]
        try:
            chunk = client.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self.sel.unregister(client)
            del self.heads[client]
            client.close()
            return
        head += chunk
        self.heads[client][1] = head
        if b"\r\n\r\n" not in head and len(head) < 65536:
            return
        self.sel.unregister(client)
        del self.heads[client]
        if JOIN_LINE.match(head):
            line_end = head.index(b"\r\n")
            head = (b"POST /api/v1/meetings/" + self.meeting_id + b"/join " +
                    head[:line_end].rsplit(b" ", 1)[1] + head[line_end:])
            self.arrived += 1
            if self.first is None:
                self.first = time.monotonic()
            if self.arrived >= self.expected:
                self.open = True
            if not self.open:
                self.held.append((client, index, head))
                return
        self._connect(client, index, head)

    def _connect(self, client, index, head):
        upstream = socket.create_connection(("127.0.0.1", self.node_ports[index]))
        upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream.setblocking(False)
        up, down = _Pipe(client, upstream), _Pipe(upstream, client)
        up.pending += head
        self.sel.register(client, 1, ("pipes", (up, down)))
        self.sel.register(upstream, 1, ("pipes", (down, up)))
        self._flush(up)

    def _pump(self, pipe):
        try:
            n = pipe.src.recv_into(self.buffer)
        except BlockingIOError:
            return
        except OSError:
            n = 0
        if n == 0:
            return self._close(pipe)
        data = memoryview(self.buffer)[:n]
        if not pipe.pending:
            try:
                sent = pipe.dst.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                return self._close(pipe)
            data = data[sent:]
        if len(data):
            pipe.pending += data
            self._update(pipe)

    def _flush(self, pipe):
        if pipe.pending:
            try:
                sent = pipe.dst.send(pipe.pending)
            except BlockingIOError:
                sent = 0
            except OSError:
                return self._close(pipe)
            del pipe.pending[:sent]
        self._update(pipe)

    def _update(self, pipe):
        """dst wants EVENT_WRITE while pipe.pending is non-empty; src stops reading while it is large."""
        for sock in (pipe.src, pipe.dst):
            try:
                key = self.sel.get_key(sock)
            except (KeyError, ValueError):
                continue
            reading, writing = key.data[1]
            events = (0 if len(reading.pending) >= (1 << 22) else 1) | (2 if writing.pending else 0)
            if events != key.events:
                self.sel.modify(sock, events or 1, key.data)

    def _close(self, pipe):
        if pipe.pending:  # e.g. the end of a REST response before the server closed
            try:
                pipe.dst.settimeout(2)
                pipe.dst.sendall(pipe.pending)
            except OSError:
                pass
        for sock in (pipe.src, pipe.dst):
            try:
                self.sel.unregister(sock)
            except (KeyError, ValueError):
                pass
            sock.close()


# ---------------------------------------------------------------- processes and sampling

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(port):
    """videocall_* counters of one node's /metrics as {name: value} (labels dropped)."""
    values = {}
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("videocall_"):
                name, value = line.rsplit(" ", 1)
                name = name.split("{", 1)[0]
                values[name] = values.get(name, 0.0) + float(value)
    return values


def nats_varz(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/varz", timeout=10) as response:
        varz = json.loads(response.read())
    return {k: varz.get(k, 0) for k in ("in_msgs", "out_msgs", "in_bytes", "out_bytes")}


def stop(proc, timeout=20):
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Bot:
    """One videocall-bot process; a thread records when its phase lines appear."""

    def __init__(self, args, node, publishers, subscribers, url, fps, kbps, events, extra=()):
        self.node, self.publishers, self.subscribers = node, publishers, subscribers
        cmd = [args.bot_bin, "--server", url, "--meeting-prefix", "cb", "--publishers", str(publishers),
               "--subscribers", str(subscribers), "--duration", str(args.duration), "--fps", str(fps),
               "--bitrate-kbps", str(kbps), "--ramp-up", str(args.ramp_up), "--threads",
               str(args.bot_threads), "--join-timeout", "120", *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.publishing = self.draining = None
        self.stderr_tail = []
        self.events = events
        self.out = b""
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.stdout_reader = threading.Thread(target=self._read_stdout, daemon=True)
        self.stdout_reader.start()

    def _read_stderr(self):
        for line in self.proc.stderr:
            if b"phase=publishing" in line:
                self.publishing = time.monotonic()
                self.events.set()
            elif b"phase=draining" in line:
                self.draining = time.monotonic()
                self.events.set()
            else:
                self.stderr_tail = (self.stderr_tail + [line.decode(errors="replace").rstrip()])[-5:]
        self.events.set()

    def _read_stdout(self):
        self.out = self.proc.stdout.read()

    def summary(self, timeout):
        self.proc.wait(timeout=timeout)
        self.stdout_reader.join(timeout=10)
        return json.loads(self.out)


def snapshot(servers, nats, metric_ports, proxy):
    return {
        "t": time.monotonic(),
        "server_cpu": [cpu_seconds(s.pid) for s in servers],
        # The relay loop is the main thread; the others are libnats' threads (reader, flusher,
        # message delivery, timers) and the store pool, which is idle while media flows.
        "relay_cpu": [cpu_seconds(f"{s.pid}/task/{s.pid}") for s in servers],
        "nats_cpu": cpu_seconds(nats.pid),
        "proxy_cpu": cpu_seconds(proxy.pid) if proxy else 0.0,
        "metrics": [metrics(p) for p in metric_ports],
    }


def split(total, parts):
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def run_one(args, scenario, nodes, direct=False):
    workdir = tempfile.mkdtemp(prefix="vc-cluster-bench-")
    secret_file = os.path.join(workdir, "token_secret")
    with open(secret_file, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    os.chmod(secret_file, 0o600)
    nats = proxy = None
    servers, bots, logs = [], [], []
    try:
        nats_port, nats_mon = free_port(), free_port()
        nats = subprocess.Popen([args.nats_bin, "-a", "127.0.0.1", "-p", str(nats_port), "-m", str(nats_mon)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        node_ports = []
        for i in range(nodes):
            log = open(os.path.join(workdir, f"node{i + 1}.log"), "w")
            logs.append(log)
            server = subprocess.Popen([args.server_bin, "--listen", "127.0.0.1", "--port", "0", "--data-dir",
                                       os.path.join(workdir, f"node{i + 1}"), "--no-quic", "--log-level", "warn",
                                       "--nats-url", f"nats://127.0.0.1:{nats_port}",
                                       "--token-secret-file", secret_file,
                                       "--join-rate-exempt", "127.0.0.1"],  # loopback load
                                      stdout=subprocess.PIPE, stderr=log)
            servers.append(server)
            url = read_line_matching(server, server.stdout, r"listening on (\S+)", 60).group(1)
            node_ports.append(int(url.rsplit(":", 1)[1].strip("/")))
        time.sleep(1.5)  # heartbeats: every node knows every other before the first join

        meeting_id = f"cb-{scenario}-{nodes}-{secrets.token_hex(4)}"
        # (node, publishers, subscribers, extra bot flags): one bot process each.
        if scenario == "meeting":
            per_node = split(args.participants, nodes)
            speakers = split(min(args.speakers, args.participants), nodes)
            placement = []
            for n in range(nodes):
                placement.append((n, speakers[n], 0, ()))
                if per_node[n] > speakers[n]:  # cameras on, microphones muted
                    placement.append((n, per_node[n] - speakers[n], 0, ("--no-audio",)))
            placement = [p for p in placement if p[1] + p[2] > 0]
            fps, kbps = args.meeting_fps, args.meeting_kbps
        else:
            per_node = split(args.subscribers, nodes)
            placement = [(n, 1 if n == 0 else 0, per_node[n], ()) for n in range(nodes)]
            fps, kbps = 30, 1000
        total = sum(p + s for _, p, s, _ in placement)
        events = threading.Event()
        if not direct:
            proxy = JoinProxy(node_ports, meeting_id, total)
        for node, pubs, subs, extra in placement:
            port = node_ports[node] if direct else proxy.ports[node]
            bots.append(Bot(args, node, pubs, subs, f"http://127.0.0.1:{port}", fps, kbps, events, extra))

        load_before = os.getloadavg()
        before_all = [metrics(p) for p in node_ports]
        nats_before = nats_varz(nats_mon)
        deadline = time.monotonic() + 300
        while not all(b.publishing for b in bots):
            if any(b.proc.poll() is not None for b in bots) or time.monotonic() > deadline:
                raise RuntimeError("a bot ended or timed out before publishing: " +
                                   "; ".join(" | ".join(b.stderr_tail) for b in bots))
            events.wait(1)
            events.clear()
        skew = max(b.publishing for b in bots) - min(b.publishing for b in bots)
        time.sleep(args.settle)
        start = snapshot(servers, nats, node_ports, proxy)
        nats_start = nats_varz(nats_mon)
        rss_start = [rss_bytes(s.pid) for s in servers]
        while not any(b.draining for b in bots):
            if any(b.proc.poll() is not None for b in bots):
                raise RuntimeError("a bot ended before draining")
            events.wait(1)
            events.clear()
        end = snapshot(servers, nats, node_ports, proxy)
        nats_end = nats_varz(nats_mon)
        load_after = os.getloadavg()
        summaries = [b.summary(timeout=args.duration + 120) for b in bots]
        time.sleep(0.5)
        after_all = [metrics(p) for p in node_ports]
        nats_after = nats_varz(nats_mon)
        rss_end = [rss_bytes(s.pid) for s in servers]

        wall = end["t"] - start["t"]
        delta = lambda name: sum(e[name] - s.get(name, 0) for s, e in zip(start["metrics"], end["metrics"]))
        whole = lambda name: sum(a[name] - b.get(name, 0) for b, a in zip(before_all, after_all))
        server_cpu = sum(end["server_cpu"]) - sum(start["server_cpu"])
        nats_cpu = end["nats_cpu"] - start["nats_cpu"]
        relay_cpu = sum(end["relay_cpu"]) - sum(start["relay_cpu"])
        proxy_cpu = end["proxy_cpu"] - start["proxy_cpu"]
        forwarded = delta("videocall_frames_forwarded_total")
        media_in = delta("videocall_media_in_total")

        # Deliveries the bots should have seen over the whole run: every packet a publisher sent,
        # to every other participant of the meeting (all were joined before anyone published).
        sent_packets = sum((s["video"]["sent_per_publisher"] + s["audio"]["sent_per_publisher"]) * b.publishers
                           for s, b in zip(summaries, bots))
        expected = sent_packets * (total - 1)
        received = sum(s["latency_ms"]["all"].get("samples", 0) for s in summaries)
        lost = sum(s["video"]["lost"] + s["audio"]["lost"] for s in summaries)

        def latency(selected):
            """Sample-weighted p50 and the worst p99 over the selected bot processes."""
            stats = [s["latency_ms"]["all"] for s in selected if s["latency_ms"]["all"].get("samples")]
            if not stats:
                return None, None
            n = sum(x["samples"] for x in stats)
            return sum(x["p50"] * x["samples"] for x in stats) / n, max(x["p99"] for x in stats)

        p50, p99 = latency(summaries)
        local50, local99 = latency([s for s, b in zip(summaries, bots) if b.node == 0])
        remote50, remote99 = latency([s for s, b in zip(summaries, bots) if b.node != 0])
        return {
            "scenario": scenario,
            "nodes": nodes,
            "direct": direct,
            "participants": total,
            "placement": [{"node": n + 1, "publishers": p, "subscribers": s, "flags": " ".join(e)}
                          for n, p, s, e in placement],
            "window_s": wall,
            "publish_skew_ms": skew * 1000,
            "server_mcpu": 1000 * server_cpu / wall,
            "server_mcpu_per_node": [1000 * (e - s) / wall for s, e in zip(start["server_cpu"], end["server_cpu"])],
            "relay_thread_mcpu": 1000 * relay_cpu / wall,
            "other_threads_mcpu": 1000 * (server_cpu - relay_cpu) / wall,
            "nats_mcpu": 1000 * nats_cpu / wall,
            "proxy_mcpu": 1000 * proxy_cpu / wall,
            "frames_forwarded_per_s": forwarded / wall,
            "media_in_per_s": media_in / wall,
            "server_us_per_pkt": 1e6 * server_cpu / forwarded if forwarded else None,
            "server_nats_us_per_pkt": 1e6 * (server_cpu + nats_cpu) / forwarded if forwarded else None,
            "nats_msgs_in_per_s": (nats_end["in_msgs"] - nats_start["in_msgs"]) / wall,
            "nats_msgs_out_per_s": (nats_end["out_msgs"] - nats_start["out_msgs"]) / wall,
            "nats_total_msgs_in": nats_after["in_msgs"] - nats_before["in_msgs"],
            "latency_p50_ms": p50,
            "latency_p99_ms": p99,
            "local_p50_ms": local50, "local_p99_ms": local99,
            "remote_p50_ms": remote50, "remote_p99_ms": remote99,
            "per_bot_latency_ms": [s["latency_ms"]["all"] for s in summaries],
            "expected_deliveries": expected,
            "received": received,
            "missing": expected - received,
            "lost_seq_gaps": lost,
            "server_frames_forwarded_whole_run": whole("videocall_frames_forwarded_total"),
            "slow_receivers_closed": whole("videocall_slow_receivers_closed_total"),
            "joined": sum(s["participants"]["joined"] for s in summaries),
            "reconnects": sum(s["reconnects"] for s in summaries),
            "rss_mb_per_node": [max(a, b) / 2**20 for a, b in zip(rss_start, rss_end)],
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        }
    finally:
        for b in bots:
            stop(b.proc, timeout=30)
        if proxy is not None:
            proxy.close()
        for s in servers:
            stop(s)
        stop(nats)
        for log in logs:
            log.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", file=sys.stderr)


def machine():
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
    except OSError:
        pass
    return f"{cpu or platform.processor()}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def fmt(value, spec=".2f"):
    return "–" if value is None else format(value, spec)


def median_rows(results):
    """One row per (scenario, nodes, direct): the median of every number over the repeats."""
    groups = {}
    for r in results:
        groups.setdefault((r["scenario"], r["nodes"], r["direct"]), []).append(r)
    rows = []
    for runs in groups.values():
        row = dict(runs[0])
        for key, value in row.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values = sorted(r[key] for r in runs if r[key] is not None)
                row[key] = values[len(values) // 2] if values else None
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) for v in value):
                row[key] = [sorted(r[key][i] for r in runs)[len(runs) // 2] for i in range(len(value))]
        row["repeats"] = len(runs)
        rows.append(row)
    return rows


def print_tables(results, duration, repeats=1):
    print(f"Machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"{duration:g} s of publishing per run; median of {repeats} run(s) per row\n")
    for scenario in ("meeting", "fanout"):
        rows = [r for r in results if r["scenario"] == scenario]
        if not rows:
            continue
        if scenario == "meeting":
            speakers = sum(p["publishers"] for p in rows[0]["placement"] if "--no-audio" not in p["flags"])
            print(f"Scenario A, meeting: {rows[0]['participants']} participants, all publishing video, "
                  f"{speakers} of them audio too\n")
            lat_head = "p50 ms | p99 ms"
        else:
            print(f"Scenario B, fan-out: 1 publisher, {rows[0]['participants'] - 1} subscribers\n")
            lat_head = "p50 ms local / remote | p99 ms local / remote"
        print(f"| nodes | delivered pkt/s | server mCPU (per node) | non-relay threads mCPU | NATS mCPU | NATS msgs in/out per s "
              f"| server µs/pkt | +NATS µs/pkt | {lat_head} | missing / seq gaps | proxy mCPU | load 1m |")
        print("|---|" + "---:|" * 12)
        for r in rows:
            label = f"{r['nodes']}" + (" (direct, no proxy)" if r["direct"] else "")
            per_node = " + ".join(f"{x:.0f}" for x in r["server_mcpu_per_node"])
            if scenario == "meeting":
                lat = f"{fmt(r['latency_p50_ms'])} | {fmt(r['latency_p99_ms'])}"
            else:
                lat = (f"{fmt(r['local_p50_ms'])} / {fmt(r['remote_p50_ms'])} | "
                       f"{fmt(r['local_p99_ms'])} / {fmt(r['remote_p99_ms'])}")
            print(f"| {label} | {r['frames_forwarded_per_s']:.0f} | {r['server_mcpu']:.0f} ({per_node}) | "
                  f"{r['other_threads_mcpu']:.0f} | {r['nats_mcpu']:.0f} | {r['nats_msgs_in_per_s']:.0f} / {r['nats_msgs_out_per_s']:.0f} | "
                  f"{fmt(r['server_us_per_pkt'])} | {fmt(r['server_nats_us_per_pkt'])} | {lat} | "
                  f"{r['missing']} / {r['lost_seq_gaps']} | {r['proxy_mcpu']:.0f} | "
                  f"{r['loadavg_before'][0]:.1f} |")
        print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server-bin", default="build/dev/src/server/videocall-server")
    parser.add_argument("--bot-bin", help="default: the first videocall-bot found under build/{dev,client}")
    parser.add_argument("--nats-bin", default=shutil.which("nats-server") or "/usr/sbin/nats-server")
    parser.add_argument("--nodes", default="1,2,3")
    parser.add_argument("--scenarios", default="meeting,fanout")
    parser.add_argument("--participants", type=int, default=20, help="meeting scenario")
    parser.add_argument("--meeting-fps", type=int, default=15)
    parser.add_argument("--meeting-kbps", type=int, default=300)
    parser.add_argument("--speakers", type=int, default=20,
                        help="meeting participants that also publish audio (the rest: video only)")
    parser.add_argument("--subscribers", type=int, default=100, help="fanout scenario")
    parser.add_argument("--duration", type=float, default=20, help="seconds of publishing")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds skipped after publishing starts")
    parser.add_argument("--ramp-up", type=int, default=100)
    parser.add_argument("--bot-threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the table shows medians")
    parser.add_argument("--direct-baseline", action="store_true",
                        help="also run 1 node with the bot connected directly (no proxy)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories (logs)")
    parser.add_argument("--json", help="also write raw results here")
    args = parser.parse_args()
    if not args.bot_bin:
        candidates = ["build/dev/src/tools/bot/videocall-bot", "build/dev/src/tools/videocall-bot",
                      "build/client/src/tools/videocall-bot"]
        args.bot_bin = next((c for c in candidates if os.path.exists(c)), candidates[0])
    results = []
    for scenario in args.scenarios.split(","):
        runs = [(n, False) for n in (int(x) for x in args.nodes.split(","))]
        if args.direct_baseline:
            runs.insert(0, (1, True))
        for repeat in range(args.repeat):
            for nodes, direct in runs:  # interleaved, so slow drifts of machine load hit every row
                print(f"running {scenario} on {nodes} node(s){' direct' if direct else ''}, repeat "
                      f"{repeat + 1}/{args.repeat} (load {os.getloadavg()[0]:.1f}) ...", file=sys.stderr)
                results.append(run_one(args, scenario, nodes, direct))
                print(json.dumps(results[-1]), file=sys.stderr)
    print_tables(median_rows(results), args.duration, args.repeat)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine(), "args": vars(args), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
