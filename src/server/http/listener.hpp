// TCP listener for the one server port: accepts connections, enforces the per-address limit and
// starts an HTTP session (TLS when configured) for each.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "server/core/server_context.hpp"
#include "server/http/upgrade.hpp"

namespace vc::http {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens; throws boost::system::system_error on failure. `upgrades` must outlive
  // the listener and its sessions.
  Listener(core::ServerContext& ctx, const boost::asio::ip::tcp::endpoint& endpoint,
           boost::asio::ssl::context* tls, const UpgradeHandlers& upgrades);

  boost::asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void start() { accept(); }
  void stop();

 private:
  void accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  // Out of descriptors: retrying at once would spin (the pending connection stays queued), so
  // wait a little for connections to close.
  void accept_after_backoff();

  core::ServerContext& ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ssl::context* tls_;
  const UpgradeHandlers& upgrades_;
  boost::asio::steady_timer backoff_timer_;
  core::LogRateLimiter accept_failure_log_{limits::kRepeatedEventLogInterval};
};

}  // namespace vc::http
