// QuicEndpoint: the server's UDP socket and its QUIC connections, on the shared io_context.
// Reads with recvmmsg when the socket is readable, routes each packet by destination connection
// id, creates connections for acceptable Initial packets (within the per-address and total
// limits), drives every connection's timer from one endpoint timer (a min-heap of expiries,
// re-armed at most once per event-loop turn), and writes every connection that has something to
// send in one sendmmsg batch per event-loop turn.
#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/limits.hpp"
#include "common/token_bucket.hpp"
#include "net/quic/quic_connection.hpp"
#include "net/quic/stateless.hpp"
#include "net/quic/udp_batch.hpp"

namespace vc::quic {

// The application on top of one QUIC connection (the WebTransport session).
class QuicApplication : public ConnectionEvents {
 public:
  // Called right before the connection writes: move queued data into streams now.
  virtual void before_write() = 0;
  // The connection is closing, draining or gone: release everything tied to it. Called once.
  virtual void on_connection_closed() = 0;
};

// What an application holds to reach its connection.
class ConnectionHandle {
 public:
  virtual ~ConnectionHandle() = default;
  virtual QuicConnection& quic() = 0;
  // Write soon: batched with every other connection at the end of this event-loop turn.
  virtual void request_flush() = 0;
};

using ApplicationFactory = std::function<std::unique_ptr<QuicApplication>(ConnectionHandle&)>;
using CredentialsProvider = std::function<TlsCredentials()>;

struct EndpointConfig {
  std::string address = "0.0.0.0";
  uint16_t port = 0;
  TransportConfig transport;
  std::size_t max_connections = 10000;
  std::size_t max_connections_per_address = 64;
  // Address validation: with this many half-open (handshaking) connections or more, an Initial
  // without a valid Retry token is answered with a Retry (0: always). Never more than
  // `max_half_open` half-open connections: further Initials are dropped.
  std::size_t retry_threshold = limits::kQuicRetryThreshold;
  std::size_t max_half_open = limits::kQuicMaxHalfOpen;
  // Stateless Resets for short-header packets to unknown connection ids: a token bucket.
  double stateless_resets_per_second = limits::kQuicStatelessResetsPerSecond;
  double stateless_reset_burst = limits::kQuicStatelessResetBurst;
  // The secret for Retry tokens and stateless reset tokens; random per process when not given.
  std::optional<std::array<uint8_t, 32>> stateless_secret;
  // Tests only: stands in for sendmmsg(2) (a socket buffer that fills up on demand).
  SendBatch::SendMessages send_messages;
};

struct EndpointStats {
  uint64_t datagrams_in = 0;
  uint64_t datagrams_dropped = 0;  // unroutable, over limits, or not acceptable
  uint64_t receive_syscalls = 0;
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;
  uint64_t connections_closed = 0;
  uint64_t packets_refused_by_kernel = 0;  // errors other than a full socket buffer
  uint64_t send_waits = 0;  // times sending waited for the socket buffer to drain (EAGAIN)
  uint64_t version_negotiations = 0;
  uint64_t retries_sent = 0;
  uint64_t tokens_invalid = 0;     // Initials with a Retry token that did not verify
  uint64_t half_open_dropped = 0;  // Initials dropped at the half-open cap
  uint64_t stateless_resets_sent = 0;
};

class QuicEndpoint {
 public:
  QuicEndpoint(boost::asio::io_context& io, EndpointConfig config, CredentialsProvider credentials,
               ApplicationFactory factory);
  ~QuicEndpoint();
  QuicEndpoint(const QuicEndpoint&) = delete;
  QuicEndpoint& operator=(const QuicEndpoint&) = delete;

  // Binds and starts receiving. False (with `error`) if the port cannot be bound.
  bool start(std::string& error);
  uint16_t port() const { return port_; }
  bool gso_enabled() const { return gso_; }

  // No new connections; existing ones continue. When the last connection is gone the socket is
  // closed so the io_context can run out of work.
  void stop_accepting();
  // Drops every connection without a goodbye and closes the socket.
  void close_now();

  std::size_t connection_count() const { return connections_.size(); }
  std::size_t half_open_count() const { return half_open_; }
  const EndpointStats& stats() const { return stats_; }
  uint64_t packets_sent() const { return send_batch_.packets_sent(); }
  uint64_t bytes_sent() const { return send_batch_.bytes_sent(); }
  uint64_t send_syscalls() const { return send_batch_.syscalls(); }

 private:
  class Connection;
  friend class Connection;

  void arm_receive();
  void on_readable();
  void on_datagram(ByteView packet, const SocketAddress& remote, Timestamp now);
  Connection* accept(ByteView packet, const SocketAddress& remote, Timestamp now);
  // Address validation before any state: false when the Initial was answered (Retry, invalid
  // token) or dropped (half-open cap); `retried_from` is set when it carried a valid token.
  bool admit_initial(const ClientInitial& initial, const SocketAddress& remote, Timestamp now,
                     std::optional<ConnectionId>& retried_from);
  void send_stateless_reset(const ConnectionId& dcid, std::size_t received_size,
                            const SocketAddress& remote, Timestamp now);
  void handshake_ended(Connection& connection);
  void schedule_flush(Connection& connection);
  void flush_scheduled();
  void service(Connection& connection, Timestamp now);
  // Records the connection's next expiry; the endpoint timer follows at the end of the turn.
  void arm_timer(Connection& connection);
  void update_endpoint_timer();
  void on_endpoint_timer();
  void destroy(Connection& connection);
  void send_batch_now();
  // The socket buffer was full: flush again when it drains, then serve the connections held back.
  void wait_writable();
  void maybe_close_socket();

  boost::asio::io_context& io_;
  EndpointConfig config_;
  CredentialsProvider credentials_;
  ApplicationFactory factory_;
  boost::asio::ip::udp::socket socket_;
  SocketAddress local_;
  uint16_t port_ = 0;
  bool gso_ = false;
  bool accepting_ = true;
  bool flush_posted_ = false;
  bool waiting_writable_ = false;
  ReceiveBatch receive_batch_;
  SendBatch send_batch_{false};
  std::unordered_map<Connection*, std::shared_ptr<Connection>> connections_;
  std::unordered_map<ConnectionId, Connection*, ConnectionIdHash> routes_;
  std::unordered_map<std::string, std::size_t> per_address_;
  std::vector<std::weak_ptr<Connection>> flush_list_;
  // Connections' expiries, earliest on top. An entry is stale once its connection re-armed earlier
  // or fired (its armed_for differs): skipped when popped, dropped when the heap is compacted.
  struct TimerEntry {
    Timestamp at;
    std::weak_ptr<Connection> connection;
  };
  std::vector<TimerEntry> timer_heap_;
  boost::asio::steady_timer timer_;
  Timestamp timer_armed_for_ = UINT64_MAX;
  std::vector<std::weak_ptr<Connection>> due_;  // reused by on_endpoint_timer
  StatelessKeys keys_;  // per process unless configured: tokens and resets die with it
  std::size_t half_open_ = 0;
  TokenBucket reset_allowance_;  // stateless resets, endpoint-wide
  EndpointStats stats_;
};

}  // namespace vc::quic
