// WebTransport transport: the sans-I/O WebTransportConnection driven on the client's strand.
// A connected UDP socket (async_wait readable -> feed packets), one steady_timer for the QUIC
// expiry, and a write pass after every input, timer or flush. Envelopes are mapped as the browser
// maps them (docs/PROTOCOL.md §7): control on the bidirectional control stream, media on one
// unidirectional stream per kind, audio as a datagram when it fits.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "net/quic/udp_batch.hpp"
#include "protocol/stream_mapping.hpp"
#include "transport.hpp"
#include "webtransport/wt_connection.hpp"

namespace vc::client {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

quic::SendBatch::SendMessages& udp_send_function() {
  static quic::SendBatch::SendMessages function;
  return function;
}

quic::SocketAddress to_socket_address(const udp::endpoint& endpoint) {
  quic::SocketAddress address;
  std::memcpy(&address.storage, endpoint.data(), endpoint.size());
  address.size = static_cast<socklen_t>(endpoint.size());
  return address;
}

ClientError rejected_error(int status) {
  const std::string message = "WebTransport CONNECT refused (HTTP " + std::to_string(status) + ")";
  switch (status) {
    case 401:
    case 403:
    case 404:
      return {ErrorKind::kRefused, static_cast<uint32_t>(status), message};
    case 429:
      return {ErrorKind::kServerClosed, 4429, message};
    case 503:
      return {ErrorKind::kServerClosed, 4503, message};
    default:
      return {ErrorKind::kUnreachable, static_cast<uint32_t>(status), message};
  }
}

class WebTransportTransport final : public Transport,
                                    public std::enable_shared_from_this<WebTransportTransport> {
 public:
  WebTransportTransport(asio::any_io_executor strand, std::weak_ptr<TransportListener> listener)
      : listener_(std::move(listener)),
        resolver_(strand),
        socket_(strand),
        quic_timer_(strand),
        deadline_timer_(strand) {}

  void open(const TransportTarget& target) override {
    target_ = target;
    deadline_timer_.expires_after(target.connect_timeout);
    deadline_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec || self->opened_ || self->closing_) return;
      self->fail({ErrorKind::kUnreachable, 0,
                  "WebTransport did not connect to " + self->target_.server.host_header() +
                      " within " + std::to_string(self->target_.connect_timeout.count()) + " ms"});
    });
    resolver_.async_resolve(
        target.server.host, std::to_string(target.server.port),
        [self = shared_from_this()](boost::system::error_code ec,
                                    udp::resolver::results_type results) {
          if (self->closing_ || self->failed_) return;
          if (ec || results.empty()) {
            self->fail({ErrorKind::kUnreachable, 0,
                        "cannot resolve " + self->target_.server.host + ": " + ec.message()});
            return;
          }
          self->start_connection(results.begin()->endpoint());
        });
  }

  void flush() override { pump(); }

  void close(uint16_t code) override {
    if (closing_) return;
    closing_ = true;
    auto self = shared_from_this();
    // Take what the listener still has queued (e.g. a Leave), then stop talking to it.
    if (auto listener = listener_.lock(); listener && connection_ && opened_) {
      while (FrameRef frame = listener->next_outgoing()) send(frame);
    }
    listener_.reset();
    resolver_.cancel();
    deadline_timer_.cancel();
    if (!connection_ || !opened_) {
      shutdown();
      return;
    }
    // 1000 (normal) is 0 on the WebTransport wire; other codes travel as they are.
    connection_->close(code == 1000 ? 0 : code, "");
    pump();
    deadline_timer_.expires_after(limits::kWebTransportCloseLinger);
    deadline_timer_.async_wait([self](boost::system::error_code ec) {
      if (!ec) self->shutdown();
    });
  }

 private:
  void start_connection(const udp::endpoint& remote) {
    boost::system::error_code ec;
    socket_.open(remote.protocol(), ec);
    if (!ec && !target_.bind_address.empty()) {
      const auto local = asio::ip::make_address(target_.bind_address, ec);
      if (!ec) socket_.bind(udp::endpoint(local, 0), ec);
    }
    if (!ec) socket_.connect(remote, ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (ec) {
      fail({ErrorKind::kUnreachable, 0,
            "cannot open a UDP socket to " + target_.server.host_header() + ": " + ec.message()});
      return;
    }
    const int fd = socket_.native_handle();
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &limits::kQuicSocketBufferBytes,
                 sizeof(limits::kQuicSocketBufferBytes));
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &limits::kQuicSocketBufferBytes,
                 sizeof(limits::kQuicSocketBufferBytes));
    batch_.set_gso(quic::probe_gso(fd));
    if (udp_send_function()) batch_.set_send_function(udp_send_function());
    const udp::endpoint local = socket_.local_endpoint(ec);
    wt::ConnectionOptions options;
    options.authority = target_.server.host_header();
    options.path = target_.path_and_query;
    options.certificate_sha256 = target_.certificate_sha256;
    boost::system::error_code address_error;
    asio::ip::make_address(target_.server.host, address_error);
    if (address_error) options.server_name = target_.server.host;  // SNI only for names
    connection_ =
        wt::WebTransportConnection::connect(std::move(options), to_socket_address(local),
                                            to_socket_address(remote), quic::monotonic_now());
    if (!connection_) {
      fail({ErrorKind::kUnreachable, 0, "cannot set up the QUIC connection (TLS)"});
      return;
    }
    connection_->on_envelope([this](wt::ByteView envelope, bool) {
      if (auto listener = listener_.lock()) listener->on_transport_message(envelope);
    });
    wait_readable();
    pump();
  }

  void wait_readable() {
    socket_.async_wait(udp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (ec || !self->connection_) return;
                         self->read_packets();
                       });
  }

  void read_packets() {
    // Envelopes reach the listener from inside the connection; a flush() it makes meanwhile
    // only marks the pump to run once the connection has returned.
    busy_ = true;
    for (int i = 0; i < limits::kWebTransportClientReadBurst; ++i) {
      const ssize_t size =
          ::recv(socket_.native_handle(), read_buffer_.data(), read_buffer_.size(), MSG_DONTWAIT);
      if (size <= 0) break;
      connection_->receive_packet({read_buffer_.data(), static_cast<std::size_t>(size)},
                                  quic::monotonic_now());
    }
    busy_ = false;
    pump();
    if (socket_.is_open()) wait_readable();
  }

  // Reports state changes, moves queued envelopes into streams (bounded by the stream backlog, so
  // the client's SendQueue keeps the drop policy), writes packets and re-arms the QUIC timer.
  void pump() {
    if (!connection_ || failed_ || shut_down_) return;
    if (busy_) {
      pump_again_ = true;  // re-entered from a callback: the running pass goes round again
      return;
    }
    auto self = shared_from_this();
    busy_ = true;
    do {
      pump_again_ = false;
      if (!report_state()) {
        busy_ = false;
        return;
      }
      bool backlogged = false;
      if (opened_ && !closing_) {
        while (!(backlogged = connection_->unsent_stream_bytes() >=
                              limits::kWebTransportStreamBacklogBytes)) {
          const FrameRef frame = next_frame();
          if (!frame) break;
          send(frame);
        }
      }
      write_out();
      // Packets went out and freed backlog: take more from the queue.
      if (backlogged &&
          connection_->unsent_stream_bytes() < limits::kWebTransportStreamBacklogBytes) {
        pump_again_ = true;
      }
    } while (pump_again_);
    busy_ = false;
    // Closing ends once the CONNECTION_CLOSE is on the wire, not while a full socket buffer holds
    // it.
    if (closing_ && batch_.empty() && connection_->closed_for_good(quic::monotonic_now())) {
      shutdown();
      return;
    }
    arm_quic_timer();
  }

  // Packets into the batch, the batch onto the socket: a connection's burst is one sendmmsg (one
  // GSO message where the kernel offers it). A full socket buffer holds the batch and takes no
  // new packets; the data waits in the connection, and wait_writable() resumes.
  void write_out() {
    if (batch_.blocked()) return;
    const quic::Timestamp now = quic::monotonic_now();
    for (int round = 0; round < 8; ++round) {
      connection_->write_packets(batch_, now);
      if (batch_.blocked() || !batch_.nearly_full()) break;
      send_batch();
    }
    send_batch();
  }

  void send_batch() {
    if (batch_.empty() || batch_.blocked() || !socket_.is_open()) return;
    batch_.flush(socket_.native_handle());  // other errors drop: QUIC recovers them as loss
    if (batch_.blocked()) wait_writable();
  }

  void wait_writable() {
    if (waiting_writable_ || !socket_.is_open()) return;
    waiting_writable_ = true;
    const auto resume = [self = shared_from_this()](boost::system::error_code ec) {
      self->waiting_writable_ = false;
      if (ec || self->shut_down_ || !self->socket_.is_open()) return;
      self->batch_.flush(self->socket_.native_handle());
      if (self->batch_.blocked()) return self->wait_writable();
      self->pump();  // what the connection held back meanwhile
    };
    // Room already (the buffer drained since): retry on the next turn. Otherwise the edge-triggered
    // reactor reports the space the kernel frees next.
    pollfd writable{socket_.native_handle(), POLLOUT, 0};
    if (::poll(&writable, 1, 0) > 0 && (writable.revents & POLLOUT) != 0) {
      asio::post(socket_.get_executor(), [resume] { resume({}); });
      return;
    }
    socket_.async_wait(udp::socket::wait_write, resume);
  }

  // Tells the listener about opening, refusal and loss. False once the transport is finished.
  bool report_state() {
    switch (connection_->state()) {
      case wt::ClientState::kConnecting:
        return true;
      case wt::ClientState::kEstablished:
        if (!opened_) {
          opened_ = true;
          deadline_timer_.cancel();
          if (auto listener = listener_.lock()) listener->on_transport_open();
        }
        return !failed_;
      case wt::ClientState::kRejected:
        fail(rejected_error(connection_->rejected_status()));
        return false;
      case wt::ClientState::kClosed:
        if (closing_) return true;  // our own close: keep writing until it is delivered
        fail(closed_error());
        return false;
    }
    return false;
  }

  ClientError closed_error() const {
    if (const auto session = connection_->session_close()) {
      const uint32_t code = session->first;
      return {classify_close_code(code), code,
              "server closed the WebTransport session (" + std::to_string(code) +
                  (session->second.empty() ? "" : ": " + session->second) + ")"};
    }
    const std::string reason = connection_->quic_close_reason();
    if (!opened_) {
      return {ErrorKind::kUnreachable, 0,
              "WebTransport handshake with " + target_.server.host_header() + " failed" +
                  (reason.empty() ? "" : ": " + reason)};
    }
    return {ErrorKind::kUnreachable, 0,
            "WebTransport connection lost" + (reason.empty() ? "" : ": " + reason)};
  }

  FrameRef next_frame() {
    if (auto listener = listener_.lock()) return listener->next_outgoing();
    return {};
  }

  void send(const FrameRef& frame) {
    // Audio rides datagrams like the browser's (one envelope each; falls back to its stream when
    // it does not fit). A refused write means the session is gone: the state report follows.
    (void)connection_->send_envelope(
        frame, /*as_datagram=*/stream_mapping::prefers_datagram(frame->meta().lane));
  }

  void arm_quic_timer() {
    const quic::Timestamp expiry = connection_->next_timer();
    if (expiry == UINT64_MAX || expiry == armed_expiry_) return;
    armed_expiry_ = expiry;
    const quic::Timestamp now = quic::monotonic_now();
    quic_timer_.expires_after(std::chrono::nanoseconds(expiry > now ? expiry - now : 0));
    quic_timer_.async_wait([self = shared_from_this(), expiry](boost::system::error_code ec) {
      if (ec || !self->connection_ || self->shut_down_ || self->armed_expiry_ != expiry) return;
      self->armed_expiry_ = 0;
      self->connection_->handle_timer(quic::monotonic_now());
      self->pump();
    });
  }

  void fail(const ClientError& error) {
    if (failed_) return;
    failed_ = true;
    auto self = shared_from_this();
    shutdown();
    if (auto listener = listener_.lock()) {
      listener_.reset();
      listener->on_transport_closed(error);
    }
  }

  // Stops all I/O; pending handlers run with errors and release their references to us.
  void shutdown() {
    shut_down_ = true;
    boost::system::error_code ignored;
    resolver_.cancel();
    quic_timer_.cancel();
    deadline_timer_.cancel();
    socket_.close(ignored);
  }

  std::weak_ptr<TransportListener> listener_;
  TransportTarget target_;
  udp::resolver resolver_;
  udp::socket socket_;
  asio::steady_timer quic_timer_;
  asio::steady_timer deadline_timer_;  // connect timeout, then the close linger
  std::unique_ptr<wt::WebTransportConnection> connection_;
  std::array<uint8_t, 2048> read_buffer_{};
  quic::SendBatch batch_{false};
  bool waiting_writable_ = false;
  quic::Timestamp armed_expiry_ = 0;
  bool busy_ = false;  // inside the connection or a pump pass
  bool pump_again_ = false;
  bool opened_ = false;
  bool closing_ = false;
  bool failed_ = false;
  bool shut_down_ = false;
};

}  // namespace

void set_webtransport_send_function(quic::SendBatch::SendMessages send) {
  udp_send_function() = std::move(send);
}

std::shared_ptr<Transport> make_webtransport_transport(asio::any_io_executor strand,
                                                       std::weak_ptr<TransportListener> listener) {
  return std::make_shared<WebTransportTransport>(std::move(strand), std::move(listener));
}

}  // namespace vc::client
