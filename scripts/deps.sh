#!/usr/bin/env bash
# Installs every Debian package videocall-cpp needs to build, test and run.
# Idempotent: only missing packages are installed. Reasons for each choice: docs/DEPENDENCIES.md.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  clang-14 libclang-rt-14-dev libfuzzer-14-dev clang-format
  # server, client library and tools
  libboost1.81-dev libssl-dev
  libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libnghttp3-dev
  libprotobuf-dev protobuf-compiler
  libjwt-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libsqlite3-dev libpq-dev libnats-dev
  libvpx-dev libopus-dev libaom-dev libdav1d-dev libyuv-dev libasound2-dev
  libavformat-dev libavcodec-dev libavutil-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  nats-server postgresql chromium ffmpeg gnutls-bin procps python3
  # the Chromium <-> Firefox e2e test (web/e2e/firefox.test.mjs), driven by puppeteer-core
  firefox-esr
  # deployment tests (make test-deploy): container engine, compose, base image, linters
  podman runc uidmap slirp4netns fuse-overlayfs catatonit iptables
  golang-github-containernetworking-plugin-dnsname podman-compose debootstrap
  yamllint unzip systemd
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # The postgresql package starts a cluster on 5432; tests start their own on free ports.
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "deps: installing nodejs and npm"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
echo "deps: all present"

# Scale tests: PostgreSQL refuses to run as root; the tests run it as this system user.
"$(dirname "$0")/create-test-user.sh"
