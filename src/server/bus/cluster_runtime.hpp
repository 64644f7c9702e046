// ClusterRuntime: the bus and Cluster of one server process, on its relay io_context. With no
// NATS URL it runs a LocalBus alone (single node: nothing crosses a process boundary and rooms
// behave exactly as without a bus); with `--nats-url` it runs a NatsBus.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/bus/cluster.hpp"
#include "server/bus/local_bus.hpp"
#include "server/bus/nats_bus.hpp"

namespace vc::bus {

// Writes one Prometheus metric (name, type, help, value); same shape as core::MetricWriter.
using MetricWriter = std::function<void(std::string_view name, std::string_view type,
                                        std::string_view help, uint64_t value)>;

struct ClusterRuntimeOptions {
  NatsBusConfig nats;  // an empty url: single node on a LocalBus
  // Bus messages are authenticated with a key derived from this (the room token secret).
  std::vector<uint8_t> auth_secret;
};

class ClusterRuntime final : public RoomDirectory {
 public:
  using FindRoom = std::function<room::Room*(const std::string& meeting_id)>;

  // Throws std::runtime_error for a malformed NATS URL. A NATS server that is down is not an
  // error: the bus keeps retrying and local rooms work meanwhile.
  ClusterRuntime(boost::asio::io_context& io, const ClusterRuntimeOptions& options,
                 FindRoom find_room);
  ~ClusterRuntime() override;

  // Every room's observer: pass to RoomRegistry before the first room exists.
  room::RoomObserver* observer() { return cluster_.get(); }
  // Sends a goodbye so other nodes start the reconnect grace of our participants at once.
  void stop();

  const Cluster& cluster() const { return *cluster_; }
  bool query_roster(const std::string& meeting_id, RosterCallback done) {
    return cluster_->query_roster(meeting_id, std::move(done));
  }
  bool publish_stored_moderation(const std::string& meeting_id, const v1::HostClusterEvent& event) {
    return cluster_->publish_stored_moderation(meeting_id, event);
  }
  const Bus& bus() const { return *bus_; }
  bool clustered() const { return clustered_; }
  // Bus and cluster counters for /metrics (NATS traffic, links, lost nodes).
  void write_metrics(const MetricWriter& metric) const;

  room::Room* find_room(const std::string& meeting_id) override { return find_room_(meeting_id); }

 private:
  void arm_timer();

  FindRoom find_room_;
  LocalBusHub hub_;
  std::unique_ptr<Bus> bus_;
  std::unique_ptr<Cluster> cluster_;
  boost::asio::steady_timer timer_;
  bool clustered_ = false;
  bool stopped_ = false;
};

}  // namespace vc::bus
