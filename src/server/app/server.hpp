// Server: binds the one TCP port and wires the layers together on the relay io_context: listener
// -> HTTP sessions -> router / media WebSocket sessions -> rooms. Also runs the room timer and the
// graceful shutdown.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>

#include "server/core/server_context.hpp"
#include "server/http/upgrade.hpp"

namespace vc::http {
class Listener;
}
namespace vc::ws {
class EgressShards;
}

namespace vc::app {

using core::LiveConnection;
using core::MetricWriter;
using core::ServerConfig;
using core::ServerContext;

class Server {
 public:
  Server(ServerConfig config, boost::asio::io_context& io, boost::asio::thread_pool& store_pool,
         store::MeetingStore& store, const auth::RoomTokenService& tokens);
  ~Server();

  // Loads TLS material, binds, and starts accepting. Throws on failure (port in use, bad cert).
  boost::asio::ip::tcp::endpoint start();

  // Stops accepting, closes every media session with 4503, and calls `done` once they are all
  // closed or limits::kShutdownGrace has passed (then remaining sockets are closed). After that the
  // io_context runs out of work by itself: no io.stop(), so every handler still runs while the
  // context is alive.
  void shutdown(std::function<void()> done);

  ServerContext& context() { return ctx_; }
  // What media sessions (WebSocket, WebTransport) see of the server.
  core::MediaHost& media_host() { return *media_host_; }
  // Egress shard threads besides the relay thread (after start()).
  std::size_t egress_shard_count() const;

  // "http://localhost:8080" style base URL for the bound endpoint.
  std::string base_url(const boost::asio::ip::tcp::endpoint& endpoint) const;

 private:
  void arm_room_timer();
  void check_shutdown_done();
  void finish_shutdown();
  void for_each_connection(void (LiveConnection::*action)());

  ServerContext ctx_;
  std::unique_ptr<core::MediaHost> media_host_;  // before the sessions that refer to it
  std::unique_ptr<boost::asio::ssl::context> tls_;
  // Before the listener: sessions hold channels on it. Its destructor joins the shard threads.
  std::unique_ptr<ws::EgressShards> egress_;
  http::UpgradeHandlers upgrades_;  // before listener_: its sessions refer to it
  std::shared_ptr<http::Listener> listener_;
  boost::asio::steady_timer room_timer_;
  boost::asio::steady_timer shutdown_timer_;
  std::function<void()> shutdown_done_;
};

}  // namespace vc::app
