// WebTransportConnection: the sans-I/O core of the native WebTransport client. QUIC through the
// same ngtcp2 adapter as the server (vc_quic), HTTP/3 + WebTransport through the same sans-I/O
// layer in client role (vc_h3). It is fed UDP payloads and timestamps and writes packets into a
// quic::PacketSink, so a poll loop (WebTransportClient, tests) and an asio transport
// (make_webtransport_transport, libvideocall) drive the same code. Single-threaded.
//
// Wire mapping (docs/PROTOCOL.md §7): a bidirectional control stream opened first (length-prefixed
// control envelopes, Hello first), one unidirectional stream per media kind (length-prefixed media
// envelopes), audio optionally as datagrams (one envelope each).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/h3/connection.hpp"
#include "net/h3/record_reader.hpp"
#include "net/quic/quic_connection.hpp"
#include "protocol/frame.hpp"

namespace vc::wt {

using ByteView = std::span<const uint8_t>;

struct ConnectionOptions {
  std::string authority;     // ":authority" of the CONNECT, "host:port"
  std::string server_name;   // TLS SNI; empty for an IP literal
  std::string path = "/wt";  // including "?token=..." (secret: never log it)
  std::string origin;
  // Accepted server certificates by SHA-256 of their DER (serverCertificateHashes).
  std::vector<std::vector<uint8_t>> certificate_sha256;
  // Tests: a misbehaving client that acknowledges data but never grants stream credit (its
  // streams take at most kWithheldStreamWindow bytes).
  bool withhold_stream_credit = false;
};
inline constexpr uint64_t kWithheldStreamWindow = 16u << 10;

enum class ClientState : uint8_t { kConnecting, kEstablished, kRejected, kClosed };

class WebTransportConnection {
 public:
  // One whole envelope as received (a record of a stream, or a datagram); valid during the call.
  using EnvelopeHandler = std::function<void(ByteView envelope, bool datagram)>;

  // Starts the QUIC handshake towards `remote` (nullptr if TLS/QUIC setup fails).
  static std::unique_ptr<WebTransportConnection> connect(ConnectionOptions options,
                                                         const quic::SocketAddress& local,
                                                         const quic::SocketAddress& remote,
                                                         quic::Timestamp now);
  ~WebTransportConnection();
  WebTransportConnection(const WebTransportConnection&) = delete;
  WebTransportConnection& operator=(const WebTransportConnection&) = delete;

  void on_envelope(EnvelopeHandler handler) { handler_ = std::move(handler); }

  // I/O driving: input packets, timers, output packets.
  void receive_packet(ByteView packet, quic::Timestamp now);
  void handle_timer(quic::Timestamp now);
  quic::Timestamp next_timer() const;  // UINT64_MAX when none
  void write_packets(quic::PacketSink& sink, quic::Timestamp now);
  bool closed_for_good(quic::Timestamp now) const;

  // Session state. kEstablished means the CONNECT got a 200 and the control stream is open.
  ClientState state() const { return state_; }
  int rejected_status() const { return rejected_status_; }
  std::optional<uint64_t> connection_error() const;  // the peer's CONNECTION_CLOSE code
  std::optional<std::pair<uint32_t, std::string>> session_close() const { return session_close_; }
  const std::string& quic_close_reason() const;

  // Sends an encoded envelope: control on the control stream, media on its kind's stream, or
  // media as a datagram when `as_datagram` and it fits (else on the stream). False when the
  // session cannot take it (not established, stream limit).
  bool send_envelope(const FrameRef& envelope, bool as_datagram);
  // Raw access for protocol tests: bytes on a new raw uni stream (no WebTransport header).
  bool send_raw_uni_stream(ByteView bytes);
  // Sends CLOSE_WEBTRANSPORT_SESSION; the QUIC connection closes once it is delivered.
  void close(uint32_t code, std::string_view reason);

  // Bytes written to our streams and not yet sent (backpressure for the sender).
  uint64_t unsent_stream_bytes() const;
  uint64_t datagrams_sent() const;
  const quic::ConnectionStats& stats() const;

 private:
  class Events;
  class Transport;
  class Session;
  explicit WebTransportConnection(ConnectionOptions options);
  void on_session_data(int64_t stream_id, ByteView data, bool fin);
  std::optional<int64_t> media_stream(uint32_t kind);
  void note_quic_state();

  ConnectionOptions options_;
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
  std::unordered_map<uint32_t, int64_t> media_streams_;  // kind -> our uni stream
  std::unordered_map<int64_t, h3::RecordReader> readers_;
  EnvelopeHandler handler_;
};

}  // namespace vc::wt
