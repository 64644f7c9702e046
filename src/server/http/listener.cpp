#include "server/http/listener.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "server/http/http_session.hpp"

namespace vc::http {

namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(core::ServerContext& ctx, const tcp::endpoint& endpoint, asio::ssl::context* tls,
                   const UpgradeHandlers& upgrades)
    : ctx_(ctx), acceptor_(ctx.io), tls_(tls), upgrades_(upgrades), backoff_timer_(ctx.io) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_timer_.cancel();
}

void Listener::accept_after_backoff() {
  backoff_timer_.expires_after(limits::kAcceptBackoff);
  backoff_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || !self->acceptor_.is_open()) return;
    self->accept();
  });
}

void Listener::accept() {
  // Everything runs on the one relay thread, so sockets live on the acceptor's executor.
  acceptor_.async_accept(
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->on_accept(ec, std::move(socket));
      });
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Keep accepting rather than dying, but never at line rate: EMFILE/ENFILE (and ENOBUFS,
    // ENOMEM) leave the connection queued, so an immediate retry fails again at once. Only a
    // connection the client aborted before we took it is worth retrying without a pause.
    if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
      ++ctx_.metrics.accept_fd_exhausted;
    }
    uint64_t suppressed = 0;
    if (accept_failure_log_.allow(std::chrono::steady_clock::now(), suppressed)) {
      VC_LOG_WARN("event=accept_failed error=\"{}\" suppressed_since_last={}", ec.message(),
                  suppressed);
    }
    return ec == asio::error::connection_aborted ? accept() : accept_after_backoff();
  }
  boost::system::error_code remote_ec;
  const tcp::endpoint remote = socket.remote_endpoint(remote_ec);
  if (ctx_.connections.full()) ++ctx_.metrics.connections_over_limit;
  if (remote_ec || ctx_.shutting_down || !ctx_.connections.try_acquire(remote.address())) {
    ++ctx_.metrics.connections_refused;
    boost::system::error_code ignored;
    socket.close(ignored);
    return accept();
  }
  ++ctx_.metrics.connections_accepted;
  socket.set_option(tcp::no_delay(true), remote_ec);  // media latency beats packet count
  // Bound what the kernel holds unsent (it would autotune to megabytes): a slow receiver's backlog
  // then stays in its SendQueue, where the drop policy and the bandwidth estimate see it
  // (docs/PROTOCOL.md §11.6). In-flight data is not limited by this.
  constexpr int kNotSentLowat = static_cast<int>(limits::kTcpNotSentLowatBytes);
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &kNotSentLowat,
               sizeof(kNotSentLowat));
  start_http_session(ctx_, upgrades_, std::move(socket),
                     core::ConnectionSlot(ctx_.connections, remote.address()), tls_);
  accept();
}

}  // namespace vc::http
