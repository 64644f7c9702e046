// WebTransportClient: a blocking, poll()-driven WebTransport client on its own UDP socket, built
// on WebTransportConnection (the sans-I/O core libvideocall's WebTransport transport also uses).
// Meant for tests and simple tools: call poll() to move packets and get callbacks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/envelope.hpp"
#include "webtransport/wt_connection.hpp"

namespace vc::wt {

struct ClientOptions {
  std::string host = "127.0.0.1";  // IPv4 literal
  uint16_t port = 0;
  std::string path = "/wt";  // including "?token=..."
  std::string origin;  // empty: no Origin header (not a web page; --wt-allowed-origin skips us)
  std::vector<std::vector<uint8_t>> certificate_sha256;  // pinned, as serverCertificateHashes
  bool withhold_stream_credit = false;                   // tests: see ConnectionOptions
};

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

  ClientState state() const { return connection_ ? connection_->state() : state_; }
  int rejected_status() const { return connection_ ? connection_->rejected_status() : 0; }
  std::optional<uint64_t> connection_error() const;  // the peer's CONNECTION_CLOSE code
  std::optional<std::pair<uint32_t, std::string>> session_close() const;

  void on_envelope(EnvelopeHandler handler) { handler_ = std::move(handler); }
  bool send_control(const v1::Control& control);
  bool send_media(const v1::MediaHeader& header, std::span<const uint8_t> payload,
                  bool as_datagram);
  // Raw access for protocol tests: bytes on a new raw uni stream (no WebTransport header).
  bool send_raw_uni_stream(std::span<const uint8_t> bytes);
  void close(uint32_t code, std::string_view reason);

  uint64_t datagrams_sent() const;

 private:
  void flush();

  ClientOptions options_;
  int fd_ = -1;
  std::unique_ptr<WebTransportConnection> connection_;
  ClientState state_ = ClientState::kConnecting;  // until connection_ exists; kClosed after
  DecodedEnvelope decoded_;
  EnvelopeHandler handler_;
};

}  // namespace vc::wt
