#!/usr/bin/env bash
# Writes the secrets compose.yaml mounts, once (existing files are kept): the room-token secret
# shared by all nodes, the PostgreSQL password, and the database URL that carries it.
# The directory is private (0700); the files are 0644 because each container reads them as its own
# unprivileged user, which owns nothing on the host.
set -euo pipefail
dir=${1:-$(dirname "$0")/secrets}
umask 022
install -d -m 0700 "$dir"
random_hex() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }
[ -s "$dir/token_secret" ] || { random_hex > "$dir/token_secret"; echo "wrote $dir/token_secret"; }
if [ ! -s "$dir/postgres_password" ]; then
  random_hex > "$dir/postgres_password"
  echo "wrote $dir/postgres_password"
fi
printf 'postgres://videocall:%s@postgres:5432/videocall\n' "$(< "$dir/postgres_password")" \
  > "$dir/database_url"
chmod 0644 "$dir"/*
