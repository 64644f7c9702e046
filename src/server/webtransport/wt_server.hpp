// WebTransportServer: wires WebTransport into the server. Owns the certificates (dev: minted and
// rotated in-process; production: --cert/--key), the QUIC endpoint on the shared io_context, and
// one WebTransportSession per QUIC connection. Publishes {url, certificate_hashes} for the join
// response through ServerContext::webtransport_info, and stops with the server's shutdown.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "net/quic/certificate_store.hpp"
#include "net/quic/endpoint.hpp"
#include "server/core/server_context.hpp"
#include "server/webtransport/wt_session.hpp"

namespace vc::webtransport {

class WebTransportServer {
 public:
  // Starts the endpoint on --quic-port (default: `tcp_port`). Returns nullptr with `error` set if
  // the certificate cannot be made or loaded or the UDP port cannot be bound.
  static std::unique_ptr<WebTransportServer> start(core::ServerContext& ctx, uint16_t tcp_port,
                                                   std::string& error);
  ~WebTransportServer();

  uint16_t port() const { return endpoint_->port(); }
  const quic::QuicEndpoint& endpoint() const { return *endpoint_; }
  const WebTransportStats& stats() const { return stats_; }
  void write_metrics(const core::MetricWriter& metric) const;

 private:
  explicit WebTransportServer(core::ServerContext& ctx);
  void arm_rotation();
  void on_shutdown();
  void watch_shutdown();

  core::ServerContext& ctx_;
  std::unique_ptr<quic::CertificateStore> certificates_;
  std::unique_ptr<quic::QuicEndpoint> endpoint_;
  SessionSettings settings_;
  WebTransportStats stats_;
  boost::asio::steady_timer rotation_timer_;
  boost::asio::steady_timer shutdown_timer_;
  std::chrono::steady_clock::time_point shutdown_deadline_;
};

}  // namespace vc::webtransport
