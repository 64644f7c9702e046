#!/usr/bin/env bash
# `make install`: installs the built server, tools, web app, an example config and the systemd
# unit, Debian style: programs under PREFIX (/usr/local), configuration under /etc/videocall,
# state in /var/lib/videocall (made by systemd). DESTDIR stages everything under another root.
# Existing configuration and secrets are never overwritten.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build/dev}
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
root=$DESTDIR
share=$PREFIX/share/videocall

for program in server/videocall-server tools/videocall-cli tools/videocall-bot; do
  [ -x "$BUILD_DIR/src/$program" ] || { echo "install: $BUILD_DIR/src/$program missing: make build first" >&2; exit 1; }
done
[ -f web/dist/index.html ] || { echo "install: web/dist missing: make web first" >&2; exit 1; }

install -d "$root$PREFIX/bin" "$root$share/web" "$root$PREFIX/share/doc/videocall" \
  "$root/etc/systemd/system"
install -d -m 0755 "$root/etc/videocall"
for program in server/videocall-server tools/videocall-cli tools/videocall-bot; do
  # Debug info stays in the build tree.
  install -m 0755 --strip "$BUILD_DIR/src/$program" "$root$PREFIX/bin/"
done
rm -rf "${root:?}$share/web"
cp -r web/dist "$root$share/web"
chmod -R u=rwX,go=rX "$root$share/web"
install -m 0644 docs/DEPLOYMENT.md deploy/grafana/videocall.json "$root$PREFIX/share/doc/videocall/"
install -m 0644 deploy/config/videocall.toml "$root$share/videocall.toml.example"

# Paths in the unit and the config follow PREFIX.
sed "s|/usr/local/|$PREFIX/|g" deploy/systemd/videocall-server.service \
  > "$root/etc/systemd/system/videocall-server.service"
chmod 0644 "$root/etc/systemd/system/videocall-server.service"
if [ ! -e "$root/etc/videocall/videocall.toml" ]; then
  sed "s|^web-root = .*|web-root = \"$share/web\"|" deploy/config/videocall.toml \
    > "$root/etc/videocall/videocall.toml"
  chmod 0644 "$root/etc/videocall/videocall.toml"
  echo "install: wrote /etc/videocall/videocall.toml"
fi
if [ ! -e "$root/etc/videocall/token_secret" ]; then
  (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' > "$root/etc/videocall/token_secret")
  echo "install: wrote /etc/videocall/token_secret (copy this one file to every node)"
fi

if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  echo "install: done; start with: systemctl enable --now videocall-server"
else
  echo "install: done under ${DESTDIR:-/}"
fi
