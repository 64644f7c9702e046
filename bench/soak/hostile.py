"""The soak's raw-WebSocket participants, one thread each: reconnects, a slow reader, malformed
envelopes and a control flood. Each runs until `stop` is set and counts what happened."""
import collections
import os
import random
import threading
import time

import rawclient
from rawclient import Closed, WebSocket

MIB = 1024 * 1024


class Counters:
    def __init__(self):
        self._lock = threading.Lock()
        self._values = collections.Counter()

    def add(self, name, amount=1):
        with self._lock:
            self._values[name] += amount

    def snapshot(self):
        with self._lock:
            return dict(self._values)


def _pause(stop, seconds):
    return stop.wait(seconds)


def reconnector(base_url, meeting, counters, stop):
    """Joins, reads a few seconds, drops the TCP connection with a reset, and reconnects with the
    same token: within the reconnect grace (resume) or after it (the identity timed out). Every
    fifth cycle leaves on purpose and joins afresh."""
    rng = random.Random(1)
    ws = token = None
    cycle = 0
    while not stop.is_set():
        try:
            if token is None:
                joined = rawclient.join(base_url, meeting, f"reconnect-{cycle}")
                if not joined:
                    counters.add("reconnect_join_failed")
                    _pause(stop, 2)
                    continue
                token = joined["token"]
                counters.add("joins")
            ws = WebSocket(base_url, token)
            ws.send(rawclient.hello())
            ws.read_for(rng.uniform(2, 6))
            cycle += 1
            if cycle % 5 == 0:
                ws.send(rawclient.leave())
                ws.close()
                counters.add("leaves")
                token = None
            else:
                ws.abort()
                counters.add("reconnect_aborts")
            ws = None
            # 5 s is the reconnect grace (limits::kReconnectGrace): resume, or come back too late.
            _pause(stop, rng.choice([0.5, 1.5, 7.0]))
        except (Closed, OSError) as error:
            counters.add("reconnect_errors")
            counters.add(f"reconnect_error:{type(error).__name__}")
            if ws:
                ws.close()
            ws, token = None, None
            _pause(stop, 2)
    if ws:
        ws.close()


def slow_reader(base_url, meeting, counters, stop):
    """A participant that never reads (tiny receive window) but keeps the connection alive with
    WebSocket pings. When the server gives up on it, it comes back."""
    while not stop.is_set():
        ws = None
        try:
            connected = rawclient.connect_participant(base_url, meeting, "slow-reader", receive_buffer=4096)
            if not connected:
                counters.add("slow_reader_join_failed")
                _pause(stop, 2)
                continue
            ws, _ = connected
            counters.add("slow_reader_connects")
            while not stop.is_set():
                ws.send_frame(rawclient.OP_PING, b"soak")
                _pause(stop, 5)
        except OSError as error:
            # A reset means the server closed it; a timeout means the server stopped reading it.
            counters.add("slow_reader_dropped")
            counters.add(f"slow_reader_dropped:{type(error).__name__}")
        except Closed:
            counters.add("slow_reader_refused")
        if ws:
            ws.close()
        _pause(stop, 2)


def _oversized(ws):
    ws.send(rawclient.media(rawclient.KIND_AUDIO, 1, 1, os.urandom(MIB + 1024)))


def _huge_frame_header(ws):
    # Announces 5 MiB, sends 16 KiB: the WebSocket layer should refuse before reading the rest.
    ws.send_frame(rawclient.OP_BINARY, os.urandom(16384), declared_length=5 * MIB)


def _truncated(ws):
    envelope = rawclient.media(rawclient.KIND_VIDEO, 2, 7, os.urandom(900), keyframe=True)
    ws.send(envelope[:random.randint(1, len(envelope) - 1)])


MALFORMED = collections.OrderedDict([
    ("random_bytes", lambda ws: ws.send(os.urandom(random.randint(16, 512)))),
    ("truncated_protobuf", _truncated),
    ("oversized_envelope", _oversized),
    ("huge_frame_header", _huge_frame_header),
    ("text_message", lambda ws: ws.send_frame(rawclient.OP_TEXT, b'{"hello": 1}')),
    ("empty_envelope", lambda ws: ws.send(b"")),
    ("bad_media_kind", lambda ws: ws.send(rawclient.media(99, 1, 1, b"x" * 100))),
])


def malformed_sender(base_url, meeting, interval, counters, stop):
    """Every `interval` seconds one connection sends one kind of broken input (in rotation, half of
    them before Hello) and waits for the server to close it; counts kind:close-code."""
    kinds = list(MALFORMED.items())
    index = 0
    while not _pause(stop, interval):
        if index % len(kinds) == 0:
            bad_token(base_url, counters)
        name, send_bad = kinds[index % len(kinds)]
        before_hello = (index // len(kinds)) % 2 == 1
        index += 1
        ws = None
        try:
            joined = rawclient.join(base_url, meeting, f"malformed-{index}")
            if not joined:
                counters.add("malformed_join_failed")
                continue
            ws = WebSocket(base_url, joined["token"])
            if not before_hello:
                ws.send(rawclient.hello())
                ws.read_for(0.2)
            send_bad(ws)
            outcome = ws.wait_closed(12)
        except Closed as closed:
            outcome = ws.close_code if ws and ws.close_code else str(closed)
        except OSError as error:
            outcome = type(error).__name__
        counters.add("malformed_sent")
        counters.add(f"malformed:{name}{'/before_hello' if before_hello else ''}:{outcome}")
        if ws:
            ws.close()


def control_flood(base_url, meeting, rate, counters, stop):
    """One participant of the fan-out room sending `rate` control messages per second: half
    KeyframeRequests for the publisher with fresh random track ids, half MediaState toggles (each
    becomes a ParticipantUpdated to everyone). It reads what it receives (it is not a slow reader)."""
    rng = random.Random(2)
    while not stop.is_set():
        ws = None
        try:
            connected = rawclient.connect_participant(base_url, meeting, "control-flood")
            if not connected:
                counters.add("flood_join_failed")
                _pause(stop, 2)
                continue
            ws, joined = connected
            counters.add("flood_connects")
            targets = [i for i in ws.read_for(2.0) if i != joined["participant_id"]]
            publisher = targets[-1] if targets else 1
            tick, sent, mic = 0.05, 0, False
            per_tick = max(1, round(rate * tick))
            next_send = time.monotonic()
            while not stop.is_set():
                if time.monotonic() >= next_send:
                    for _ in range(per_tick):
                        if sent % 2 == 0:
                            ws.send(rawclient.keyframe_request(publisher, rawclient.KIND_VIDEO,
                                                               rng.getrandbits(32)))
                        else:
                            mic = not mic
                            ws.send(rawclient.media_state(mic, True))
                        sent += 1
                    counters.add("flood_sent", per_tick)
                    next_send += tick
                for message in ws.poll(max(0.0, next_send - time.monotonic())):
                    ids = rawclient.participant_ids(message)
                    if ids and rawclient.first(rawclient.parse_fields(message), 1) is not None:
                        publisher = ids[0]
        except Closed as closed:
            counters.add(f"flood_closed:{ws.close_code if ws else closed}")
        except OSError as error:
            counters.add(f"flood_closed:{type(error).__name__}")
        if ws:
            ws.close()
        _pause(stop, 1)


def bad_token(base_url, counters):
    """A WebSocket with a forged token: the server must answer 4401 and keep no state."""
    try:
        ws = WebSocket(base_url, "eyJhbGciOiJub25lIn0.e30.")
        counters.add(f"bad_token:{ws.wait_closed(5)}")
        ws.close()
    except (Closed, OSError) as error:
        counters.add(f"bad_token:{type(error).__name__}")
