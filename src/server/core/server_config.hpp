// The server's settings, as parsed by app/config.hpp (flags, environment, --config file). Read by
// every layer through ServerContext.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/limits.hpp"

namespace vc::core {

struct ServerConfig {
  std::string listen_address = "0.0.0.0";
  uint16_t port = 8080;
  std::string data_dir = "data";
  std::string web_root;  // resolved by parse_config when not given
  std::string cert_file;
  std::string key_file;
  std::string log_level = "info";
  // WebTransport (QUIC) endpoint; wired in by the WebTransport layer.
  bool no_quic = false;
  std::optional<uint16_t> quic_port;  // default: same number as the TCP port
  // QUIC address validation: Initials without a Retry token get a Retry once this many handshakes
  // are half-open (0: always); at most quic_max_half_open half-open handshakes.
  std::size_t quic_retry_threshold = limits::kQuicRetryThreshold;
  std::size_t quic_max_half_open = limits::kQuicMaxHalfOpen;
  // Origins allowed to open a WebTransport session; empty allows any (tokens still required).
  std::vector<std::string> wt_allowed_origins;
  // Scale-out (NATS bus, PostgreSQL store); empty means single node with SQLite.
  std::string nats_url;  // may carry user:password@ or token@ (never logged)
  // NATS credentials beyond the URL: a .creds file (JWT + NKey seed), and TLS (also implied by a
  // tls:// URL) optionally with a CA file to verify the server.
  std::string nats_creds_file;
  bool nats_tls = false;
  std::string nats_tls_ca_file;
  std::string database_url;
  // Room token signing secret (hex). Nodes of one deployment must share it; default:
  // <data-dir>/token_secret, generated on first start.
  std::string token_secret_file;
  // API keys with which a site's backend mints room tokens (docs/PROTOCOL.md §13): a file of
  // `key: secret` lines, and/or one key named here whose secret is VIDEOCALL_API_SECRET (never a
  // flag: it would show in ps).
  std::string api_key_file;
  std::string api_key;
  // Guest join (POST /api/v1/meetings/{id}/join by anyone with the link): on unless this is set;
  // then only tokens from a backend (or `videocall-server token create`) admit anyone.
  bool no_guest_join = false;
  // Public base URLs of the other nodes, handed to clients as reconnect alternatives.
  std::vector<std::string> peer_urls;
  // A media connection (WebSocket or QUIC) that receives nothing for this long is closed. Clients
  // ping well within it (browsers every 1 s, libvideocall every 10 s).
  uint32_t idle_timeout_s = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(limits::kIdleTimeout).count());
  // Room token lifetime in seconds (clients renew ahead of expiry).
  uint32_t token_lifetime_s = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(limits::kRoomTokenLifetime).count());

  // Queues and memory: bytes held by all send queues together (docs/SECURITY.md).
  uint64_t max_send_queue_bytes = limits::kSendQueueProcessBytes;
  // Control messages per participant: a token bucket (docs/PROTOCOL.md §4a).
  double control_burst = limits::kControlBurst;
  double control_rate = limits::kControlRatePerSecond;
  // Selective forwarding (docs/PROTOCOL.md §11.5).
  std::size_t large_room_threshold = limits::kLargeRoomThreshold;
  std::size_t audio_top_k = limits::kAudioTopK;

  // End-to-end encryption (docs/PROTOCOL.md §15.6): meetings whose participants must all encrypt
  // ("*": every meeting), until the per-meeting setting takes over (see e2ee_policy.hpp).
  std::vector<std::string> e2ee_required_meetings;

  // HTTP and REST hardening (docs/SECURITY.md "HTTP and REST").
  // Public base URL of this node; its host goes into WebTransport URLs (default: a valid Host).
  std::string public_url;
  // CIDRs of reverse proxies whose Forwarded / X-Forwarded-For headers are believed.
  std::vector<std::string> trusted_proxies;
  // CIDRs exempt from the join rate limit (load generators, bots); none by default.
  std::vector<std::string> join_rate_exempt;
  // Open TCP connections in total; 0 derives it from RLIMIT_NOFILE at start.
  std::size_t max_connections = 0;
  // Threads that write WebSocket media: the relay thread plus threads - 1 egress shards
  // (ws/egress_shards.hpp); 0 means one per CPU this process may run on.
  std::size_t threads = 0;
  // Integration tests only (hidden flag): /__test/throw* and a media trigger throw on purpose.
  bool test_fault_injection = false;

  bool tls() const { return !cert_file.empty(); }
};

}  // namespace vc::core
