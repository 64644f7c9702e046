#!/usr/bin/env python3
"""videocall-cli simulcast and subscriptions against the real videocall-server (the harness and
conventions of client_integration_test.py).

Usage: cli_simulcast_test.py TEST_NAME   (binaries from $VC_CLI, $VC_BOT, $VC_SERVER)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request

from client_integration_test import (BOT, CLI, Server, expect_exit, fail, ffprobe, free_closed_port, main, run,
                                     wait_for_line)


def start_recorder(server, meeting, out_dir, extra, log_path):
    log = open(log_path, "w")
    proc = subprocess.Popen([CLI, "record", "--server", server.url, "--meeting", meeting, "-o", out_dir] + extra,
                            stdout=subprocess.PIPE, stderr=log, text=True)
    wait_for_line(proc, rf"recording meeting {meeting}", 30)
    return proc


def finished_files(recorder, kinds):
    """Waits for the recorder's `finished` line of each kind; returns {kind: (path, frames, sizes)}
    with sizes {"WxH": frames} (video only)."""
    files = {}
    while not set(kinds) <= set(files):
        match = wait_for_line(recorder, r"finished (\S+-(video|audio)\.webm) frames=(\d+)(?: sizes=(\S+))?", 30)
        sizes = dict((size, int(n)) for size, n in (item.split(":") for item in (match.group(4) or "").split(",") if item))
        files[match.group(2)] = (match.group(1), int(match.group(3)), sizes)
    return files


def test_stream_simulcast(workdir):
    """`stream --simulcast` at 640x360 announces 320x180 and 640x360 encodings; a recorder with
    `--view-resolution 180p` receives only the 320x180 one, recorders at 360p and at the default
    (highest) the 640x360 one, and one with `--pause-video` no video at all."""
    server = Server(workdir)
    wanted = {"low": ["--view-resolution", "180p"], "high": ["--view-resolution", "640x360"], "default": [],
              "audio": ["--pause-video"]}
    recorders, stream = {}, None
    try:
        for name, extra in wanted.items():
            recorders[name] = start_recorder(server, "sim", os.path.join(workdir, name), extra,
                                             os.path.join(workdir, f"recorder-{name}.log"))
        stream = subprocess.Popen([CLI, "stream", "--server", server.url, "--meeting", "sim", "--name", "simcam",
                                   "--simulcast", "--resolution", "640x360", "--fps", "15", "--duration", "6"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for_line(stream, r"publishing vp9 L1T3 camera: 320x180@150kbps 640x360@500kbps$", 30, stream="stderr")
        wait_for_line(recorders["low"], r"started \S+-video\.webm", 30)
        # The announced track, as every peer (and the REST API) sees it.
        with urllib.request.urlopen(f"{server.url}/api/v1/meetings/sim/participants", timeout=10) as response:
            roster = json.load(response)["participants"]
        cams = [t for p in roster if p["display_name"] == "simcam" for t in p["tracks"] if t["source"] == "camera"]
        if len(cams) != 1 or cams[0]["layers"] != [{"width": 320, "height": 180}, {"width": 640, "height": 360}]:
            fail(f"camera track does not announce both encodings: {roster}")
        if stream.wait(timeout=60) != 0:
            fail(f"stream exited {stream.returncode}")
        sent = int(wait_for_line(stream, r"sent video_frames=(\d+)", 10, stream="stderr").group(1))
        stream = None
        results = {}
        for name, recorder in recorders.items():
            results[name] = finished_files(recorder, ["audio"] if name == "audio" else ["video", "audio"])
            recorder.send_signal(signal.SIGINT)
            if recorder.wait(timeout=30) != 0:
                fail(f"recorder {name} exited {recorder.returncode}")
        recorders = {}
        print(json.dumps({"sent": sent, **{name: {k: v[1:] for k, v in r.items()} for name, r in results.items()}}))
        for name, size in (("low", "320x180"), ("high", "640x360"), ("default", "640x360")):
            _, frames, sizes = results[name]["video"]
            # Everything of one encoding; nearly every frame sent (the recorders joined first).
            if list(sizes) != [size] or frames < 0.8 * sent:
                fail(f"recorder {name}: expected ~{sent} frames of {size} only, got {frames} {sizes}")
            if shutil.which("ffprobe"):
                dims = ffprobe("-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0",
                               results[name]["video"][0])
                if dims != size.replace("x", ","):
                    fail(f"recorder {name}: file is {dims}, expected {size}")
        if any(f.endswith("-video.webm") for f in os.listdir(os.path.join(workdir, "audio"))):
            fail("the --pause-video recorder recorded video")
    finally:
        for proc in list(recorders.values()) + ([stream] if stream else []):
            proc.kill()
        server.stop()


def test_cli_arguments(workdir):
    """Bad subscription and simulcast arguments: a clear message and exit 2, before any connection."""
    port = free_closed_port()  # nothing listens: an argument error must come first
    server = ["--server", f"http://127.0.0.1:{port}", "--meeting", "m1"]
    for value in ("999x", "0", "tall", "360i", "1281x720"):
        expect_exit([CLI, "record", *server, "-o", workdir, "--view-resolution", value], 2,
                    rf"--view-resolution must be HEIGHT, HEIGHTp or WIDTHxHEIGHT.*not '{value}'")
    expect_exit([CLI, "record", *server, "-o", workdir, "--view-resolution", "180p", "--pause-video"], 2,
                r"excludes")
    expect_exit([CLI, "stream", *server, "--simulcast", "--resolution", "320x180"], 2,
                r"--simulcast needs a --resolution at least 360")
    expect_exit([CLI, "stream", *server, "--simulcast", "--bitrate-kbps", "300"], 2, r"excludes")
    expect_exit([BOT, *server[:2], "--view", "1", "--view-resolution", "huge"], 2,
                r"--view-resolution must be .*not 'huge'")
    for tool in ([CLI, "record"], [BOT]):
        rc, out, _ = run([*tool, "--help"])
        if rc != 0 or "--view-resolution" not in out or "HEIGHTp" not in out:
            fail(f"{tool} --help does not describe --view-resolution the same way: {out}")


if __name__ == "__main__":
    sys.exit(main(globals()))
