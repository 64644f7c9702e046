#!/bin/bash
# First start: initdb, then role and database `videocall` (password from POSTGRES_PASSWORD_FILE).
# Every start: postgres in the foreground, password (scram-sha-256) logins over the network.
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
export PGDATA=/var/lib/postgresql/data
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  password=$(< "${POSTGRES_PASSWORD_FILE:?POSTGRES_PASSWORD_FILE must name the password file}")
  "$bin/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=peer --auth-host=scram-sha-256 > /dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  "$bin/pg_ctl" -D "$PGDATA" -w -s \
    -o "-c listen_addresses='' -c unix_socket_directories=/tmp" start
  "$bin/psql" -h /tmp -U postgres -q -v ON_ERROR_STOP=1 -v password="$password" <<'SQL'
CREATE ROLE videocall LOGIN PASSWORD :'password';
CREATE DATABASE videocall OWNER videocall;
SQL
  "$bin/pg_ctl" -D "$PGDATA" -w -s stop
fi
exec "$bin/postgres" -c listen_addresses='*' -c unix_socket_directories=/tmp
