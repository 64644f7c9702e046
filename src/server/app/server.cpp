#include "server/app/server.hpp"

#include <sched.h>
#include <sys/resource.h>

#include <algorithm>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "server/http/listener.hpp"
#include "server/ws/egress_shards.hpp"
#include "server/ws/ws_session.hpp"

namespace vc::app {

namespace asio = boost::asio;
using asio::ip::tcp;

Server::Server(ServerConfig config, asio::io_context& io, asio::thread_pool& store_pool,
               store::MeetingStore& store, const auth::RoomTokenService& tokens)
    : ctx_(std::move(config), io, store_pool, store, tokens),
      media_host_(core::make_media_host(ctx_)),
      room_timer_(io),
      shutdown_timer_(io) {}

Server::~Server() {
  ctx_.metric_sources.erase("egress");
}

std::size_t Server::egress_shard_count() const {
  return egress_ ? egress_->shard_count() : 0;
}

namespace {

// --max-connections, or what the open-file limit leaves after a reserve for everything else.
std::size_t connection_limit(std::size_t configured) {
  if (configured != 0) return configured;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  const auto files = static_cast<std::size_t>(limit.rlim_cur);
  return files > 2 * limits::kReservedFileDescriptors ? files - limits::kReservedFileDescriptors
                                                      : files / 2;
}

// --threads, or the CPUs this process may run on.
std::size_t thread_count(std::size_t configured) {
  if (configured != 0) return configured;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (::sched_getaffinity(0, sizeof cpus, &cpus) != 0) return 1;
  return std::clamp<std::size_t>(static_cast<std::size_t>(CPU_COUNT(&cpus)), 1,
                                 limits::kMaxServerThreads);
}

void write_egress_metrics(const ws::EgressShards& egress, const MetricWriter& metric) {
  const ws::EgressShardTotals totals = egress.totals();
  metric("videocall_egress_shards", "gauge",
         "Egress shard threads that write WebSocket media besides the relay thread",
         egress.shard_count());
  metric("videocall_egress_shard_receivers", "gauge",
         "WebSocket receivers whose media an egress shard writes", egress.open_channels());
  metric("videocall_egress_shard_batches_total", "counter",
         "Batches of frames egress shards wrote completely", totals.batches);
  metric("videocall_egress_shard_blocked_total", "counter",
         "Times an egress shard waited for a receiver's socket to drain", totals.blocked);
  metric("videocall_egress_shard_write_failures_total", "counter",
         "Batches egress shards dropped because the connection broke", totals.write_failures);
  metric("videocall_egress_shard_wakeups_total", "counter",
         "Times the relay thread woke a sleeping egress shard", totals.wakeups);
}

}  // namespace

tcp::endpoint Server::start() {
  egress_ = std::make_unique<ws::EgressShards>(ctx_.io, thread_count(ctx_.config.threads) - 1);
  ctx_.metric_sources["egress"] = [this](const MetricWriter& metric) {
    write_egress_metrics(*egress_, metric);
  };
  VC_LOG_INFO("event=threads relay=1 egress_shards={}", egress_->shard_count());
  ctx_.connections.set_limits(connection_limit(ctx_.config.max_connections), ctx_.trusted_proxies);
  if (ctx_.config.tls()) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    tls_->use_certificate_chain_file(ctx_.config.cert_file);
    tls_->use_private_key_file(ctx_.config.key_file, asio::ssl::context::pem);
  }
  const tcp::endpoint endpoint(asio::ip::make_address(ctx_.config.listen_address),
                               ctx_.config.port);
  // The media WebSocket is the one upgrade the HTTP layer hands on.
  upgrades_["/ws"] = http::UpgradeHandler{
      [this](http::PlainStream&& stream, http::Request&& req, core::ConnectionSlot slot) {
        ws::start_media_session(*media_host_, *egress_, std::move(stream), std::move(req),
                                std::move(slot));
      },
      [this](http::TlsStream&& stream, http::Request&& req, core::ConnectionSlot slot) {
        ws::start_media_session(*media_host_, *egress_, std::move(stream), std::move(req),
                                std::move(slot));
      }};
  listener_ = std::make_shared<http::Listener>(ctx_, endpoint, tls_.get(), upgrades_);
  listener_->start();
  arm_room_timer();
  return listener_->local_endpoint();
}

std::string Server::base_url(const tcp::endpoint& endpoint) const {
  const asio::ip::address address = endpoint.address();
  std::string host;
  if (address.is_unspecified()) {
    host = "localhost";
  } else if (address.is_v6()) {
    host = "[" + address.to_string() + "]";
  } else {
    host = address.to_string();
  }
  return (ctx_.config.tls() ? "https://" : "http://") + host + ":" +
         std::to_string(endpoint.port());
}

void Server::arm_room_timer() {
  room_timer_.expires_after(limits::kRoomTimerInterval);
  room_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    ctx_.rooms.tick();
    arm_room_timer();
  });
}

void Server::shutdown(std::function<void()> done) {
  if (ctx_.shutting_down) return;
  ctx_.shutting_down = true;
  shutdown_done_ = std::move(done);
  VC_LOG_INFO("event=shutdown sessions={}", ctx_.media_sessions.size());
  if (listener_) listener_->stop();
  for (auto& hook : ctx_.on_shutdown) {
    if (hook) hook();  // an unhooked entry is left empty
  }
  for_each_connection(&LiveConnection::shut_down);
  shutdown_timer_.expires_after(limits::kShutdownGrace);
  shutdown_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    VC_LOG_WARN("event=shutdown_forced sessions={}", ctx_.media_sessions.size());
    for_each_connection(&LiveConnection::force_close);
    finish_shutdown();
  });
  check_shutdown_done();
}

void Server::for_each_connection(void (LiveConnection::*action)()) {
  // Actions may erase from the sets; iterate over copies and skip the ones already gone.
  for (auto* set : {&ctx_.media_sessions, &ctx_.http_sessions}) {
    const std::vector<LiveConnection*> copy(set->begin(), set->end());
    for (LiveConnection* connection : copy) {
      if (set->contains(connection)) (connection->*action)();
    }
  }
}

void Server::finish_shutdown() {
  room_timer_.cancel();
  shutdown_timer_.cancel();
  if (shutdown_done_) std::exchange(shutdown_done_, nullptr)();
}

void Server::check_shutdown_done() {
  if (!shutdown_done_) return;
  if (ctx_.media_sessions.empty()) {
    // Idle keep-alive HTTP connections have nothing left to say.
    for_each_connection(&LiveConnection::force_close);
    return finish_shutdown();
  }
  // Poll cheaply until the close handshakes finish (or the grace timer fires).
  auto poll = std::make_shared<asio::steady_timer>(ctx_.io, std::chrono::milliseconds(20));
  poll->async_wait([this, poll](boost::system::error_code) { check_shutdown_done(); });
}

}  // namespace vc::app
