#!/usr/bin/env python3
"""Integration tests for videocall-cli and videocall-bot against the real videocall-server.

Usage: client_integration_test.py TEST_NAME   (binaries from $VC_CLI, $VC_BOT, $VC_SERVER)
Exit status: 0 pass, 1 fail, 77 skipped (no server binary, or no ffprobe for record_stream).
Every wait is for an event (a line on a pipe, a process exit), bounded by a generous deadline
so a hung binary fails the test instead of blocking CTest forever.
"""
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

CLI = os.environ.get("VC_CLI", "")
BOT = os.environ.get("VC_BOT", "")
SERVER = os.environ.get("VC_SERVER", "")

# Exit codes, docs/CLIENT.md.
EXIT_UNREACHABLE, EXIT_REFUSED, EXIT_DEVICE, EXIT_BAD_FILE = 3, 4, 5, 6
SKIP = 77


class Skip(Exception):
    pass


def fail(message):
    raise AssertionError(message)


_buffers = {}


def wait_for_line(proc, pattern, deadline_s, stream="stdout"):
    """Reads lines from proc's pipe until one matches and returns the match.

    Reads the raw file descriptor with our own line buffer: mixing select() with Python's
    buffered readline() would leave complete lines hidden in Python's buffer while select()
    waits for more bytes.
    """
    regex = re.compile(pattern)
    fd = getattr(proc, stream).fileno()
    buffered = _buffers.setdefault(fd, bytearray())
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    end = time.monotonic() + deadline_s
    seen = []
    eof = False
    while True:
        while b"\n" in buffered:
            line, _, rest = bytes(buffered).partition(b"\n")
            buffered[:] = rest
            text = line.decode(errors="replace")
            seen.append(text)
            match = regex.search(text)
            if match:
                return match
        if eof or time.monotonic() >= end:
            break
        if not selector.select(timeout=max(0.0, end - time.monotonic())):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            eof = True  # the process closed its end (exited)
            buffered.extend(b"\n")
        buffered.extend(chunk)
    fail(f"no line matching {pattern!r} (got: {seen[-10:]}, exit={proc.poll()})")


class Server:
    def __init__(self, workdir, quic=False, port=0, env=None):
        if not SERVER or not os.access(SERVER, os.X_OK):
            raise Skip("videocall-server is not built")
        self.log = open(os.path.join(workdir, "server.log"), "a")
        self.proc = subprocess.Popen(
            [SERVER, "--listen", "127.0.0.1", "--port", str(port), "--data-dir", os.path.join(workdir, "data"),
             "--join-rate-exempt", "127.0.0.1"]  # bots join from loopback faster than the limit
            + ([] if quic else ["--no-quic"]),
            stdout=subprocess.PIPE, stderr=self.log, text=True, env={**os.environ, **(env or {})})
        match = wait_for_line(self.proc, r"videocall-server listening on (https?://[^\s]+)", 60)
        self.url = match.group(1).rstrip("/")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def run(args, timeout=120):
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def expect_exit(args, code, message_pattern, timeout=60):
    rc, out, err = run(args, timeout)
    if rc != code:
        fail(f"{args} exited {rc}, expected {code}; stderr: {err.strip()}")
    if not re.search(message_pattern, err, re.IGNORECASE):
        fail(f"{args}: stderr {err.strip()!r} does not match {message_pattern!r}")


def free_closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when we return: nothing listens there


# ---- tests ----

def run_bot_summary(server, args, participants, keys):
    """Runs videocall-bot against `server`; it must exit 0 with everyone joined. Returns its
    summary, after printing the sections named in `keys`."""
    rc, out, err = run([BOT, "--server", server.url] + args, timeout=180)
    if rc != 0:
        fail(f"videocall-bot exited {rc}: {err.strip()}")
    summary = json.loads(out)
    print(json.dumps({k: summary[k] for k in keys}, indent=1))
    if summary["participants"]["joined"] != participants:
        fail(f"not everyone joined: {summary['participants']}")
    return summary


def test_bot_no_loss(workdir):
    server = Server(workdir)
    try:
        summary = run_bot_summary(server, ["--publishers", "1", "--subscribers", "20", "--duration", "5",
                                           "--ramp-up", "100"], 21, ("participants", "video", "audio", "latency_ms"))
        for kind in ("video", "audio"):
            stats = summary[kind]
            if stats["expected"] != 20 * stats["sent_per_publisher"] or stats["expected"] == 0:
                fail(f"{kind}: unexpected expected count {stats}")
            if stats["lost"] != 0 or stats["missing"] != 0 or stats["received"] != stats["expected"]:
                fail(f"{kind}: loss {stats}")
    finally:
        server.stop()


def test_bot_simulcast_view(workdir):
    """--simulcast --view 2 --view-resolution 180 --speakers 1: everyone (3 publishers, 4
    subscribers) gets every frame of the 2 publishers it views, all of them the 180p encoding, no
    layer switch, nothing of the publisher it does not view; audio from the one speaker only."""
    server = Server(workdir)
    try:
        summary = run_bot_summary(server, ["--publishers", "3", "--subscribers", "4", "--simulcast", "--view", "2",
                                           "--view-resolution", "180", "--speakers", "1", "--duration", "4",
                                           "--transport", "websocket"], 7, ("pre_encode", "video", "audio", "view"))
        if [layer["height"] for layer in summary["pre_encode"]["layers"]] != [180, 360]:
            fail(f"expected a 180p + 360p ladder: {summary['pre_encode']}")
        video, audio = summary["video"], summary["audio"]
        if video["sent_per_publisher"] == 0 or video["expected"] != 7 * 2 * video["sent_per_publisher"]:
            fail(f"video: every participant views 2 publishers: {video}")
        if video["lost"] != 0 or video["received"] < video["expected"]:
            fail(f"video: loss {video}")
        if video["received_by_layer"] != [video["received"], 0, 0] or video["layer_switches"] != 0:
            fail(f"video: only the 180p encoding, no switch: {video}")
        if summary["view"]["unviewed_video_received"] != 0:
            fail(f"video of publishers not viewed arrived: {summary['view']}")
        # The speaker hears nobody; the 6 others hear it.
        if audio["expected"] != 6 * audio["sent_per_publisher"] or audio["received"] != audio["expected"]:
            fail(f"audio: one speaker: {audio}")
        if not summary["ok"]:
            fail("summary not ok")
    finally:
        server.stop()


def test_bot_shared_meeting(workdir):
    """Two bot processes in one --meeting: each sees the other's publisher, and each accounts loss
    and rates for its own publishers only (so received == expected, not more)."""
    server = Server(workdir)
    try:
        first = subprocess.Popen([BOT, "--server", server.url, "--meeting", "shared-bots", "--publishers", "1",
                                  "--subscribers", "2", "--duration", "6", "--transport", "websocket"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # Event, not a sleep: the first process is in the meeting and publishing.
            for line in first.stderr:
                if "phase=publishing" in line:
                    break
            else:
                fail("first bot never started publishing")
            rc, out, err = run([BOT, "--server", server.url, "--meeting", "shared-bots", "--publishers", "1",
                                "--subscribers", "1", "--duration", "2", "--transport", "websocket"], timeout=60)
            if rc != 0:
                fail(f"second bot exited {rc}: {err.strip()}")
            second = json.loads(out)
            first_out, _ = first.communicate(timeout=60)
        finally:
            if first.poll() is None:
                first.kill()
        if first.returncode != 0:
            fail(f"first bot exited {first.returncode}")
        first_summary = json.loads(first_out)
        for name, summary in (("first", first_summary), ("second", second)):
            video = summary["video"]
            if video["expected"] == 0 or video["received"] != video["expected"] or video["lost"] != 0:
                fail(f"{name}: own-publisher accounting off: {video}")
        # The second process's subscriber also received the first's publisher.
        own = second["video"]["received"] + second["audio"]["received"]
        if second["forwarded_packets"] <= own:
            fail(f"second bot saw no foreign publisher: forwarded {second['forwarded_packets']}, own {own}")
        expect_exit([BOT, "--meeting", "x", "--rooms", "2"], 2, "--meeting")
    finally:
        server.stop()


def metric_value(server, name):
    with urllib.request.urlopen(server.url + "/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return int(line.split()[1])
    return None


def test_token_renewal(workdir):
    """libvideocall renews its room token ahead of expiry (30 s tokens: renewed ~10 s before), so a
    reconnect late in a long call resumes the same participant."""
    server = Server(workdir, env={"VIDEOCALL_TOKEN_LIFETIME": "30"})
    try:
        if metric_value(server, "videocall_token_refreshes_total") != 0:
            fail("token refreshes before any client")
        rc, out, err = run([BOT, "--server", server.url, "--publishers", "1", "--subscribers", "1",
                            "--duration", "24", "--transport", "websocket"], timeout=120)
        if rc != 0:
            fail(f"videocall-bot exited {rc}: {err.strip()}")
        renewed = metric_value(server, "videocall_token_refreshes_total")
        if renewed is None or renewed < 2:
            fail(f"expected both participants to renew their 30 s tokens, got {renewed}")
        if not json.loads(out)["ok"]:
            fail("media was lost while tokens were renewed")
    finally:
        server.stop()


def run_bot_no_loss(server, transport, subscriber_transport, subscribers=3, seconds=3):
    """Runs 1 publisher + N subscribers; fails on any loss. Returns the summary."""
    rc, out, err = run([BOT, "--server", server.url, "--publishers", "1", "--subscribers", str(subscribers),
                        "--duration", str(seconds), "--transport", transport,
                        "--subscriber-transport", subscriber_transport], timeout=120)
    if rc != 0:
        fail(f"videocall-bot --transport {transport}/{subscriber_transport} exited {rc}: {err.strip()} {out}")
    summary = json.loads(out)
    for kind in ("video", "audio"):
        stats = summary[kind]
        if stats["expected"] == 0 or stats["lost"] != 0 or stats["received"] != stats["expected"]:
            fail(f"{transport}/{subscriber_transport} {kind}: loss {stats}")
    print(transport, subscriber_transport, json.dumps(summary["transport"]), summary["latency_ms"]["all"])
    return summary


def expect_transports(summary, publishers, subscribers):
    used = summary["transport"]
    for role, transport, count in (("publishers", publishers, 1), ("subscribers", subscribers, None)):
        want = count if count is not None else summary["scenario"]["subscribers_per_room"]
        if used[role][transport] != want:
            fail(f"{role}: expected {want} over {transport}, got {used[role]}")


def test_webtransport_media(workdir):
    # libvideocall over WebTransport exchanges media with libvideocall over WebSocket, both ways,
    # through the real server; `auto` picks WebTransport when the server offers it.
    server = Server(workdir, quic=True)
    try:
        expect_transports(run_bot_no_loss(server, "webtransport", "websocket"), "webtransport", "websocket")
        expect_transports(run_bot_no_loss(server, "websocket", "webtransport"), "websocket", "webtransport")
        expect_transports(run_bot_no_loss(server, "auto", "auto"), "webtransport", "webtransport")
    finally:
        server.stop()


def test_webtransport_fallback(workdir):
    # A server without QUIC: `auto` falls back to the WebSocket, `webtransport` fails clearly.
    server = Server(workdir, quic=False)
    try:
        expect_transports(run_bot_no_loss(server, "auto", "auto"), "websocket", "websocket")
        rc, out, err = run([BOT, "--server", server.url, "--publishers", "1", "--subscribers", "1",
                            "--duration", "1", "--transport", "webtransport"], timeout=60)
        if rc != EXIT_UNREACHABLE:
            fail(f"bot --transport webtransport against --no-quic exited {rc}, expected {EXIT_UNREACHABLE}")
        failures = json.loads(out)["participants"]["failures"]
        if not any(re.search(r"offers no WebTransport.*--no-quic", f) for f in failures):
            fail(f"unclear failure messages: {failures}")
        expect_exit([CLI, "stream", "--server", server.url, "--meeting", "m1", "--video-source", "testpattern",
                     "--audio-source", "tone", "--duration", "2", "--transport", "webtransport"],
                    EXIT_UNREACHABLE, r"offers no WebTransport")
    finally:
        server.stop()
    # An origin allowlist is for web pages: a native client sends no Origin, so its token alone
    # authorises it and it keeps WebTransport (docs/PROTOCOL.md §7).
    server = Server(workdir, quic=True, env={"VIDEOCALL_WT_ALLOWED_ORIGINS": "https://example.org"})
    try:
        expect_transports(run_bot_no_loss(server, "auto", "auto"), "webtransport", "webtransport")
    finally:
        server.stop()


def test_webtransport_reconnect(workdir):
    # A server restart (same port and token secret, new self-signed certificate) under a
    # `--transport webtransport` client: it reconnects, renews its token to learn the new
    # certificate hashes, and joins over WebTransport again.
    port = free_closed_port()
    server = Server(workdir, quic=True, port=port)
    stream = None
    try:
        stream = subprocess.Popen([CLI, "--log-level", "info", "stream", "--server", server.url,
                                   "--meeting", "restart", "--video-source", "testpattern",
                                   "--audio-source", "tone", "--transport", "webtransport"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_line(stream, r"joined meeting restart .* over webtransport", 30, "stderr")
        server.stop()
        server = Server(workdir, quic=True, port=port)
        wait_for_line(stream, r"joined meeting restart .* over webtransport", 60, "stderr")
        stream.send_signal(signal.SIGINT)
        if stream.wait(timeout=30) != 0:
            fail(f"stream exited {stream.returncode} after the reconnect")
        stream = None
    finally:
        if stream is not None:
            stream.kill()
        server.stop()


def test_unreachable_server(workdir):
    port = free_closed_port()
    expect_exit([CLI, "stream", "--server", f"http://127.0.0.1:{port}", "--meeting", "m1", "--duration", "2"],
                EXIT_UNREACHABLE, r"cannot connect|refused")
    expect_exit([CLI, "record", "--server", f"http://127.0.0.1:{port}", "--meeting", "m1", "-o", workdir],
                EXIT_UNREACHABLE, r"cannot connect|refused")
    rc, out, err = run([BOT, "--server", f"http://127.0.0.1:{port}", "--subscribers", "2", "--duration", "1"])
    if rc != EXIT_UNREACHABLE:
        fail(f"bot exited {rc} for an unreachable server: {err}")


def test_refused_token(workdir):
    server = Server(workdir)
    try:
        expect_exit([CLI, "stream", "--server", server.url, "--token", "not.a.valid-token", "--duration", "5"],
                    EXIT_REFUSED, r"token|4401|refused")
        expect_exit([CLI, "record", "--server", server.url, "--token", "not.a.valid-token", "-o", workdir],
                    EXIT_REFUSED, r"token|4401|refused")
    finally:
        server.stop()


def test_cli_chat(workdir):
    """videocall-cli chat: a follower prints another participant's messages as JSON lines, a late
    follower gets the history, and a too long message is refused (exit 1) without ending anyone."""
    server = Server(workdir)
    follower = None
    late = None
    try:
        base = [CLI, "chat", "--server", server.url, "--meeting", "clichat"]
        follower = subprocess.Popen(base + ["--name", "Follower", "--json", "--follow"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for_line(follower, r'"type":"joined"', 30)
        rc, out, err = run(base + ["--name", "Ada", "--send", "hello from the cli", "--send", "two\nlines",
                                   "--react", "\U0001F44D", "--raise-hand"], timeout=60)
        if rc != 0:
            fail(f"chat --send exited {rc}: {err}")
        if "Ada: hello from the cli" not in out or "Ada: two\\nlines" not in out:
            fail(f"the sender prints its own messages (newline escaped): {out!r}")
        line = wait_for_line(follower, r'^\{.*"type":"chat".*\}$', 30).group(0)
        got = json.loads(line)
        if got["text"] != "hello from the cli" or got["sender"] != "Ada" or got["sent_at_ms"] <= 0:
            fail(f"unexpected chat line {line}")
        second = json.loads(wait_for_line(follower, r'^\{.*"type":"chat".*\}$', 30).group(0))
        if second["text"] != "two\nlines":
            fail(f"unexpected second message {second}")
        wait_for_line(follower, r'^(?=.*"type":"reaction")(?=.*"name":"Ada").*$', 30)
        wait_for_line(follower, r'^(?=.*"type":"hand")(?=.*"name":"Ada")(?=.*"raised":true).*$', 30)

        rc, out, err = run(base + ["--name", "Mallory", "--send", "x" * 4001], timeout=60)
        if rc != 1 or "refused (4413)" not in err:
            fail(f"a too long message must be refused with 4413 (exit 1), got {rc}: {err}")

        late = subprocess.Popen(base + ["--name", "Late", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        history = [json.loads(wait_for_line(late, r'^\{.*"type":"chat".*\}$', 30).group(0))["text"] for _ in range(2)]
        if history != ["hello from the cli", "two\nlines"]:
            fail(f"a late joiner gets the history in order, got {history}")
        if follower.poll() is not None:
            fail("the follower must still be connected")
    finally:
        for proc in (follower, late):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        server.stop()


def test_missing_device(workdir):
    # Device errors are found before connecting, so no server is needed.
    expect_exit([CLI, "stream", "--meeting", "m1", "--video-device", "/dev/video-does-not-exist"],
                EXIT_DEVICE, r"cannot open camera")
    expect_exit([CLI, "stream", "--meeting", "m1", "--video-source", "none", "--audio-device", "hw:97,0"],
                EXIT_DEVICE, r"cannot open audio device")
    not_a_camera = os.path.join(workdir, "not-a-camera")
    open(not_a_camera, "w").close()
    expect_exit([CLI, "stream", "--meeting", "m1", "--video-device", not_a_camera], EXIT_DEVICE, r"V4L2")


def test_bad_file(workdir):
    garbage = os.path.join(workdir, "garbage.y4m")
    with open(garbage, "w") as f:
        f.write("this is not video\n")
    expect_exit([CLI, "stream", "--meeting", "m1", "--video-file", garbage], EXIT_BAD_FILE, r"not a YUV4MPEG2")
    expect_exit([CLI, "stream", "--meeting", "m1", "--video-file", os.path.join(workdir, "missing.y4m")],
                EXIT_BAD_FILE, r"cannot open video file")
    bad_wav = os.path.join(workdir, "bad.wav")
    with open(bad_wav, "wb") as f:
        f.write(b"RIFF\x00\x00\x00\x00WAVEjunk")
    expect_exit([CLI, "stream", "--meeting", "m1", "--audio-file", bad_wav], EXIT_BAD_FILE, r"bad.wav")


def ffprobe(*args):
    result = subprocess.run(["ffprobe", "-v", "error", *args], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        fail(f"ffprobe {args}: {result.stderr}")
    return result.stdout.strip()


def test_record_stream(workdir):
    if not shutil.which("ffprobe") or not shutil.which("ffmpeg"):
        raise Skip("ffprobe/ffmpeg not installed")
    server = Server(workdir)
    out_dir = os.path.join(workdir, "recordings")
    recorder = None
    try:
        recorder_log = open(os.path.join(workdir, "recorder.log"), "w")
        recorder = subprocess.Popen([CLI, "record", "--server", server.url, "--meeting", "rec", "-o", out_dir],
                                    stdout=subprocess.PIPE, stderr=recorder_log, text=True)
        wait_for_line(recorder, r"recording meeting rec", 30)
        seconds, fps = 10, 30
        rc, _, err = run([CLI, "stream", "--server", server.url, "--meeting", "rec", "--name", "Pattern Cam",
                          "--video-source", "testpattern", "--audio-source", "tone", "--fps", str(fps),
                          "--duration", str(seconds)], timeout=120)
        if rc != 0:
            fail(f"stream exited {rc}: {err}")
        sent = re.search(r"sent video_frames=(\d+) audio_frames=(\d+)", err)
        if not sent:
            fail(f"stream printed no counts: {err}")
        video_sent, audio_sent = int(sent.group(1)), int(sent.group(2))
        # The streamer left: the recorder finalises that participant's files (an event we wait for).
        files = {}
        for _ in range(2):
            match = wait_for_line(recorder, r"finished (\S+-(video|audio)\.webm) frames=(\d+)", 30)
            files[match.group(2)] = match.group(1)
        recorder.send_signal(signal.SIGINT)
        if recorder.wait(timeout=30) != 0:
            fail(f"recorder exited {recorder.returncode}: {open(recorder_log.name).read()}")
        recorder = None

        video, audio = files["video"], files["audio"]
        if "Pattern_Cam" not in os.path.basename(video):
            fail(f"file not named after the participant: {video}")
        # Decode every packet of both files (ffprobe -count_frames runs the decoders); any decoder
        # complaint on stderr, or a packet that yields no frame, fails the test.
        counts = {}
        for kind, path in (("video", video), ("audio", audio)):
            result = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-count_packets",
                                     "-show_entries", "stream=nb_read_frames,nb_read_packets", "-of", "csv=p=0", path],
                                    capture_output=True, text=True, timeout=120)
            if result.returncode != 0 or result.stderr.strip():
                fail(f"{path} does not decode cleanly: {result.stderr.strip()[:500]}")
            decoded, packets = (int(x) for x in result.stdout.strip().split(","))
            if decoded != packets or packets == 0:
                fail(f"{path}: {packets} packets but {decoded} decoded frames")
            counts[kind] = decoded
        frames = counts["video"]
        codec = ffprobe("-select_streams", "v:0", "-show_entries", "stream=codec_name", "-of", "csv=p=0", video)
        audio_s = float(ffprobe("-show_entries", "format=duration", "-of", "csv=p=0", audio))
        print(f"video: {frames} frames ({codec}), sent {video_sent}; audio: {audio_s:.2f} s, sent {audio_sent} x 20 ms")
        if codec != "vp9":
            fail(f"expected VP9, got {codec}")
        for name, got, want in (("video frames", frames, video_sent), ("video frames vs nominal", frames, seconds * fps),
                                ("audio seconds", audio_s, audio_sent * 0.02), ("audio seconds vs nominal", audio_s, seconds)):
            if abs(got - want) > 0.1 * want:
                fail(f"{name}: got {got}, expected {want} +-10%")
    finally:
        if recorder is not None:
            recorder.kill()
        server.stop()


def main(tests=None):
    """Runs the test named by argv[1], looked up in `tests` (a module's globals; default: these)."""
    name = sys.argv[1]
    test = (tests or globals()).get(f"test_{name}")
    if test is None:
        print(f"unknown test {name}")
        return 2
    workdir = tempfile.mkdtemp(prefix=f"vc-client-{name}-")
    try:
        test(workdir)
    except Skip as skip:
        print(f"SKIP: {skip}")
        return SKIP
    except AssertionError as error:
        print(f"FAIL: {error}")
        log = os.path.join(workdir, "server.log")
        if os.path.exists(log):
            print("---- server log (tail) ----")
            print("".join(open(log).readlines()[-30:]))
        return 1
    print("PASS")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
