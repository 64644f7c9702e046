#!/usr/bin/env bash
# Makes the Debian 12 base image localhost/debian:12-slim without any image registry (debootstrap
# from the host's apt mirror), once per machine: the image in podman's store is the cache.
# It is made again when this script changes, or with VC_REBUILD_BASE=1 (Debian security updates).
set -euo pipefail
IMAGE=${VC_BASE_IMAGE:-localhost/debian:12-slim}
recipe=$(sha256sum "$0" | cut -c1-16)

if [ -z "${VC_REBUILD_BASE:-}" ] && podman image exists "$IMAGE" &&
  [ "$(podman image inspect --format '{{index .Labels "videocall.base-recipe"}}' "$IMAGE")" = "$recipe" ]; then
  echo "base-image: $IMAGE cached"
  exit 0
fi

# The mirror apt uses on this host (deb822 or one-line format), else Debian's CDN.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -v security | head -n1 || true)
[ -n "$mirror" ] || mirror=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' \
  /etc/apt/sources.list 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/vc-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "base-image: debootstrap bookworm from $mirror (a few minutes, once per machine)"
start=$SECONDS
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log"
  exit 1
}
rootfs=$work/rootfs
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/{man,info,locale}/*
find "$rootfs/usr/share/doc" -type f ! -name copyright -delete
# The same suites as the official image, from this host's mirror.
security=${mirror%/debian}/debian-security
[ "$security" != "$mirror/debian-security" ] || security=http://deb.debian.org/debian-security
cat > "$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
# Like the official slim image: no documentation or man pages from later installs.
cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
DPKG
# Like the official image: apt keeps no downloaded packages in layers.
cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
echo 'APT::Install-Recommends "false";' > "$rootfs/etc/apt/apt.conf.d/no-recommends"
tar -C "$rootfs" -c . |
  podman import -q --change 'CMD ["/bin/bash"]' --change "LABEL videocall.base-recipe=$recipe" \
    - "$IMAGE" > /dev/null
echo "base-image: $IMAGE made in $((SECONDS - start)) s"
