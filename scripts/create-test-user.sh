#!/usr/bin/env bash
# Creates the unprivileged system user the scale tests run PostgreSQL as when the tests run as
# root (postgres refuses to start as root). Idempotent; called by scripts/deps.sh.
set -euo pipefail
USER_NAME=videocall-test
if id "$USER_NAME" >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$USER_NAME"
echo "deps: created system user $USER_NAME (runs PostgreSQL in the scale tests)"
