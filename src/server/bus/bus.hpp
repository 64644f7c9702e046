// Bus: the publish/subscribe transport that lets a room span server nodes. Two implementations:
// LocalBus (in-process; the single-node default, and the hub unit tests use to run several nodes
// in one process) and NatsBus (a NATS server). The cross-node logic lives in Cluster, which only
// sees this interface.
//
// Threading: publish/subscribe/unsubscribe are called from the owner's event loop, and the handler
// is invoked on that same loop, never on a library thread. A bus never delivers a node's own
// publications back to it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace vc::bus {

using SubscriptionId = uint64_t;  // 0 is never a valid id

class BusHandler {
 public:
  virtual ~BusHandler() = default;
  virtual void on_bus_message(std::string_view subject, std::span<const uint8_t> data) = 0;
  // The connection to the bus went down or came back. Coming back implies messages were missed.
  virtual void on_bus_state(bool connected) = 0;
  // Inbound control messages were dropped (queue overflow): state must be resynchronised.
  virtual void on_bus_gap() = 0;
};

struct BusStats {
  uint64_t published = 0;
  uint64_t publish_failed = 0;
  uint64_t received = 0;
  uint64_t dropped_media = 0;    // inbound media dropped by the bounded queue
  uint64_t dropped_control = 0;  // inbound control dropped by the bounded queue (then resync)
  uint64_t reconnects = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  virtual void set_handler(BusHandler* handler) = 0;
  // Best effort: false when the message could not be handed to the bus.
  virtual bool publish(const std::string& subject, std::span<const uint8_t> data) = 0;
  // NATS subject syntax; `*` matches one token and `>` the rest. Returns 0 on failure.
  virtual SubscriptionId subscribe(const std::string& subject) = 0;
  virtual void unsubscribe(SubscriptionId id) = 0;
  virtual bool connected() const = 0;
  virtual BusStats stats() const = 0;
  virtual std::size_t subscription_count() const = 0;
};

}  // namespace vc::bus
