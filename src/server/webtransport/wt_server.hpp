// WebTransportServer: wires WebTransport into the server. Owns the certificates (dev: minted and
// rotated in-process; production: --cert/--key), the QUIC endpoint on the shared io_context, and
// one WebTransportSession per QUIC connection. Sees the server only through core::MediaHost; the
// composition root (main.cpp) wires join_info, on_shutdown and write_metrics into the server.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "net/quic/certificate_store.hpp"
#include "net/quic/endpoint.hpp"
#include "server/core/media_host.hpp"
#include "server/core/metric_writer.hpp"
#include "server/core/server_config.hpp"
#include "server/webtransport/wt_session.hpp"

namespace vc::webtransport {

class WebTransportServer {
 public:
  // Starts the endpoint on --quic-port (default: `tcp_port`). Returns nullptr with `error` set if
  // the certificate cannot be made or loaded or the UDP port cannot be bound.
  static std::unique_ptr<WebTransportServer> start(core::MediaHost& host,
                                                   const core::ServerConfig& settings,
                                                   uint16_t tcp_port, std::string& error);
  ~WebTransportServer();

  uint16_t port() const { return endpoint_->port(); }
  const quic::QuicEndpoint& endpoint() const { return *endpoint_; }
  const WebTransportStats& stats() const { return stats_; }
  void write_metrics(const core::MetricWriter& metric) const;
  // The join response's `webtransport` object ({url, certificate_hashes}) for the validated
  // public host name; nothing while the server shuts down.
  std::optional<nlohmann::json> join_info(std::string_view host) const;
  // Stops accepting; sessions get 4503 from the server's shutdown, and the socket closes when the
  // last connection is gone or after the grace period.
  void on_shutdown();

 private:
  explicit WebTransportServer(core::MediaHost& host);
  void arm_rotation();
  void watch_shutdown();

  core::MediaHost& host_;
  std::unique_ptr<quic::CertificateStore> certificates_;
  std::unique_ptr<quic::QuicEndpoint> endpoint_;
  SessionSettings settings_;
  WebTransportStats stats_;
  boost::asio::steady_timer rotation_timer_;
  boost::asio::steady_timer shutdown_timer_;
  std::chrono::steady_clock::time_point shutdown_deadline_;
};

}  // namespace vc::webtransport
