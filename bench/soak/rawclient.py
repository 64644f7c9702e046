"""Raw WebSocket participant for the soak driver: the meeting REST API, an RFC 6455 client and just
enough protobuf (docs/PROTOCOL.md, proto/videocall.proto) to send Hello, control messages and
deliberately broken envelopes. Python 3 stdlib only."""
import base64
import json
import os
import select
import socket
import struct
import time
import urllib.error
import urllib.parse
import urllib.request

# --- protobuf wire format (only what the hostile clients need) ---------------------------------


def varint(value):
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, data):
    return varint((number << 3) | 2) + varint(len(data)) + data


def parse_fields(data):
    """[(field number, value)]: ints for varints, bytes for length-delimited; None if malformed."""
    fields, pos = [], 0
    try:
        while pos < len(data):
            key, pos = _read_varint(data, pos)
            number, wire = key >> 3, key & 7
            if wire == 0:
                value, pos = _read_varint(data, pos)
            elif wire == 2:
                length, pos = _read_varint(data, pos)
                value, pos = data[pos:pos + length], pos + length
            elif wire == 1:
                value, pos = data[pos:pos + 8], pos + 8
            elif wire == 5:
                value, pos = data[pos:pos + 4], pos + 4
            else:
                return None
            fields.append((number, value))
    except IndexError:
        return None
    return fields


def _read_varint(data, pos):
    value, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def first(fields, number, default=None):
    for n, value in fields or ():
        if n == number:
            return value
    return default


KIND_AUDIO, KIND_VIDEO = 1, 2


def control(body_field, body):
    return field_bytes(2, field_bytes(body_field, body))


def hello(client="soak/raw"):
    return control(1, field_varint(1, 1) + field_bytes(2, client.encode()))


def keyframe_request(publisher_id, kind, track_id):
    return control(6, field_varint(1, publisher_id) + field_varint(2, kind) + field_varint(3, track_id))


def media_state(mic_on, camera_on):
    return control(8, field_varint(1, int(mic_on)) + field_varint(2, int(camera_on)))


def leave():
    return control(9, b"")


def media(kind, track_id, sequence, payload, keyframe=False):
    header = (field_varint(1, kind) + field_varint(2, track_id) + field_varint(3, sequence)
              + field_varint(4, int(time.time() * 1e6)) + field_varint(5, int(keyframe)))
    return field_bytes(1, field_bytes(1, header) + field_bytes(2, payload))


def participant_ids(envelope):
    """Participant ids an envelope names: roster of JoinAccepted, ParticipantJoined, and the
    server-stamped sender of a media envelope (the publisher a keyframe request can target)."""
    fields = parse_fields(envelope)
    ids = []
    media_body = first(fields, 1)
    if media_body is not None:
        header = parse_fields(first(parse_fields(media_body), 1, b""))
        sender = first(header, 14)
        return [sender] if sender else []
    ctrl = parse_fields(first(fields, 2, b""))
    accepted = first(ctrl, 2)
    if accepted is not None:
        for number, value in parse_fields(accepted) or ():
            if number == 5:
                ids.append(first(parse_fields(value), 1))
    joined = first(ctrl, 3)
    if joined is not None:
        ids.append(first(parse_fields(first(parse_fields(joined), 1, b"")), 1))
    return [i for i in ids if i]


def error_code(envelope):
    ctrl = parse_fields(first(parse_fields(envelope), 2, b""))
    err = first(ctrl, 7)
    return first(parse_fields(err), 1) if err is not None else None


# --- meeting REST API --------------------------------------------------------------------------


def join(base_url, meeting, name, timeout=10):
    """POST /api/v1/meetings/{meeting}/join; returns the response dict, or None (e.g. 429)."""
    request = urllib.request.Request(f"{base_url}/api/v1/meetings/{meeting}/join",
                                     data=json.dumps({"display_name": name}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


# --- RFC 6455 client ---------------------------------------------------------------------------

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 1, 2, 8, 9, 10


class Closed(Exception):
    pass


class WebSocket:
    """Blocking client socket with a frame parser over a byte buffer, so callers can poll with a
    timeout and never block on a half-received frame. Answers pings (the server's liveness check)."""

    def __init__(self, base_url, token, receive_buffer=None, timeout=10):
        parts = urllib.parse.urlsplit(base_url)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            # Before connect, so the advertised window stays small: a reader that never reads
            # then really does stop the server's writes.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect((parts.hostname, parts.port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /ws?token={token} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                           f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Closed("closed during upgrade")
            response += chunk
        head, _, self.buffer = response.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise Closed(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        self.buffer = bytearray(self.buffer)
        self.close_code = None

    def send_frame(self, opcode, payload, fin=True, declared_length=None):
        """One masked frame. declared_length lets a hostile caller announce more than it sends."""
        length = len(payload) if declared_length is None else declared_length
        head = bytearray([(0x80 if fin else 0) | opcode])
        if length < 126:
            head.append(0x80 | length)
        elif length < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", length)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload)) if len(payload) < 4096 else \
            _mask_large(payload, mask)
        self.sock.sendall(bytes(head) + mask + masked)

    def send(self, envelope):
        self.send_frame(OP_BINARY, envelope)

    def poll(self, timeout):
        """Reads what arrives within timeout; returns the complete binary messages (pings answered).
        Raises Closed on a close frame or EOF."""
        readable, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if readable:
            chunk = self.sock.recv(262144)
            if not chunk:
                raise Closed("eof")
            self.buffer += chunk
        messages = []
        while True:
            frame = self._take_frame()
            if frame is None:
                return messages
            opcode, payload = frame
            if opcode == OP_PING:
                self.send_frame(OP_PONG, payload)
            elif opcode == OP_CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed(f"close {self.close_code}")
            elif opcode in (OP_BINARY, OP_TEXT):
                messages.append(payload)

    def read_for(self, seconds):
        """Reads and discards for a while; returns the messages' participant ids seen."""
        ids = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for message in self.poll(end - time.monotonic()):
                ids += participant_ids(message)
        return ids

    def wait_closed(self, seconds):
        """Reads until the server closes; returns its close code (or 'eof'/'open'/'reset')."""
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                for message in self.poll(end - time.monotonic()):
                    code = error_code(message)
                    if code:
                        self.close_code = code
        except Closed:
            return self.close_code or "eof"
        except OSError:
            return "reset"
        return "open"

    def abort(self):
        """Drops the TCP connection with a reset (no close handshake), like a lost network."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.sock.close()

    def close(self):
        self.sock.close()

    def _take_frame(self):
        buf = self.buffer
        if len(buf) < 2:
            return None
        length, pos = buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                return None
            length, pos = struct.unpack("!H", buf[2:4])[0], 4
        elif length == 127:
            if len(buf) < 10:
                return None
            length, pos = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < pos + length:
            return None
        opcode, payload = buf[0] & 0x0F, bytes(buf[pos:pos + length])
        del buf[:pos + length]
        return opcode, payload


def _mask_large(payload, mask):
    repeated = (mask * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def connect_participant(base_url, meeting, name, receive_buffer=None):
    """Join over REST, open the WebSocket, send Hello. Returns (socket, join response) or None."""
    joined = join(base_url, meeting, name)
    if not joined:
        return None
    ws = WebSocket(base_url, joined["token"], receive_buffer)
    ws.send(hello())
    return ws, joined
