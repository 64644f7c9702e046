#include "server/bus/cluster_runtime.hpp"

#include <stdexcept>

#include "common/log.hpp"
#include "server/bus/nats_bus.hpp"

namespace vc::bus {

namespace {
// Heartbeats and liveness checks run on this tick (well under ClusterConfig::heartbeat_interval).
constexpr auto kTick = std::chrono::milliseconds(100);
}  // namespace

ClusterRuntime::ClusterRuntime(boost::asio::io_context& io, const ClusterRuntimeOptions& options,
                               FindRoom find_room)
    : find_room_(std::move(find_room)), timer_(io) {
  if (options.nats.url.empty()) {
    bus_ = std::make_unique<LocalBus>(hub_);
  } else {
    std::string error;
    bus_ = NatsBus::create(io, options.nats, error);
    if (!bus_) throw std::runtime_error(error);
    clustered_ = true;
  }
  ClusterConfig config;
  config.auth_secret = options.auth_secret;
  cluster_ = std::make_unique<Cluster>(
      *bus_, *this, [] { return room::Clock::now(); }, Cluster::random_node_id(),
      std::move(config));
  cluster_->start();
  VC_LOG_INFO("event=bus bus={} node={:016x}", clustered_ ? "nats" : "local", cluster_->node_id());
  arm_timer();
}

ClusterRuntime::~ClusterRuntime() {
  timer_.cancel();
  cluster_.reset();
}

void ClusterRuntime::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  cluster_->stop();
}

void ClusterRuntime::arm_timer() {
  timer_.expires_after(kTick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    cluster_->on_tick();
    arm_timer();
  });
}

void ClusterRuntime::write_metrics(const MetricWriter& metric) const {
  const BusStats bus = bus_->stats();
  const ClusterStats& cluster = cluster_->stats();
  metric("videocall_bus_connected", "gauge", "1 while the bus (NATS) connection is up",
         bus_->connected() ? 1 : 0);
  metric("videocall_bus_published_total", "counter", "Messages published to the bus",
         bus.published);
  metric("videocall_bus_publish_failed_total", "counter", "Bus publishes that failed",
         bus.publish_failed);
  metric("videocall_bus_received_total", "counter", "Messages received from the bus", bus.received);
  metric("videocall_bus_dropped_media_total", "counter",
         "Inbound bus media dropped by the bounded queue", bus.dropped_media);
  metric("videocall_bus_dropped_control_total", "counter",
         "Inbound bus control dropped by the bounded queue (then resync)", bus.dropped_control);
  metric("videocall_bus_reconnects_total", "counter", "Bus reconnects", bus.reconnects);
  metric("videocall_bus_subscriptions", "gauge", "Bus subscriptions (one per linked room + 2)",
         bus_->subscription_count());
  metric("videocall_cluster_remote_nodes", "gauge", "Other nodes alive",
         cluster_->live_remote_nodes());
  metric("videocall_cluster_rooms_linked", "gauge", "Rooms subscribed on the bus",
         cluster.rooms_linked);
  metric("videocall_cluster_media_published_total", "counter",
         "Local media envelopes published for other nodes", cluster.media_published);
  metric("videocall_cluster_media_received_total", "counter",
         "Media envelopes received from other nodes", cluster.media_received);
  metric("videocall_cluster_malformed_total", "counter", "Malformed bus messages ignored",
         cluster.malformed);
  metric("videocall_cluster_nodes_lost_total", "counter", "Nodes declared lost",
         cluster.nodes_lost);
  metric("videocall_cluster_rejected_unauthenticated_total", "counter",
         "Bus messages refused: missing or wrong authentication tag",
         cluster.rejected_unauthenticated);
  metric("videocall_cluster_rejected_replayed_total", "counter",
         "Bus messages refused: outside the age window or a repeated sequence number",
         cluster.rejected_replayed);
  metric("videocall_cluster_rejected_not_owner_total", "counter",
         "Bus media refused: sent by a node that does not own the publisher",
         cluster.rejected_not_owner);
  metric("videocall_cluster_chat_refused_total", "counter",
         "Chat messages or reactions from other nodes refused (not the sender's node, invalid)",
         cluster.chat_refused);
}

}  // namespace vc::bus
