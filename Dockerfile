# videocall-server container image: Debian 12 build stage, slim Debian 12 runtime.
#   podman build --format docker -t videocall .   (or docker build)
#   podman run -p 8080:8080/tcp -p 8080:8080/udp -v videocall-data:/var/lib/videocall videocall
# Targets: `runtime` (default, last) compiles here; `prebuilt` copies binaries a host build already
# made (make test-deploy stages them in build/deploy), so tests never compile twice.
# BASE lets tests use a base image made locally with debootstrap (scripts/deploy/base-image.sh).
ARG BASE=debian:12-slim

# ---- runtime-base: shared libraries, user, config, volume, health check ----------------------
FROM ${BASE} AS runtime-base
# Runtime halves of the -dev packages in scripts/deps.sh; make test-deploy checks with ldd that
# nothing is missing. curl serves the health check.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates curl \
      libssl3 libgnutls30 libngtcp2-9 libngtcp2-crypto-gnutls2 libnghttp3-3 \
      libprotobuf-lite32 libjwt0 libspdlog1.10 libfmt9 libsqlite3-0 libpq5 libnats3.4 \
      libvpx7 libopus0 libaom3 libdav1d6 libyuv0 libasound2 \
      libavformat59 libavcodec59 libavutil57 \
 && rm -rf /var/lib/apt/lists/*
# A fixed uid/gid, so volume ownership and Kubernetes' runAsUser/fsGroup can name it.
RUN groupadd --system --gid 10001 videocall \
 && useradd --system --uid 10001 --gid videocall --home-dir /var/lib/videocall \
      --shell /usr/sbin/nologin videocall \
 && install -d -o videocall -g videocall -m 0700 /var/lib/videocall
COPY deploy/config/videocall.toml /etc/videocall/videocall.toml
COPY deploy/container/healthcheck.sh /usr/local/bin/videocall-healthcheck
COPY deploy/container/entrypoint.sh /usr/local/bin/videocall-entrypoint
# Settings come from this file, VIDEOCALL_* variables and flags (flags win, then variables).
ENV VIDEOCALL_CONFIG=/etc/videocall/videocall.toml
WORKDIR /var/lib/videocall
VOLUME ["/var/lib/videocall"]
# One port number for TCP (HTTP, REST, WebSocket) and UDP (WebTransport over QUIC).
EXPOSE 8080/tcp 8080/udp
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["videocall-healthcheck"]
USER videocall:videocall
# Runs videocall-server (arguments are its flags); see the script for *_FILE secrets and waiting.
ENTRYPOINT ["/usr/local/bin/videocall-entrypoint"]

# ---- prebuilt: what the host already built (before `build`, so podman never builds that) ----
FROM runtime-base AS prebuilt
COPY build/deploy/bin/ /usr/local/bin/
COPY build/deploy/web/ /usr/share/videocall/web/

# ---- build: the three programs and the web app ------------------------------------------------
FROM ${BASE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build ccache pkg-config ca-certificates \
      libboost1.81-dev libssl-dev \
      libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev libnghttp3-dev \
      libprotobuf-dev protobuf-compiler \
      libjwt-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev \
      libsqlite3-dev libpq-dev libnats-dev \
      libvpx-dev libopus-dev libaom-dev libdav1d-dev libyuv-dev libasound2-dev \
      libavformat-dev libavcodec-dev libavutil-dev \
      nodejs npm \
 && rm -rf /var/lib/apt/lists/*
# Debian 12's Node.js is 18; the web app needs 20. npm carries the official Node.js binaries.
ARG NODE_VERSION=20.20.2
# Behind a TLS-intercepting proxy, hand npm its CA: -v /etc/ssl/certs:/etc/ssl/certs:ro
# --build-arg NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt (build stage only).
ARG NODE_EXTRA_CA_CERTS=
RUN case "$(dpkg --print-architecture)" in amd64) arch=x64 ;; arm64) arch=arm64 ;; \
      *) echo "no Node.js package for $(dpkg --print-architecture)"; exit 1 ;; esac \
 && npm install --prefix /opt/node --ignore-scripts --no-audit --no-fund \
      "node-linux-$arch@$NODE_VERSION" \
 && ln -s "/opt/node/node_modules/node-linux-$arch/bin/node" /usr/local/bin/node
WORKDIR /src
# Web dependencies first: this layer is reused until the lock file changes.
COPY web/package.json web/package-lock.json web/
RUN cd web && npm ci --no-audit --no-fund
COPY . .
RUN cd web && npm run build
# The same flags as the tested dev build (RelWithDebInfo), then stripped. The cache mount keeps
# ccache's objects between image builds.
ENV CCACHE_DIR=/root/.cache/ccache CCACHE_BASEDIR=/src CCACHE_NOHASHDIR=1
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake --preset dev -DVC_BUILD_TESTS=OFF > /dev/null \
 && cmake --build --preset dev -j "$(nproc)" \
      --target videocall-server videocall-cli videocall-bot \
 && install -d /out/bin \
 && for p in server/videocall-server tools/videocall-cli tools/videocall-bot; do \
      strip --strip-debug -o "/out/bin/${p#*/}" "build/dev/src/$p"; done

# ---- runtime (default target) ----------------------------------------------------------------
FROM runtime-base AS runtime
COPY --from=build /out/bin/ /usr/local/bin/
COPY --from=build /src/web/dist/ /usr/share/videocall/web/
