#!/bin/bash
# Container entrypoint: runs videocall-server with the given arguments after two conveniences.
# - VIDEOCALL_DATABASE_FILE / VIDEOCALL_NATS_URL_FILE name a file (a compose or Kubernetes secret)
#   holding the URL, so a password in it never shows in the container's configuration.
# - VIDEOCALL_WAIT_FOR="host:port ..." waits until each accepts TCP (VIDEOCALL_WAIT_SECONDS, 60):
#   the server exits when PostgreSQL is unreachable at start, and compose starts services together.
set -euo pipefail

for name in VIDEOCALL_DATABASE VIDEOCALL_NATS_URL; do
  file_var=${name}_FILE
  if [ -n "${!file_var:-}" ]; then
    value=$(< "${!file_var}")
    export "$name=${value%%[[:space:]]}"
    unset "$file_var"
  fi
done

deadline=$((SECONDS + ${VIDEOCALL_WAIT_SECONDS:-60}))
for target in ${VIDEOCALL_WAIT_FOR:-}; do
  until (exec 3<> "/dev/tcp/${target%:*}/${target##*:}") 2> /dev/null; do
    if ((SECONDS >= deadline)); then
      echo "videocall-entrypoint: $target not reachable after ${VIDEOCALL_WAIT_SECONDS:-60} s" >&2
      exit 1
    fi
    sleep 1
  done
done
unset VIDEOCALL_WAIT_FOR VIDEOCALL_WAIT_SECONDS

exec /usr/local/bin/videocall-server "$@"
