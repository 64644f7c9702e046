#!/bin/sh
# Container HEALTHCHECK: /healthz answers 200 "ok" (503 while shutting down). Plain HTTP unless the
# server has --cert, then HTTPS (its certificate need not match 127.0.0.1). The port is
# VIDEOCALL_PORT (default 8080): set it there, not only in the config file, if you change it.
port=${VIDEOCALL_PORT:-8080}
curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null ||
  exec curl -fsSk -o /dev/null --max-time 2 "https://127.0.0.1:$port/healthz"
