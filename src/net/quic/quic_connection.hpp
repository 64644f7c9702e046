// QuicConnection: the thin adapter around ngtcp2 0.12 + GnuTLS (ngtcp2's pre-1.0 API changes
// between releases, so nothing outside this file, quic_connection.cpp, congestion_hint.cpp and
// stateless.cpp includes ngtcp2 or sees its types beyond ngtcp2_vec in SendStream). One class
// serves both roles: the server endpoint and the native WebTransport client.
//
// Sans-I/O: it is fed packets and timestamps and produces packets into a PacketSink. It keeps
// stream data until acknowledged, returns flow-control credit as the application consumes data,
// returns stream credit when peer streams close, and handles the closing and draining periods.
// Errors are values; no exceptions.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/quic/send_streams.hpp"
#include "protocol/frame.hpp"

struct ngtcp2_conn;
struct gnutls_session_int;
struct gnutls_certificate_credentials_st;

namespace vc::quic {

using Timestamp = uint64_t;  // nanoseconds on the monotonic clock
Timestamp monotonic_now();
inline constexpr Timestamp kNanosecondsPerMillisecond = 1'000'000;
inline constexpr std::size_t kMaxConnectionIdBytes = 20;
inline constexpr std::size_t kServerConnectionIdBytes = 18;

struct ConnectionId {
  uint8_t bytes[kMaxConnectionIdBytes] = {};
  uint8_t size = 0;
  ByteView view() const { return {bytes, size}; }
  bool operator==(const ConnectionId& other) const {
    return size == other.size && std::equal(bytes, bytes + size, other.bytes);
  }
  static ConnectionId from(ByteView data);
};
struct ConnectionIdHash {
  std::size_t operator()(const ConnectionId& id) const;
};

struct SocketAddress {
  sockaddr_storage storage = {};
  socklen_t size = 0;
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  bool operator==(const SocketAddress& other) const;
  std::string to_string() const;
};

// Where a connection's packets go: reserves space for one packet at a time.
class PacketSink {
 public:
  virtual ~PacketSink() = default;
  // Space for the next packet (at least `max_packet_bytes`), or empty when the sink is full.
  virtual std::span<uint8_t> reserve(std::size_t max_packet_bytes) = 0;
  // A packet of `size` bytes was written at the start of the last reservation.
  virtual void commit(const SocketAddress& remote, std::size_t size) = 0;
};

// What the application above QUIC (the HTTP/3 + WebTransport session) is told.
class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  virtual void on_handshake_completed() = 0;
  virtual void on_stream_data(int64_t stream_id, ByteView data, bool fin) = 0;
  virtual void on_stream_reset(int64_t stream_id, uint64_t error_code) = 0;
  virtual void on_stream_stop_sending(int64_t stream_id, uint64_t error_code) = 0;
  virtual void on_stream_closed(int64_t stream_id) = 0;
  virtual void on_datagram(ByteView payload) = 0;
  // Acknowledgements freed send-buffer space on `stream_id`, or flow control opened up.
  virtual void on_stream_writable(int64_t stream_id) = 0;
};

// Told about every connection id of ours, so the endpoint can route packets by id.
class ConnectionIdListener {
 public:
  virtual ~ConnectionIdListener() = default;
  virtual void on_connection_id_added(const ConnectionId& id) = 0;
  virtual void on_connection_id_removed(const ConnectionId& id) = 0;
};

struct TransportConfig {
  uint64_t max_streams_bidi = 8;
  uint64_t max_streams_uni = 16;
  uint64_t stream_receive_window = 1u << 20;
  uint64_t connection_receive_window = 4u << 20;
  uint64_t idle_timeout_ms = 30'000;
  uint64_t handshake_timeout_ms = 10'000;
  uint64_t max_datagram_frame_size = 1500;
  std::size_t max_udp_payload = 1452;
  std::size_t max_queued_datagrams = 64;  // outgoing; the oldest is dropped beyond this
  bool log_to_stderr = false;             // ngtcp2's own debug log
  // Tests: behave like a peer that acknowledges data but never grants more stream credit.
  bool withhold_stream_credit = false;
};

enum class ConnectionState : uint8_t {
  kHandshaking,
  kActive,
  kClosing,   // we sent CONNECTION_CLOSE; resend it on input, forget after 3 PTO
  kDraining,  // the peer closed; stay silent, forget after 3 PTO
  kClosed,    // forget now
};

struct ConnectionStats {
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t datagrams_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t datagrams_dropped = 0;
};

// The congestion controller's state, read on demand (congestion_hint.hpp turns it into a hint).
struct CongestionInfo {
  uint64_t cwnd_bytes = 0;
  uint64_t bytes_in_flight = 0;
  uint64_t smoothed_rtt_ns = 0;
  bool has_rtt_sample = false;  // before the first one, smoothed_rtt is ngtcp2's initial guess
};

// First look at a received packet, before any connection is involved.
enum class PacketKind : uint8_t {
  kRoutable,            // route by `dcid`; a new connection may start if it is an Initial
  kVersionNegotiation,  // unsupported version: answer with Version Negotiation
  kInvalid,             // drop
};
PacketKind inspect_packet(ByteView packet, ConnectionId& dcid, ConnectionId& scid);
// Writes a Version Negotiation packet answering a packet with ids (dcid, scid); returns its size
// (0 on failure).
std::size_t write_version_negotiation(std::span<uint8_t> out, const ConnectionId& dcid,
                                      const ConnectionId& scid);

class StatelessKeys;  // stateless.hpp

// Opaque TLS credentials (GnuTLS certificate credentials), shared by the connections that use
// them so a rotated certificate stays alive until its last connection is gone.
using TlsCredentials = std::shared_ptr<gnutls_certificate_credentials_st>;

class QuicConnection {
 public:
  ~QuicConnection();
  QuicConnection(const QuicConnection&) = delete;
  QuicConnection& operator=(const QuicConnection&) = delete;

  // Server side, from a client's first Initial packet (nullptr if it is not an acceptable one).
  // With `keys`, the stateless reset tokens of our connection ids derive from them (else random).
  // `retried_from` is set when the Initial carried a valid Retry token: the client's original
  // destination connection id, recovered from the token.
  static std::unique_ptr<QuicConnection> accept(ByteView first_packet, const SocketAddress& local,
                                                const SocketAddress& remote,
                                                TlsCredentials credentials,
                                                const TransportConfig& config,
                                                ConnectionIdListener& ids, Timestamp now,
                                                const StatelessKeys* keys = nullptr,
                                                const ConnectionId* retried_from = nullptr);
  // Client side. The server certificate is accepted if its SHA-256 (DER) is in `pinned_sha256`
  // (the WebTransport serverCertificateHashes model).
  static std::unique_ptr<QuicConnection> connect(const SocketAddress& local,
                                                 const SocketAddress& remote,
                                                 std::string server_name,
                                                 std::vector<std::vector<uint8_t>> pinned_sha256,
                                                 const TransportConfig& config, Timestamp now);

  void set_events(ConnectionEvents* events) { events_ = events; }

  // Processes one received UDP payload.
  void read_packet(const SocketAddress& local, const SocketAddress& remote, ByteView packet,
                   Timestamp now);
  // Writes whatever is due (handshake, acks, stream data by priority, datagrams, close).
  void write_packets(PacketSink& sink, Timestamp now);
  // The next time handle_timer() must run (UINT64_MAX when none).
  Timestamp next_timer() const;
  void handle_timer(Timestamp now);

  // Streams. Returns -1 when the peer's stream limit is reached.
  int64_t open_stream(bool bidirectional, uint8_t priority);
  bool write_stream(int64_t stream_id, ByteView bytes, bool fin);         // copies
  bool write_record(int64_t stream_id, ByteView prefix, FrameRef frame);  // no copy
  uint64_t stream_unsent_bytes(int64_t stream_id) const;
  uint64_t stream_buffered_bytes(int64_t stream_id) const;
  void set_stream_priority(int64_t stream_id, uint8_t priority);
  void stop_sending(int64_t stream_id, uint64_t error_code);
  void reset_stream(int64_t stream_id, uint64_t error_code);

  // Datagrams (RFC 9221). False if datagrams are off or `prefix + payload` does not fit.
  bool send_datagram(ByteView prefix, FrameRef payload);
  bool send_datagram_copy(ByteView prefix, ByteView payload);
  std::size_t max_datagram_payload() const;

  // Closes with an application error (HTTP/3 code); the CONNECTION_CLOSE goes out on the next
  // write_packets().
  void close(uint64_t application_error, std::string_view reason);

  ConnectionState state() const { return state_; }
  bool closed_for_good(Timestamp now) const;
  bool handshake_completed() const { return state_ != ConnectionState::kHandshaking; }
  // Both sides know the handshake is over (client: HANDSHAKE_DONE received): only short-header
  // packets from here on.
  bool handshake_confirmed() const { return handshake_confirmed_; }
  const SocketAddress& remote() const { return remote_; }
  const ConnectionStats& stats() const { return stats_; }
  // Why the connection ended, for logs ("" while open).
  const std::string& close_reason() const { return close_reason_; }
  // The error code of the CONNECTION_CLOSE the peer sent (application or transport), if any.
  std::optional<uint64_t> peer_close_error() const;
  // Set once the peer's transport parameters are known (datagram support etc.).
  bool peer_accepts_datagrams() const;
  // Congestion window, bytes in flight and smoothed RTT now (a copy; no per-packet cost).
  CongestionInfo congestion_info() const;

 private:
  struct Callbacks;
  friend struct Callbacks;
  QuicConnection(const TransportConfig& config, const SocketAddress& local,
                 const SocketAddress& remote);
  bool init_tls(bool server, TlsCredentials credentials, const std::string& server_name);
  void fail_with_liberr(int liberr, Timestamp now);
  void enter_closing(Timestamp now);
  void write_close_packet(PacketSink& sink);
  void on_acked(int64_t stream_id, uint64_t offset, uint64_t length);
  // The stateless reset token for our connection id `id` (16 bytes): derived from the endpoint's
  // keys, so it can reset the peer after we forget the connection; random without keys.
  void fill_reset_token(const ConnectionId& id, uint8_t* token) const;

  struct QueuedDatagram {
    uint8_t prefix[8];
    uint8_t prefix_size = 0;
    FrameRef payload;
  };

  TransportConfig config_;
  SocketAddress local_;
  SocketAddress remote_;
  ngtcp2_conn* conn_ = nullptr;
  gnutls_session_int* tls_ = nullptr;
  TlsCredentials credentials_;
  struct ConnRef;  // ngtcp2_crypto_conn_ref storage
  std::unique_ptr<ConnRef> conn_ref_;
  ConnectionEvents* events_ = nullptr;
  ConnectionIdListener* ids_ = nullptr;
  const StatelessKeys* keys_ = nullptr;
  bool is_server_ = true;
  bool handshake_confirmed_ = false;
  ConnectionState state_ = ConnectionState::kHandshaking;
  SendStreams send_streams_;
  std::deque<QueuedDatagram> datagrams_;
  std::vector<uint8_t> close_packet_;
  bool close_requested_ = false;
  bool resend_close_ = false;
  uint64_t close_error_ = 0;
  bool close_is_transport_error_ = false;
  int close_liberr_ = 0;
  uint8_t close_tls_alert_ = 0;
  std::string close_reason_;
  Timestamp forget_at_ = UINT64_MAX;
  std::vector<std::vector<uint8_t>> pinned_sha256_;
  ConnectionStats stats_;
};

}  // namespace vc::quic
