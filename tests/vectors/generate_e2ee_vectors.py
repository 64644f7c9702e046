#!/usr/bin/env python3
"""Generates e2ee.json: test vectors for docs/PROTOCOL.md §15 from an independent implementation
(python3-cryptography), checked by the C++ unit tests and the web unit tests alike."""
import hashlib
import json
import struct

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def hkdf(ikm, info, length):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(ikm)


def labelled(label, meeting):
    return label.encode() + struct.pack(">I", len(meeting)) + meeting.encode()


def routing_aad(h):
    return struct.pack(">IIIQBIIIIIIQ", h["kind"], h["track_id"], h["sequence"],
                       h["capture_time_us"], 1 if h["keyframe"] else 0, h["temporal_layer"],
                       h["spatial_layer"], h["audio_level"], h["codec"], h["width"], h["height"],
                       h["sender_participant_id"])


def frame(secret, key_id, counter, header, plaintext):
    key = hkdf(secret, b"videocall e2ee v1 frame key", 16)
    salt = hkdf(secret, b"videocall e2ee v1 frame salt", 12)
    nonce = salt[:4] + bytes(a ^ b for a, b in zip(salt[4:], struct.pack(">Q", counter)))
    e2ee_header = struct.pack(">BIQ", 1, key_id, counter)
    sealed = AESGCM(key).encrypt(nonce, plaintext, routing_aad(header) + e2ee_header)
    return key, salt, nonce, e2ee_header + sealed


meeting = "abc-defg-hij"
passphrase = "correct horse battery staple"
root = hashlib.pbkdf2_hmac("sha256", passphrase.encode(),
                           labelled("videocall e2ee v1 passphrase", meeting), 100000, 32)
sender_id, key_id = 42, 0x01020304
sender_secret = hkdf(root, labelled("videocall e2ee v1 sender", meeting) +
                     struct.pack(">QI", sender_id, key_id), 32)

header = {"kind": 2, "track_id": 2, "sequence": 17, "capture_time_us": 1764662400123456,
          "keyframe": True, "temporal_layer": 1, "spatial_layer": 2, "audio_level": 0,
          "codec": 2, "width": 1280, "height": 720, "sender_participant_id": sender_id}
plaintext = bytes(range(40))
counter = 7
key, salt, nonce, payload = frame(sender_secret, key_id, counter, header, plaintext)
ratcheted = hkdf(sender_secret, b"videocall e2ee v1 ratchet", 32)

a_private = bytes(range(1, 33))
b_private = bytes(range(101, 133))
a = X25519PrivateKey.from_private_bytes(a_private)
b = X25519PrivateKey.from_private_bytes(b_private)
raw = lambda k: k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
a_public, b_public = raw(a), raw(b)
a_id, b_id, wrap_key_id = 1001, 2002, 0x00000A01
shared = a.exchange(b.public_key())
pairwise = hkdf(shared, labelled("videocall e2ee v1 pairwise", meeting) +
                struct.pack(">Q", a_id) + a_public + struct.pack(">Q", b_id) + b_public, 32)
wrap_nonce = bytes(range(200, 212))
wrap_aad = b"videocall e2ee v1 key message" + struct.pack(">QQI", a_id, b_id, wrap_key_id)
sealed = wrap_nonce + AESGCM(pairwise).encrypt(wrap_nonce, sender_secret, wrap_aad)

safety_input = labelled("videocall e2ee v1 safety code", meeting)
for pid, pub in sorted([(b_id, b_public), (a_id, a_public)]):
    safety_input += struct.pack(">Q", pid) + pub
digest = hashlib.sha256(safety_input).digest()
safety = " ".join("%05d" % (struct.unpack(">I", digest[4 * i:4 * i + 4])[0] % 100000)
                  for i in range(6))

vectors = {
    "meeting_id": meeting,
    "passphrase": passphrase,
    "passphrase_root": root.hex(),
    "sender_id": sender_id,
    "key_id": key_id,
    "sender_secret": sender_secret.hex(),
    "frame_key": key.hex(),
    "frame_salt": salt.hex(),
    "header": header,
    "routing_aad": routing_aad(header).hex(),
    "counter": counter,
    "nonce": nonce.hex(),
    "plaintext": plaintext.hex(),
    "payload": payload.hex(),
    "ratcheted_secret": ratcheted.hex(),
    "pairwise": {
        "from_id": a_id, "to_id": b_id, "key_id": wrap_key_id,
        "from_private": a_private.hex(), "from_public": a_public.hex(),
        "to_private": b_private.hex(), "to_public": b_public.hex(),
        "sealed": sealed.hex(), "secret": sender_secret.hex(),
    },
    "safety_code": safety,
}
print(json.dumps(vectors, indent=2))
