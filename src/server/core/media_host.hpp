// MediaHost: everything a media session (WebSocket or WebTransport) may use of the server, and
// nothing more. The transports depend on this narrow interface, not on ServerContext, which also
// holds the REST API's state (store, rate and connection limits, hooks). ServerContext provides
// the one implementation (make_media_host); tests/layers/check_layers.py keeps ws/ and
// webtransport/ from including server_context.hpp.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string_view>

#include "protocol/send_queue.hpp"
#include "server/auth/room_token.hpp"
#include "server/core/room_membership.hpp"
#include "server/room/endpoint.hpp"

namespace vc::core {

struct ServerContext;

// Media-session counters for /metrics. Touched only on the relay thread, so plain integers.
struct MediaMetrics {
  uint64_t tokens_refused = 0;  // media connections refused with 4401
  uint64_t ws_sessions_opened = 0;
  uint64_t ws_messages_in = 0;
  uint64_t ws_bytes_in = 0;
  uint64_t ws_frames_out = 0;
  uint64_t ws_bytes_out = 0;
  std::map<uint32_t, uint64_t> ws_closed_with_code;  // errors sent to clients, by code
};

// A live connection, so shutdown can end it: shut_down() politely (media sessions send 4503),
// force_close() by closing the socket once the grace period is over.
class LiveConnection {
 public:
  virtual ~LiveConnection() = default;
  virtual void shut_down() = 0;
  virtual void force_close() = 0;
};

// The settings a media session reads (a subset of ServerConfig).
struct MediaSessionSettings {
  uint32_t idle_timeout_s = 30;       // 4408 after this long without anything received
  bool test_fault_injection = false;  // --test-fault-injection (tests only)
};

class MediaHost {
 public:
  virtual ~MediaHost() = default;
  // The relay thread: sessions run their I/O and post their work here.
  virtual boost::asio::io_context& io() = 0;
  // Bytes held by every media session's send queue, against --max-send-queue-bytes.
  virtual SendQueueBudget& send_queue_budget() = 0;
  virtual MediaMetrics& metrics() = 0;
  virtual const MediaSessionSettings& settings() const = 0;
  virtual bool shutting_down() const = 0;
  // The room token of a media connection, checked with the server's keys (the session counts a
  // refusal in metrics().tokens_refused once it has told the client).
  virtual auth::VerifyResult verify_token(std::string_view token) = 0;
  // Shutdown ends the connections registered here (4503, then force_close after the grace).
  virtual void add_live(LiveConnection& connection) = 0;
  virtual void remove_live(LiveConnection& connection) = 0;
  // RoomMembership::join with the server's rooms, store and policies.
  virtual std::optional<HelloRefusal> join(RoomMembership& membership,
                                           const auth::RoomClaims& claims,
                                           const v1::Control& control, room::Endpoint& endpoint,
                                           std::string_view transport,
                                           const std::function<void()>& entering) = 0;
  // Where a handler's exception ends (counted, logged rate-limited); the caller then closes the
  // session that caused it.
  virtual void note_handler_exception(std::string_view where, std::string_view what) = 0;
};

std::unique_ptr<MediaHost> make_media_host(ServerContext& ctx);

}  // namespace vc::core
