// ServerContext: the process-wide state on the relay thread, used whole by the HTTP layer (REST
// API, router, listener) and the composition root. Media sessions see only its MediaHost view
// (media_host.hpp); main.cpp wires WebTransport's join info, shutdown and metrics hooks and the
// NATS bus in here.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/cidr.hpp"
#include "common/limits.hpp"
#include "common/token_bucket.hpp"
#include "server/auth/left_participants.hpp"
#include "server/auth/room_token.hpp"
#include "server/core/connection_limiter.hpp"
#include "server/core/media_host.hpp"
#include "server/core/metric_writer.hpp"
#include "server/core/moderation_sink.hpp"
#include "server/core/room_registry.hpp"
#include "server/core/server_config.hpp"
#include "server/store/meeting_store.hpp"

namespace vc::core {

// Counters for /metrics. Touched only on the relay thread, so plain integers.
struct ServerMetrics {
  uint64_t http_requests = 0;
  uint64_t http_responses_4xx = 0;
  uint64_t http_responses_5xx = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // per-address limit or shutting down
  uint64_t joins = 0;                // REST joins that issued a token
  uint64_t token_refreshes = 0;      // POST /meetings/{id}/token answered with a new token
  uint64_t rate_limited = 0;         // REST calls refused with 429
  MediaMetrics media;                // what the media sessions count (media_host.hpp)
  // Control and identity.
  uint64_t token_refreshes_refused_after_leave = 0;  // POST .../token after Control.leave: 403
  // HTTP and REST hardening.
  uint64_t handler_exceptions = 0;      // exceptions contained: that request/connection closed
  uint64_t accept_fd_exhausted = 0;     // accept failed with EMFILE/ENFILE: accepting paused
  uint64_t connections_over_limit = 0;  // refused at --max-connections
  uint64_t unsupported_media_type = 0;  // join/token calls refused with 415
};

// Lets one log line through per interval and counts what it held back, so an event that can
// repeat at line rate (accept failures, a handler that keeps throwing) cannot flood the log.
class LogRateLimiter {
 public:
  explicit LogRateLimiter(std::chrono::steady_clock::duration interval) : interval_(interval) {}
  // True when this occurrence may be logged; `suppressed` is then how many were held back since.
  bool allow(std::chrono::steady_clock::time_point now, uint64_t& suppressed);

 private:
  std::chrono::steady_clock::duration interval_;
  std::optional<std::chrono::steady_clock::time_point> last_;
  uint64_t held_back_ = 0;
};

// Token bucket per source address for REST calls that create state (joins, meetings). Addresses
// in `exempt` (--join-rate-exempt) are never limited; nothing is exempt by default.
class RateLimiter {
 public:
  RateLimiter(double burst, double per_second, std::vector<Cidr> exempt = {})
      : burst_(burst), per_second_(per_second), exempt_(std::move(exempt)) {}
  bool allow(const boost::asio::ip::address& address, std::chrono::steady_clock::time_point now);
  void set_exempt(std::vector<Cidr> exempt) { exempt_ = std::move(exempt); }

 private:
  double burst_;
  double per_second_;
  std::vector<Cidr> exempt_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

// Returns the `webtransport` object for a join response, or nothing when WebTransport is off.
// Called on the relay thread with the validated public host name (http/public_host.hpp).
using WebTransportInfoFn = std::function<std::optional<nlohmann::json>(std::string_view host)>;

// Asks the other nodes who is in a meeting this node has no members of; `done` runs later on the
// relay thread. Returns false (and never calls `done`) when it cannot ask. Set when clustered.
using RemoteRosterFn = std::function<bool(
    const std::string& meeting_id, std::function<void(const std::vector<v1::Participant>&)> done)>;

// Tells the other nodes that a meeting's moderation changed in the store here (the REST API on a
// node where nobody of it is connected), with the state after the change; a node where the meeting
// is live applies it as it applies a host action's event. Set when clustered.
using StoredModerationFn =
    std::function<void(const std::string& meeting_id, const v1::HostClusterEvent& event)>;

// Parses CIDRs already checked by parse_config (unparsable entries are skipped).
std::vector<Cidr> parse_cidrs(const std::vector<std::string>& texts);

struct ServerContext {
  ServerContext(ServerConfig config_in, boost::asio::io_context& io_in,
                boost::asio::thread_pool& store_pool_in, store::MeetingStore& store_in,
                const auth::RoomTokenService& tokens_in)
      : config(std::move(config_in)),
        io(io_in),
        store_pool(store_pool_in),
        store(store_in),
        tokens(tokens_in),
        rooms([] { return room::Clock::now(); }) {
    trusted_proxies = parse_cidrs(config.trusted_proxies);
    join_rate.set_exempt(parse_cidrs(config.join_rate_exempt));
    rooms.set_control_rate({config.control_burst, config.control_rate});
    rooms.set_forwarding({config.large_room_threshold, config.audio_top_k});
    moderation_sink = make_store_moderation_sink(*this);
    rooms.set_moderation_observer(moderation_sink.get());
  }

  ServerConfig config;
  boost::asio::io_context& io;           // the relay thread: rooms, sessions, HTTP
  boost::asio::thread_pool& store_pool;  // blocking store calls run here
  store::MeetingStore& store;
  const auth::RoomTokenService& tokens;
  RoomRegistry rooms;
  // Host actions persist through this (app/moderation_sink.hpp).
  std::unique_ptr<room::ModerationObserver> moderation_sink;
  // Bytes held by every media session's send queue, against --max-send-queue-bytes.
  SendQueueBudget send_queue_budget{static_cast<std::size_t>(config.max_send_queue_bytes)};
  ServerMetrics metrics;
  ConnectionLimiter connections;
  RateLimiter join_rate{limits::kJoinBurstPerAddress, limits::kJoinRatePerAddressPerSecond};
  auth::LeftParticipants left_participants{limits::kMaxRememberedLeftParticipants};
  std::unordered_set<LiveConnection*> media_sessions;  // WebSocket and WebTransport
  std::unordered_set<LiveConnection*> http_sessions;
  bool shutting_down = false;
  WebTransportInfoFn webtransport_info;
  RemoteRosterFn query_remote_roster;
  StoredModerationFn publish_stored_moderation;
  // Extra /metrics sources by name ("webtransport", "cluster"), called on the relay thread. A
  // source removes itself before it is destroyed.
  std::map<std::string, std::function<void(const MetricWriter&)>> metric_sources;
  // Called on the relay thread when shutdown starts (e.g. the QUIC endpoint stops receiving).
  std::vector<std::function<void()>> on_shutdown;
  // Peers whose Forwarded / X-Forwarded-For name the client (--trusted-proxy).
  std::vector<Cidr> trusted_proxies;
  LogRateLimiter handler_exception_log{limits::kRepeatedEventLogInterval};
};

// The one place a handler's exception ends: counts it, logs it (rate-limited) with where it was
// caught. The caller then closes only the request or connection that caused it.
void note_handler_exception(ServerContext& ctx, std::string_view where, std::string_view what);

}  // namespace vc::core
