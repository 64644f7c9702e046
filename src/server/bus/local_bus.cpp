#include "server/bus/local_bus.hpp"

#include <algorithm>

namespace vc::bus {

bool LocalBusHub::subject_matches(std::string_view pattern, std::string_view subject) {
  while (true) {
    const std::size_t p_dot = pattern.find('.');
    const std::size_t s_dot = subject.find('.');
    const std::string_view p_token = pattern.substr(0, p_dot);
    const std::string_view s_token = subject.substr(0, s_dot);
    if (p_token == ">") return !subject.empty();
    if (p_token != "*" && p_token != s_token) return false;
    if (p_dot == std::string_view::npos || s_dot == std::string_view::npos) {
      return p_dot == std::string_view::npos && s_dot == std::string_view::npos;
    }
    pattern.remove_prefix(p_dot + 1);
    subject.remove_prefix(s_dot + 1);
  }
}

void LocalBusHub::detach(LocalBus* bus) {
  buses_.erase(std::remove(buses_.begin(), buses_.end(), bus), buses_.end());
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(),
                              [bus](const Pending& p) { return p.target == bus; }),
               queue_.end());
}

void LocalBusHub::route(LocalBus* from, const std::string& subject, std::span<const uint8_t> data) {
  for (LocalBus* bus : buses_) {
    if (bus == from || !bus->connected_ || !bus->wants(subject)) continue;
    queue_.push_back(Pending{bus, subject, {data.begin(), data.end()}});
  }
  if (post_ && !queue_.empty() && !delivery_scheduled_) {
    delivery_scheduled_ = true;
    post_([this] {
      delivery_scheduled_ = false;
      deliver_all();
    });
  }
}

std::size_t LocalBusHub::deliver_all() {
  std::size_t delivered = 0;
  while (!queue_.empty()) {
    Pending next = std::move(queue_.front());
    queue_.pop_front();
    // Subscriptions may have changed since the message was queued (like NATS, after an UNSUB).
    if (!next.target->connected_ || !next.target->wants(next.subject)) continue;
    ++next.target->stats_.received;
    ++delivered;
    if (next.target->handler_ != nullptr) {
      next.target->handler_->on_bus_message(next.subject, next.data);
    }
  }
  return delivered;
}

void LocalBusHub::set_connected(LocalBus& bus, bool connected) {
  if (bus.connected_ == connected) return;
  bus.connected_ = connected;
  if (connected) ++bus.stats_.reconnects;
  if (bus.handler_ != nullptr) bus.handler_->on_bus_state(connected);
}

LocalBus::LocalBus(LocalBusHub& hub) : hub_(hub) {
  hub_.attach(this);
}

LocalBus::~LocalBus() {
  hub_.detach(this);
}

bool LocalBus::publish(const std::string& subject, std::span<const uint8_t> data) {
  if (!connected_) {
    ++stats_.publish_failed;
    return false;
  }
  ++stats_.published;
  hub_.route(this, subject, data);
  return true;
}

SubscriptionId LocalBus::subscribe(const std::string& subject) {
  const SubscriptionId id = next_id_++;
  subscriptions_.emplace_back(id, subject);
  return id;
}

void LocalBus::unsubscribe(SubscriptionId id) {
  subscriptions_.erase(std::remove_if(subscriptions_.begin(), subscriptions_.end(),
                                      [id](const auto& s) { return s.first == id; }),
                       subscriptions_.end());
}

bool LocalBus::wants(std::string_view subject) const {
  return std::any_of(subscriptions_.begin(), subscriptions_.end(), [&](const auto& s) {
    return LocalBusHub::subject_matches(s.second, subject);
  });
}

}  // namespace vc::bus
