// WebTransportClient: a native WebTransport client (QUIC via the same ngtcp2 adapter as the
// server, the same sans-I/O HTTP/3 layer in client role). Written as a small library so it can
// become the WebTransport transport of the native client library; today the integration tests
// use it. Single-threaded: call poll() to move packets and get callbacks.
//
// Wire mapping (docs/PROTOCOL.md "WebTransport mapping"): a bidirectional control stream opened
// first (length-prefixed control envelopes, Hello first), one unidirectional stream per media kind
// (length-prefixed media envelopes), audio optionally as datagrams (one envelope each).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/envelope.hpp"
#include "server/h3/connection.hpp"
#include "server/h3/record_reader.hpp"
#include "server/quic/quic_connection.hpp"

namespace vc::wt {

struct ClientOptions {
  std::string host = "127.0.0.1";  // IPv4 literal
  uint16_t port = 0;
  std::string path = "/wt";        // including "?token=..."
  std::string origin = "http://127.0.0.1";
  std::vector<std::vector<uint8_t>> certificate_sha256;  // pinned, as serverCertificateHashes
};

enum class ClientState : uint8_t { kConnecting, kEstablished, kRejected, kClosed };

class WebTransportClient {
 public:
  // Called for every envelope received; `datagram` tells how it arrived.
  using EnvelopeHandler = std::function<void(const DecodedEnvelope& envelope, bool datagram)>;

  explicit WebTransportClient(ClientOptions options);
  ~WebTransportClient();
  WebTransportClient(const WebTransportClient&) = delete;
  WebTransportClient& operator=(const WebTransportClient&) = delete;

  // Starts the QUIC handshake; then poll() until state() leaves kConnecting.
  bool start();
  // Processes network input and timers for up to `budget`, returning early once `until` holds.
  void poll(std::chrono::milliseconds budget, const std::function<bool()>& until = {});

  ClientState state() const { return state_; }
  int rejected_status() const { return rejected_status_; }
  std::optional<uint64_t> connection_error() const;  // the peer's CONNECTION_CLOSE code
  std::optional<std::pair<uint32_t, std::string>> session_close() const { return session_close_; }

  void on_envelope(EnvelopeHandler handler) { handler_ = std::move(handler); }
  bool send_control(const v1::Control& control);
  bool send_media(const v1::MediaHeader& header, std::span<const uint8_t> payload,
                  bool as_datagram);
  // Raw access for protocol tests: bytes on a new raw uni stream (no WebTransport header).
  bool send_raw_uni_stream(std::span<const uint8_t> bytes);
  void close(uint32_t code, std::string_view reason);

  uint64_t datagrams_sent() const;

 private:
  class Events;
  class Transport;
  class Session;
  void flush();
  void on_session_data(int64_t stream_id, h3::ByteView data, bool fin);

  ClientOptions options_;
  int fd_ = -1;
  quic::SocketAddress local_;
  quic::SocketAddress remote_;
  std::unique_ptr<quic::QuicConnection> quic_;
  std::unique_ptr<Events> events_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Session> session_;
  std::unique_ptr<h3::Connection> h3_;
  ClientState state_ = ClientState::kConnecting;
  int rejected_status_ = 0;
  std::optional<std::pair<uint32_t, std::string>> session_close_;
  int64_t control_stream_ = -1;
  std::unordered_map<uint32_t, int64_t> media_streams_;
  std::unordered_map<int64_t, h3::RecordReader> readers_;
  DecodedEnvelope decoded_;
  EnvelopeHandler handler_;
};

}  // namespace vc::wt
