// LocalBus: an in-process bus. Every LocalBus attached to one LocalBusHub is a "node"; messages
// are copied into the hub's queue and delivered later (never inside publish(), so a handler never
// runs re-entrantly inside the room that published). The server's default single node uses one
// LocalBus alone on its hub: nothing is ever delivered, which is today's single-node behaviour.
// Unit tests attach several nodes to one hub and call deliver_all() to run the network.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/bus/bus.hpp"

namespace vc::bus {

class LocalBus;

class LocalBusHub {
 public:
  // `post` schedules a delivery pass on the owner's event loop; without it, call deliver_all().
  explicit LocalBusHub(std::function<void(std::function<void()>)> post = {})
      : post_(std::move(post)) {}

  // Delivers queued messages, including ones published while delivering. Returns how many.
  std::size_t deliver_all();
  // Simulates a bus outage for one node: it neither sends nor receives while down.
  void set_connected(LocalBus& bus, bool connected);

  static bool subject_matches(std::string_view pattern, std::string_view subject);

 private:
  friend class LocalBus;
  struct Pending {
    LocalBus* target;
    std::string subject;
    std::vector<uint8_t> data;
  };
  void attach(LocalBus* bus) { buses_.push_back(bus); }
  void detach(LocalBus* bus);
  void route(LocalBus* from, const std::string& subject, std::span<const uint8_t> data);

  std::function<void(std::function<void()>)> post_;
  std::vector<LocalBus*> buses_;
  std::deque<Pending> queue_;
  bool delivery_scheduled_ = false;
};

class LocalBus final : public Bus {
 public:
  explicit LocalBus(LocalBusHub& hub);
  ~LocalBus() override;
  LocalBus(const LocalBus&) = delete;
  LocalBus& operator=(const LocalBus&) = delete;

  void set_handler(BusHandler* handler) override { handler_ = handler; }
  bool publish(const std::string& subject, std::span<const uint8_t> data) override;
  SubscriptionId subscribe(const std::string& subject) override;
  void unsubscribe(SubscriptionId id) override;
  bool connected() const override { return connected_; }
  BusStats stats() const override { return stats_; }
  std::size_t subscription_count() const override { return subscriptions_.size(); }

 private:
  friend class LocalBusHub;
  bool wants(std::string_view subject) const;

  LocalBusHub& hub_;
  BusHandler* handler_ = nullptr;
  bool connected_ = true;
  SubscriptionId next_id_ = 1;
  std::vector<std::pair<SubscriptionId, std::string>> subscriptions_;
  BusStats stats_;
};

}  // namespace vc::bus
