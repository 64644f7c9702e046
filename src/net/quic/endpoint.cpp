#include "net/quic/endpoint.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "common/limits.hpp"
#include "common/log.hpp"

namespace vc::quic {

namespace asio = boost::asio;
using asio::ip::udp;

namespace {

std::string address_key(const SocketAddress& address) {
  // The IP without the port: the per-address connection limit counts hosts, not sockets.
  std::string key = address.to_string();
  const std::size_t colon = key.rfind(':');
  return colon == std::string::npos ? key : key.substr(0, colon);
}

}  // namespace

class QuicEndpoint::Connection final : public ConnectionHandle,
                                       public ConnectionIdListener,
                                       public std::enable_shared_from_this<Connection> {
 public:
  Connection(QuicEndpoint& endpoint, std::string address)
      : endpoint_(endpoint), address(std::move(address)) {}

  QuicConnection& quic() override { return *connection; }
  void request_flush() override {
    if (!destroyed) endpoint_.schedule_flush(*this);
  }

  void on_connection_id_added(const ConnectionId& id) override {
    endpoint_.routes_[id] = this;
    ids.push_back(id);
  }
  void on_connection_id_removed(const ConnectionId& id) override {
    auto it = endpoint_.routes_.find(id);
    if (it != endpoint_.routes_.end() && it->second == this) endpoint_.routes_.erase(it);
    std::erase(ids, id);
  }

  QuicEndpoint& endpoint_;
  std::unique_ptr<QuicConnection> connection;
  std::unique_ptr<QuicApplication> application;
  Timestamp armed_for = UINT64_MAX;  // this connection's entry in the endpoint's timer heap
  std::vector<ConnectionId> ids;
  std::string address;
  bool flush_scheduled = false;
  bool closed_notified = false;
  bool half_open = true;  // counted in half_open_ until the handshake ends either way
  // Set by destroy(). The object outlives its map entry until the end of the event-loop turn
  // (the application may be on the stack), so queued flushes and fired timers can still lock
  // their weak_ptr to it: they must do nothing.
  bool destroyed = false;
};

QuicEndpoint::QuicEndpoint(asio::io_context& io, EndpointConfig config,
                           CredentialsProvider credentials, ApplicationFactory factory)
    : io_(io),
      config_(std::move(config)),
      credentials_(std::move(credentials)),
      factory_(std::move(factory)),
      socket_(io),
      timer_(io),
      keys_(config_.stateless_secret ? StatelessKeys(*config_.stateless_secret) : StatelessKeys()),
      reset_allowance_(config_.stateless_reset_burst, config_.stateless_resets_per_second) {}

QuicEndpoint::~QuicEndpoint() {
  close_now();
}

bool QuicEndpoint::start(std::string& error) {
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(config_.address, ec);
  if (ec) {
    error = "bad address " + config_.address;
    return false;
  }
  const udp::endpoint endpoint(address, config_.port);
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) {
    error = "udp " + config_.address + ":" + std::to_string(config_.port) + ": " + ec.message();
    socket_.close(ec);
    return false;
  }
  const int fd = socket_.native_handle();
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &limits::kQuicSocketBufferBytes,
               sizeof(limits::kQuicSocketBufferBytes));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &limits::kQuicSocketBufferBytes,
               sizeof(limits::kQuicSocketBufferBytes));
  gso_ = probe_gso(fd);
  send_batch_.set_gso(gso_);
  if (config_.send_messages) send_batch_.set_send_function(config_.send_messages);
  const udp::endpoint bound = socket_.local_endpoint(ec);
  port_ = bound.port();
  local_.size = static_cast<socklen_t>(bound.size());
  std::memcpy(&local_.storage, bound.data(), bound.size());
  arm_receive();
  return true;
}

void QuicEndpoint::arm_receive() {
  if (!socket_.is_open()) return;
  socket_.async_wait(udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (!ec) on_readable();
  });
}

void QuicEndpoint::on_readable() {
  const int fd = socket_.native_handle();
  for (int round = 0; round < limits::kQuicReceiveRoundsPerWakeup; ++round) {
    const int count = receive_batch_.receive(fd);
    ++stats_.receive_syscalls;
    if (count <= 0) break;
    const Timestamp now = monotonic_now();
    for (int i = 0; i < count; ++i) {
      ++stats_.datagrams_in;
      on_datagram(receive_batch_.data(i), receive_batch_.remote(i), now);
    }
    if (count < static_cast<int>(ReceiveBatch::kDatagrams)) break;
  }
  flush_scheduled();
  arm_receive();
}

void QuicEndpoint::on_datagram(ByteView packet, const SocketAddress& remote, Timestamp now) {
  if (packet.empty()) {
    ++stats_.datagrams_dropped;
    return;
  }
  ConnectionId dcid;
  ConnectionId scid;
  const PacketKind kind = inspect_packet(packet, dcid, scid);
  if (kind == PacketKind::kInvalid) {
    ++stats_.datagrams_dropped;
    return;
  }
  if (kind == PacketKind::kVersionNegotiation) {
    if (!accepting_) return;
    const std::span<uint8_t> buffer = send_batch_.reserve(1500);
    const std::size_t size = buffer.empty() ? 0 : write_version_negotiation(buffer, dcid, scid);
    if (size > 0) send_batch_.commit(remote, size);
    ++stats_.version_negotiations;
    return;
  }
  Connection* connection = nullptr;
  if (auto it = routes_.find(dcid); it != routes_.end()) {
    connection = it->second;
  } else if ((packet[0] & 0x80) == 0) {
    // A short header for an id we do not know (we forgot the connection, or restarted): tell
    // the peer with a Stateless Reset instead of letting it time out.
    ++stats_.datagrams_dropped;
    return send_stateless_reset(dcid, packet.size(), remote, now);
  } else {
    connection = accept(packet, remote, now);
    if (connection == nullptr) return;
  }
  connection->connection->read_packet(local_, remote, packet, now);
  schedule_flush(*connection);
}

QuicEndpoint::Connection* QuicEndpoint::accept(ByteView packet, const SocketAddress& remote,
                                               Timestamp now) {
  ClientInitial initial;
  if (!parse_client_initial(packet, initial)) {
    ++stats_
          .datagrams_dropped;  // not a client Initial (e.g. a stray packet of a closed connection)
    return nullptr;
  }
  std::optional<ConnectionId> retried_from;
  if (!admit_initial(initial, remote, now, retried_from)) {
    ++stats_.datagrams_dropped;
    return nullptr;
  }
  std::string key = address_key(remote);
  std::size_t& from_address = per_address_[key];
  if (!accepting_ || connections_.size() >= config_.max_connections ||
      from_address >= config_.max_connections_per_address) {
    if (from_address == 0) per_address_.erase(key);
    ++stats_.connections_refused;
    ++stats_.datagrams_dropped;
    return nullptr;
  }
  auto connection = std::make_shared<Connection>(*this, key);
  connection->connection =
      QuicConnection::accept(packet, local_, remote, credentials_(), config_.transport, *connection,
                             now, &keys_, retried_from ? &*retried_from : nullptr);
  if (!connection->connection) {
    for (const ConnectionId& id : std::vector<ConnectionId>(connection->ids)) {
      connection->on_connection_id_removed(id);
    }
    if (from_address == 0) per_address_.erase(key);
    ++stats_.datagrams_dropped;  // not an acceptable Initial (or a stray short packet)
    return nullptr;
  }
  ++from_address;
  ++half_open_;
  connection->application = factory_(*connection);
  connection->connection->set_events(connection->application.get());
  ++stats_.connections_accepted;
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  return raw;
}

bool QuicEndpoint::admit_initial(const ClientInitial& initial, const SocketAddress& remote,
                                 Timestamp now, std::optional<ConnectionId>& retried_from) {
  if (!accepting_) return false;
  ConnectionId original_dcid;
  const TokenCheck token = keys_.check_retry_token(initial, remote, now, original_dcid);
  if (token == TokenCheck::kInvalid) {
    // Forged, expired, or from another address: refuse without creating state (RFC 9000 8.1.3).
    ++stats_.tokens_invalid;
    const std::span<uint8_t> buffer = send_batch_.reserve(1500);
    const std::size_t size = buffer.empty() ? 0 : keys_.write_invalid_token_close(buffer, initial);
    if (size > 0) send_batch_.commit(remote, size);
    return false;
  }
  if (half_open_ >= config_.max_half_open) {
    ++stats_.half_open_dropped;
    return false;
  }
  if (token == TokenCheck::kAbsent && half_open_ >= config_.retry_threshold) {
    // Make the client prove its address with one round trip before it costs us a connection.
    const std::span<uint8_t> buffer = send_batch_.reserve(1500);
    const std::size_t size = buffer.empty() ? 0 : keys_.write_retry(buffer, initial, remote, now);
    if (size > 0) {
      send_batch_.commit(remote, size);
      ++stats_.retries_sent;
    }
    return false;
  }
  if (token == TokenCheck::kValid) retried_from = original_dcid;
  return true;
}

void QuicEndpoint::send_stateless_reset(const ConnectionId& dcid, std::size_t received_size,
                                        const SocketAddress& remote, Timestamp now) {
  // Too short to answer with something shorter (no ping-pong between endpoints): spends nothing.
  if (received_size <= kMinStatelessResetBytes) return;
  // A global token bucket: resets answer packets nobody authenticated, so their rate is capped.
  if (!reset_allowance_.allow(TokenBucket::TimePoint(std::chrono::nanoseconds(now)))) return;
  const std::span<uint8_t> buffer = send_batch_.reserve(1500);
  const std::size_t size =
      buffer.empty() ? 0 : keys_.write_stateless_reset(buffer, dcid, received_size);
  if (size == 0) return;
  send_batch_.commit(remote, size);
  ++stats_.stateless_resets_sent;
}

void QuicEndpoint::handshake_ended(Connection& connection) {
  if (!connection.half_open) return;
  connection.half_open = false;
  --half_open_;
}

void QuicEndpoint::schedule_flush(Connection& connection) {
  // No map lookup per packet: a connection gone from the maps is marked destroyed (and freed
  // only after this turn), and the weak reference says whether it is still there when flushed.
  if (connection.destroyed) return;
  if (!connection.flush_scheduled) {
    connection.flush_scheduled = true;
    flush_list_.push_back(connection.weak_from_this());
  }
  if (!flush_posted_) {
    flush_posted_ = true;
    asio::post(io_, [this] { flush_scheduled(); });
  }
}

void QuicEndpoint::flush_scheduled() {
  flush_posted_ = false;
  // Servicing may schedule more (room fan-out to other connections): loop until quiet. Blocked on
  // a full socket buffer, the scheduled connections wait for wait_writable() instead.
  for (int round = 0; round < 4 && !flush_list_.empty() && !send_batch_.blocked(); ++round) {
    std::vector<std::weak_ptr<Connection>> list;
    list.swap(flush_list_);
    const Timestamp now = monotonic_now();
    for (const auto& weak : list) {
      if (auto connection = weak.lock(); connection && !connection->destroyed) {
        connection->flush_scheduled = false;
        service(*connection, now);
      }
    }
  }
  send_batch_now();
  update_endpoint_timer();
}

void QuicEndpoint::service(Connection& connection, Timestamp now) {
  QuicConnection& quic = *connection.connection;
  for (int round = 0; round < 8; ++round) {
    const ConnectionState state = quic.state();
    if (state == ConnectionState::kActive) connection.application->before_write();
    quic.write_packets(send_batch_, now);
    if (send_batch_.blocked() || !send_batch_.nearly_full()) break;
    send_batch_now();
  }
  if (send_batch_.blocked() && !connection.flush_scheduled) {
    // It may have had more to send: serve it again once the socket drains.
    connection.flush_scheduled = true;
    flush_list_.push_back(connection.weak_from_this());
  }
  const ConnectionState state = quic.state();
  if (state != ConnectionState::kHandshaking) handshake_ended(connection);
  if (state != ConnectionState::kActive && state != ConnectionState::kHandshaking &&
      !connection.closed_notified) {
    connection.closed_notified = true;
    VC_LOG_DEBUG("event=quic_closed remote={} reason=\"{}\"", quic.remote().to_string(),
                 log::escaped(quic.close_reason()));
    connection.application->on_connection_closed();
  }
  if (quic.closed_for_good(now)) return destroy(connection);
  arm_timer(connection);
}

namespace {

// std::push_heap/pop_heap build a max-heap: "less" means later, so the earliest is on top.
struct LaterExpiry {
  template <class Entry>
  bool operator()(const Entry& a, const Entry& b) const {
    return a.at > b.at;
  }
};

}  // namespace

void QuicEndpoint::arm_timer(Connection& connection) {
  if (connection.destroyed) return;
  const Timestamp expiry = connection.connection->next_timer();
  if (expiry == UINT64_MAX || expiry >= connection.armed_for) return;  // already due earlier
  connection.armed_for = expiry;
  // Stale entries pile up while connections re-arm earlier; keep the heap near one per connection.
  if (timer_heap_.size() >= 2 * connections_.size() + limits::kQuicTimerHeapSlack) {
    std::erase_if(timer_heap_, [](const TimerEntry& entry) {
      const auto owner = entry.connection.lock();
      return !owner || owner->destroyed || owner->armed_for != entry.at;
    });
    std::make_heap(timer_heap_.begin(), timer_heap_.end(), LaterExpiry{});
  }
  timer_heap_.push_back({expiry, connection.weak_from_this()});
  std::push_heap(timer_heap_.begin(), timer_heap_.end(), LaterExpiry{});
}

void QuicEndpoint::update_endpoint_timer() {
  if (timer_heap_.empty()) return;
  const Timestamp earliest = timer_heap_.front().at;
  if (earliest >= timer_armed_for_) return;  // the armed wait comes first and re-checks
  timer_armed_for_ = earliest;
  timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::nanoseconds(earliest))));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) on_endpoint_timer();
  });
}

void QuicEndpoint::on_endpoint_timer() {
  timer_armed_for_ = UINT64_MAX;
  const Timestamp now = monotonic_now();
  // Collect first: servicing re-arms connections, and a connection due again at once waits for
  // the next turn instead of spinning here.
  due_.clear();
  while (!timer_heap_.empty() && timer_heap_.front().at <= now) {
    std::pop_heap(timer_heap_.begin(), timer_heap_.end(), LaterExpiry{});
    TimerEntry entry = std::move(timer_heap_.back());
    timer_heap_.pop_back();
    const auto connection = entry.connection.lock();
    if (!connection || connection->destroyed || connection->armed_for != entry.at) continue;
    connection->armed_for = UINT64_MAX;
    due_.push_back(connection);
  }
  for (const auto& weak : due_) {
    // An earlier one's callbacks may have destroyed it (the room closing a session).
    if (auto connection = weak.lock(); connection && !connection->destroyed) {
      connection->connection->handle_timer(now);
      service(*connection, now);
    }
  }
  due_.clear();
  send_batch_now();
  update_endpoint_timer();
}

void QuicEndpoint::destroy(Connection& connection) {
  if (connection.destroyed || !connections_.contains(&connection)) return;
  connection.destroyed = true;
  if (!connection.closed_notified && connection.application) {
    connection.closed_notified = true;
    connection.application->on_connection_closed();
  }
  for (const ConnectionId& id : std::vector<ConnectionId>(connection.ids)) {
    connection.on_connection_id_removed(id);
  }
  if (auto it = per_address_.find(connection.address); it != per_address_.end()) {
    if (--it->second == 0) per_address_.erase(it);
  }
  handshake_ended(connection);
  ++stats_.connections_closed;
  // The application may still be on the stack (destroy from service()): free after this turn.
  // Looked up again: the application's callback above may have changed the map.
  const auto it = connections_.find(&connection);
  if (it == connections_.end()) return;
  auto owned = std::move(it->second);
  connections_.erase(it);
  owned->connection->set_events(nullptr);
  asio::post(io_, [owned = std::move(owned)] {});
  if (connections_.empty()) {
    // Nothing left to time: the io_context may run out of work (shutdown).
    timer_heap_.clear();
    timer_.cancel();
    timer_armed_for_ = UINT64_MAX;
  }
  maybe_close_socket();
}

void QuicEndpoint::send_batch_now() {
  // While blocked only wait_writable() flushes: a retry now would just fail again.
  if (send_batch_.empty() || send_batch_.blocked() || !socket_.is_open()) return;
  stats_.packets_refused_by_kernel += send_batch_.flush(socket_.native_handle());
  if (send_batch_.blocked()) wait_writable();
}

void QuicEndpoint::wait_writable() {
  if (waiting_writable_ || !socket_.is_open()) return;
  waiting_writable_ = true;
  ++stats_.send_waits;
  socket_.async_wait(udp::socket::wait_write, [this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the socket is closing (and `this` may be gone)
    waiting_writable_ = false;
    if (!socket_.is_open()) return;
    stats_.packets_refused_by_kernel += send_batch_.flush(socket_.native_handle());
    if (send_batch_.blocked()) return wait_writable();
    flush_scheduled();  // the connections held back while blocked
  });
}

void QuicEndpoint::stop_accepting() {
  accepting_ = false;
  maybe_close_socket();
}

void QuicEndpoint::maybe_close_socket() {
  if (accepting_ || !connections_.empty() || !socket_.is_open()) return;
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void QuicEndpoint::close_now() {
  accepting_ = false;
  std::vector<Connection*> all;
  for (const auto& [raw, owned] : connections_) all.push_back(raw);
  for (Connection* connection : all) destroy(*connection);
  boost::system::error_code ignored;
  socket_.close(ignored);
}

}  // namespace vc::quic
