#!/usr/bin/env python3
"""Mint a videocall room token in a site's backend (docs/BACKEND_TOKENS.md).

Standard library only: HS256 (HMAC-SHA256) over base64url(header).base64url(payload), keyed with
the bytes of the API secret. The API key and secret come from the environment, never from code:

    VIDEOCALL_API_KEY=site1 VIDEOCALL_API_SECRET=... \
        python3 mint_token.py --meeting standup --name "Grace" --user-id 42 --role viewer

prints the token; the browser opens https://meet.example.com/meeting/standup#token=<token>.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_room_token(api_key, api_secret, meeting, name, user_id, role="participant",
                    grants=None, ttl_seconds=3600):
    now = int(time.time())
    payload = {
        "iss": api_key,          # which API key signed it
        "sub": str(user_id),     # your stable user id: the same user always gets the same identity
        "mid": meeting,
        "name": name,
        "role": role,            # host, co-host, participant or viewer
        "iat": now,
        "exp": now + ttl_seconds,  # at most 24 h
    }
    if grants is not None:
        payload["grants"] = grants  # narrows the role, e.g. {"publish": ["microphone"], "chat": False}
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(payload, separators=(",", ":")).encode()))
    signature = hmac.new(api_secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(signature)


def main():
    parser = argparse.ArgumentParser(description="Mint a videocall room token")
    parser.add_argument("--meeting", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--user-id", required=True)
    parser.add_argument("--role", default="participant")
    parser.add_argument("--grants", help='JSON, e.g. \'{"publish": ["microphone"]}\'')
    parser.add_argument("--ttl", type=int, default=3600)
    args = parser.parse_args()
    key, secret = os.environ.get("VIDEOCALL_API_KEY"), os.environ.get("VIDEOCALL_API_SECRET")
    if not key or not secret:
        sys.exit("set VIDEOCALL_API_KEY and VIDEOCALL_API_SECRET")
    grants = json.loads(args.grants) if args.grants else None
    print(mint_room_token(key, secret, args.meeting, args.name, args.user_id, args.role, grants,
                          args.ttl))


if __name__ == "__main__":
    main()
