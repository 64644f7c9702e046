// One HTTP connection (keep-alive, no pipelining): reads a request with size and time limits,
// answers it through the router, and hands WebSocket upgrades to the handler of their path.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "server/core/server_context.hpp"
#include "server/http/upgrade.hpp"

namespace vc::http {

// Takes ownership of an accepted socket. With `tls` set the connection starts with a TLS handshake.
void start_http_session(core::ServerContext& ctx, const UpgradeHandlers& upgrades,
                        boost::asio::ip::tcp::socket socket, core::ConnectionSlot slot,
                        boost::asio::ssl::context* tls);

}  // namespace vc::http
