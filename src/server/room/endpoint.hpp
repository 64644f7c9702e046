// Endpoint: a connected participant's transport as the room sees it. Implemented by the WebSocket
// session and the WebTransport session; the room never knows which.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "protocol/send_queue.hpp"

namespace vc::room {

class Endpoint {
 public:
  Endpoint() = default;
  // Server transports share the process-wide budget (ServerContext::send_queue_budget).
  Endpoint(SendQueueLimits limits, SendQueueBudget* budget) : queue_(limits, budget) {}
  virtual ~Endpoint() = default;

  // The room pushes outbound frames here, then calls on_queue_ready().
  SendQueue& queue() { return queue_; }

  // Frames were queued: start writing if no write is in flight. Must not call back into the room.
  virtual void on_queue_ready() = 0;

  // The transport's own view of this receiver's downlink in bits per second, if it has one
  // (WebTransport: the QUIC congestion window over the RTT while cwnd-limited,
  // quic/congestion_hint.hpp); the room's BandwidthEstimator takes it as an upper bound. Called
  // once per bandwidth sample (it may keep state). WebSocket has none: its estimate comes from the
  // send queue alone.
  virtual std::optional<uint64_t> transport_bandwidth_bps() { return std::nullopt; }

  // The room ends this connection: send Control.error{code, reason} if possible, then close.
  // Must not call back into the room synchronously.
  virtual void close_with_error(uint32_t code, std::string_view reason) = 0;

 private:
  SendQueue queue_;
};

}  // namespace vc::room
