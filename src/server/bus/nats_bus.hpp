// NatsBus: the Bus over a NATS server (libnats, the NATS C client).
//
// libnats calls us on its own threads. Those callbacks only move the message into a bounded
// inbox and, if the inbox was empty, post one drain to the owner's io_context, where the handler
// runs: rooms stay single-threaded. Inbox drop policy (drop-newest, counted): media is dropped once
// the inbox holds inbox_bytes or inbox_messages; control may use twice that, and if even that is
// exceeded it is dropped too and the handler gets on_bus_gap() to resynchronise.
//
// The connection never gives up: connect retries in the background if the server is down at
// start, reconnects forever, and libnats re-sends every subscription after a reconnect. While
// disconnected, publish() fails fast instead of buffering media for later.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/bus/bus.hpp"

struct __natsConnection;
struct __natsSubscription;

namespace vc::bus {

namespace detail {
struct NatsInbox;
}  // namespace detail

struct NatsBusConfig {
  // nats://host:port, or several separated by commas; user:password@ or token@ in a URL are the
  // credentials (never logged). tls:// requires TLS.
  std::string url;
  std::string creds_file;   // a NATS .creds file (user JWT + NKey seed); empty: none
  bool tls = false;         // require TLS even with nats:// URLs
  std::string tls_ca_file;  // PEM CA bundle that verifies the server; empty: system defaults
  std::string name = "videocall-server";
  std::size_t inbox_bytes = 32u << 20;
  std::size_t inbox_messages = 16384;
  std::chrono::milliseconds reconnect_wait{250};
  std::chrono::milliseconds ping_interval{2000};
};

class NatsBus final : public Bus {
 public:
  // Starts connecting (in the background if the server is not up yet). Returns null and sets
  // `error` only for configuration errors (a malformed URL).
  static std::unique_ptr<NatsBus> create(boost::asio::io_context& io, const NatsBusConfig& config,
                                         std::string& error);
  ~NatsBus() override;
  NatsBus(const NatsBus&) = delete;
  NatsBus& operator=(const NatsBus&) = delete;

  void set_handler(BusHandler* handler) override;
  bool publish(const std::string& subject, std::span<const uint8_t> data) override;
  SubscriptionId subscribe(const std::string& subject) override;
  void unsubscribe(SubscriptionId id) override;
  bool connected() const override;
  BusStats stats() const override;
  std::size_t subscription_count() const override { return subscriptions_.size(); }

 private:
  NatsBus() = default;

  // Shared with libnats threads and with drains posted to the io_context; libnats holds its own
  // reference until the connection's closed callback, so it outlives every callback.
  std::shared_ptr<detail::NatsInbox> inbox_;
  __natsConnection* connection_ = nullptr;
  SubscriptionId next_id_ = 1;
  std::unordered_map<SubscriptionId, __natsSubscription*> subscriptions_;
  uint64_t published_ = 0;
  uint64_t publish_failed_ = 0;
};

}  // namespace vc::bus
