#include "server/bus/cluster_runtime.hpp"

#include <stdexcept>

#include "common/log.hpp"
#include "server/bus/nats_bus.hpp"

namespace vc::bus {

namespace {
// Heartbeats and liveness checks run on this tick (well under ClusterConfig::heartbeat_interval).
constexpr auto kTick = std::chrono::milliseconds(100);
}  // namespace

ClusterRuntime::ClusterRuntime(boost::asio::io_context& io, const std::string& nats_url,
                               FindRoom find_room)
    : find_room_(std::move(find_room)), timer_(io) {
  if (nats_url.empty()) {
    bus_ = std::make_unique<LocalBus>(hub_);
  } else {
    NatsBusConfig config;
    config.url = nats_url;
    std::string error;
    bus_ = NatsBus::create(io, config, error);
    if (!bus_) throw std::runtime_error(error);
    clustered_ = true;
  }
  cluster_ = std::make_unique<Cluster>(*bus_, *this, [] { return room::Clock::now(); },
                                       Cluster::random_node_id());
  cluster_->start();
  VC_LOG_INFO("event=bus bus={} node={:016x}", clustered_ ? "nats" : "local",
              cluster_->node_id());
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

}  // namespace vc::bus
