#include "server/webtransport/wt_server.hpp"

#include <cstdlib>

#include "common/limits.hpp"
#include "common/log.hpp"

namespace vc::webtransport {

namespace {

quic::TransportConfig transport_config(const core::ServerConfig& server) {
  quic::TransportConfig config;
  config.max_streams_bidi = limits::kQuicMaxStreamsBidi;
  config.max_streams_uni = limits::kQuicMaxStreamsUni;
  config.stream_receive_window = limits::kQuicStreamReceiveWindow;
  config.connection_receive_window = limits::kQuicConnectionReceiveWindow;
  config.idle_timeout_ms = uint64_t{server.idle_timeout_s} * 1000;
  config.handshake_timeout_ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(limits::kHandshakeTimeout).count());
  config.log_to_stderr = std::getenv("VIDEOCALL_QUIC_DEBUG") != nullptr;
  return config;
}

}  // namespace

WebTransportServer::WebTransportServer(core::MediaHost& host)
    : host_(host), rotation_timer_(host.io()), shutdown_timer_(host.io()) {}

WebTransportServer::~WebTransportServer() {
  rotation_timer_.cancel();
  shutdown_timer_.cancel();
}

std::unique_ptr<WebTransportServer> WebTransportServer::start(core::MediaHost& host,
                                                              const core::ServerConfig& settings,
                                                              uint16_t tcp_port,
                                                              std::string& error) {
  std::unique_ptr<WebTransportServer> server(new WebTransportServer(host));
  const auto unix_clock = [] { return auth::unix_now(); };
  server->certificates_ = settings.tls()
                              ? quic::CertificateStore::from_files(
                                    settings.cert_file, settings.key_file, unix_clock, error)
                              : quic::CertificateStore::self_signed(unix_clock, error);
  if (!server->certificates_) return nullptr;

  server->settings_.policy.path = "/wt";
  server->settings_.policy.allowed_origins = settings.wt_allowed_origins;
  server->settings_.stream_backlog_bytes = limits::kWebTransportStreamBacklogBytes;
  server->settings_.control_backlog_bytes = limits::kWebTransportControlBacklogBytes;

  quic::EndpointConfig config;
  config.address = settings.listen_address;
  config.port = settings.quic_port.value_or(tcp_port);
  config.transport = transport_config(settings);
  config.max_connections = limits::kMaxQuicConnections;
  config.max_connections_per_address = limits::kMaxQuicConnectionsPerAddress;
  config.retry_threshold = settings.quic_retry_threshold;
  config.max_half_open = settings.quic_max_half_open;
  WebTransportServer* self = server.get();
  server->endpoint_ = std::make_unique<quic::QuicEndpoint>(
      host.io(), config, [self] { return self->certificates_->credentials(); },
      [self](quic::ConnectionHandle& connection) -> std::unique_ptr<quic::QuicApplication> {
        return std::make_unique<WebTransportSession>(self->host_, connection, self->settings_,
                                                     self->stats_);
      });
  if (!server->endpoint_->start(error)) return nullptr;
  server->arm_rotation();
  VC_LOG_INFO("event=webtransport_listening udp_port={} gso={} certificate={}", server->port(),
              server->endpoint_->gso_enabled(), settings.tls() ? "files" : "self-signed");
  return server;
}

std::optional<nlohmann::json> WebTransportServer::join_info(std::string_view host) const {
  if (host_.shutting_down()) return std::nullopt;
  return nlohmann::json{
      {"url", "https://" + std::string(host) + ":" + std::to_string(port()) + "/wt"},
      {"certificate_hashes", certificates_->published_hashes()}};
}

void WebTransportServer::arm_rotation() {
  rotation_timer_.expires_after(limits::kCertificateRotationCheck);
  rotation_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (certificates_->rotate_if_due()) VC_LOG_INFO("event=webtransport_certificate_rotated");
    arm_rotation();
  });
}

void WebTransportServer::on_shutdown() {
  rotation_timer_.cancel();
  endpoint_->stop_accepting();
  shutdown_deadline_ =
      std::chrono::steady_clock::now() + limits::kShutdownGrace + std::chrono::seconds(1);
  watch_shutdown();
}

void WebTransportServer::watch_shutdown() {
  // Sessions get 4503 from the server's shutdown. Once every connection is gone the endpoint has
  // closed its socket; whatever is still open after the grace period (a peer that never
  // acknowledges) is dropped, so the io_context can finish.
  if (endpoint_->connection_count() == 0) return endpoint_->close_now();
  if (std::chrono::steady_clock::now() >= shutdown_deadline_) return endpoint_->close_now();
  shutdown_timer_.expires_after(std::chrono::milliseconds(20));
  shutdown_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) watch_shutdown();
  });
}

void WebTransportServer::write_metrics(const core::MetricWriter& metric) const {
  const quic::EndpointStats& quic = endpoint_->stats();
  metric("videocall_quic_connections", "gauge", "Live QUIC connections",
         endpoint_->connection_count());
  metric("videocall_quic_connections_accepted_total", "counter", "QUIC connections accepted",
         quic.connections_accepted);
  metric("videocall_quic_connections_refused_total", "counter",
         "QUIC connections refused (total or per-address limit, shutdown)",
         quic.connections_refused);
  metric("videocall_quic_half_open", "gauge", "QUIC connections still in their handshake",
         endpoint_->half_open_count());
  metric("videocall_quic_retries_sent_total", "counter",
         "Retry packets sent (address validation above --quic-retry-threshold)", quic.retries_sent);
  metric("videocall_quic_tokens_invalid_total", "counter",
         "Initials with a Retry token that did not verify (forged, expired, other address)",
         quic.tokens_invalid);
  metric("videocall_quic_half_open_dropped_total", "counter",
         "Initials dropped at the half-open cap (--quic-max-half-open)", quic.half_open_dropped);
  metric("videocall_quic_stateless_resets_sent_total", "counter",
         "Stateless Resets sent for packets to unknown connection ids", quic.stateless_resets_sent);
  metric("videocall_quic_datagrams_in_total", "counter", "UDP datagrams received",
         quic.datagrams_in);
  metric("videocall_quic_datagrams_dropped_total", "counter",
         "UDP datagrams dropped (unroutable, over limits)", quic.datagrams_dropped);
  metric("videocall_quic_packets_out_total", "counter", "UDP packets sent",
         endpoint_->packets_sent());
  metric("videocall_quic_bytes_out_total", "counter", "UDP payload bytes sent",
         endpoint_->bytes_sent());
  metric("videocall_quic_send_syscalls_total", "counter", "sendmmsg calls",
         endpoint_->send_syscalls());
  metric("videocall_quic_packets_refused_by_kernel_total", "counter",
         "UDP packets the kernel refused to send, other than for a full socket buffer (QUIC "
         "recovers them)",
         quic.packets_refused_by_kernel);
  metric("videocall_quic_send_waits_total", "counter",
         "Times sending waited for a full UDP socket buffer to drain (nothing is dropped)",
         quic.send_waits);
  metric("videocall_wt_sessions_established_total", "counter", "WebTransport sessions established",
         stats_.sessions_established);
  metric("videocall_wt_connects_refused_total", "counter",
         "Extended CONNECTs refused with an HTTP error status", stats_.connects_refused);
  metric("videocall_wt_envelopes_in_total", "counter", "Envelopes received over WebTransport",
         stats_.envelopes_in);
  metric("videocall_wt_datagrams_in_total", "counter", "Envelopes received as datagrams",
         stats_.datagrams_in);
  metric("videocall_wt_envelopes_out_total", "counter", "Envelopes sent over WebTransport",
         stats_.frames_out);
  metric("videocall_wt_datagrams_out_total", "counter", "Envelopes sent as datagrams",
         stats_.datagrams_out);
  metric("videocall_wt_bytes_out_total", "counter", "Envelope bytes sent over WebTransport",
         stats_.bytes_out);
}

}  // namespace vc::webtransport
