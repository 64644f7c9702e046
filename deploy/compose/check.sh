#!/bin/bash
# Checker for the compose stack (deploy/compose/check.yaml), run in the videocall image:
# both nodes on the bus, the TLS proxy in front of them, and media between a bot on each node.
set -euo pipefail
fail() { echo "check: FAIL: $*" >&2; exit 1; }
metric() { curl -fsS --max-time 2 "http://$1:8080/metrics" | awk -v name="$2" '$1 == name { print $2 }'; }

# 1. Both nodes up and seeing each other on NATS (heartbeats every 0.5 s).
deadline=$((SECONDS + 90))
until [ "$(metric node1 videocall_cluster_remote_nodes 2> /dev/null)" = 1 ] &&
  [ "$(metric node2 videocall_cluster_remote_nodes 2> /dev/null)" = 1 ]; do
  ((SECONDS < deadline)) || fail "nodes did not see each other on the bus within 90 s"
  sleep 0.5
done
echo "check: node1 and node2 on the bus"

# 2. The proxy: TLS with its certificate, /healthz and the web app from the nodes, no /metrics.
tls=(--cacert /tls/fullchain.pem --max-time 5 -fsS)
until [ -s /tls/fullchain.pem ] && curl "${tls[@]}" -o /dev/null https://proxy/healthz 2> /dev/null; do
  ((SECONDS < deadline)) || fail "no TLS answer from the proxy"
  sleep 0.5
done
[ "$(curl "${tls[@]}" https://proxy/healthz)" = ok ] || fail "proxy /healthz"
curl "${tls[@]}" https://proxy/meeting/demo | grep -qi '<html' || fail "web app through the proxy"
code=$(curl --cacert /tls/fullchain.pem -s -o /dev/null -w '%{http_code}' https://proxy/metrics)
[ "$code" = 404 ] || fail "proxy publishes /metrics (HTTP $code)"
echo "check: proxy serves TLS, /healthz and the web app, hides /metrics"

# 3. One bot per node in one meeting: WebSocket on node1, WebTransport (UDP) on node2.
bot() {
  videocall-bot --server "http://$1:8080" --meeting deploy-check --transport "$2" \
    --publishers 1 --subscribers 1 --duration 6 --join-timeout 20 -o "/tmp/$1.json" > /dev/null
}
bot node1 websocket & bot1=$!
bot node2 webtransport & bot2=$!
wait "$bot1" || fail "videocall-bot on node1 exited with $?"
wait "$bot2" || fail "videocall-bot on node2 exited with $?"
for node in node1 node2; do
  forwarded=$(grep -o '"forwarded_packets": [0-9]*' "/tmp/$node.json" | grep -o '[0-9]*$')
  # Video plus audio packets one of its own publishers sent.
  own=$(grep -o '"sent_per_publisher": [0-9]*' "/tmp/$node.json" | awk '{ s += $2 } END { print s + 0 }')
  echo "check: $node bot forwarded_packets=$forwarded own_publisher_packets=$own"
  # Own subscriber gets own publisher (1x); both get the other node's publisher (about 2x more).
  ((forwarded * 2 > own * 3)) || fail "$node: too few packets from the other node"
  received=$(metric "$node" videocall_cluster_media_received_total)
  ((${received:-0} > 0)) || fail "$node received no media over NATS"
done
echo "check: media crossed both nodes; all checks passed"
