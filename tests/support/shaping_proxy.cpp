#include "shaping_proxy.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace vc::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kChunkBytes = 4096;

struct Shared {
  ShapingOptions options;
  std::atomic<uint64_t> rate_bps{0};
  bool upstream_paused = false;  // on the io thread only
  std::atomic<uint64_t> connections{0};
  std::atomic<uint64_t> to_client{0};
  std::atomic<uint64_t> to_target{0};
};

// One proxied connection. Lives on the proxy's io thread; kept alive by its pending handlers.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket client, Shared& shared)
      : client_(std::move(client)),
        target_(client_.get_executor()),
        timer_(client_.get_executor()),
        shared_(shared),
        tokens_(static_cast<double>(shared.options.burst_bytes)),
        refilled_(Clock::now()) {}

  void start(const tcp::endpoint& target) {
    boost::system::error_code ec;
    target_.open(target.protocol(), ec);
    if (!ec && shared_.options.upstream_receive_buffer > 0) {
      // Small and fixed (no autotuning), so backpressure reaches the target after little data.
      target_.set_option(tcp::socket::receive_buffer_size(shared_.options.upstream_receive_buffer),
                         ec);
    }
    if (!ec && shared_.options.upstream_mss > 0) {
      // Advertised in our SYN: the target's kernel then segments (and sizes its autotuned send
      // buffer) as on that path, not for loopback's 64 KiB segments.
      const int mss = shared_.options.upstream_mss;
      if (::setsockopt(target_.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) != 0) {
        ec = boost::system::error_code(errno, boost::system::system_category());
      }
    }
    if (ec) return close();
    target_.async_connect(target, [self = shared_from_this()](boost::system::error_code error) {
      if (error) return self->close();
      self->read_client();
      self->read_target();
    });
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    client_.close(ignored);
    target_.close(ignored);
    timer_.cancel();
  }

  // Reading from the client stopped at a pause: start again.
  void resume_upstream() {
    if (!upstream_parked_ || closed_) return;
    upstream_parked_ = false;
    if (held_up_bytes_ > 0) {
      write_target(std::exchange(held_up_bytes_, 0));
    } else {
      read_client();
    }
  }

 private:
  struct Chunk {
    std::string bytes;
    Clock::time_point release_at;
  };

  // Client -> target: as it comes.
  void read_client() {
    if (shared_.upstream_paused) {
      upstream_parked_ = true;
      return;
    }
    client_.async_read_some(
        asio::buffer(up_buffer_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec == asio::error::eof) {
            boost::system::error_code ignored;
            self->target_.shutdown(tcp::socket::shutdown_send, ignored);
            return;
          }
          if (ec) return self->close();
          if (self->shared_.upstream_paused) {
            // Read before the pause began: held, so nothing sent after the pause gets through.
            self->held_up_bytes_ = n;
            self->upstream_parked_ = true;
            return;
          }
          self->write_target(n);
        });
  }

  void write_target(std::size_t n) {
    asio::async_write(
        target_, asio::buffer(up_buffer_, n),
        [self = shared_from_this()](boost::system::error_code error, std::size_t written) {
          if (error) return self->close();
          self->shared_.to_target += written;
          self->read_client();
        });
  }

  // Target -> client: read only while little is pending, so the target feels backpressure.
  void read_target() {
    if (closed_ || reading_target_ || target_eof_ ||
        pending_bytes_ >= shared_.options.max_pending_bytes) {
      return;
    }
    reading_target_ = true;
    // A chunk never exceeds the bucket, so it can always be sent eventually.
    const std::size_t size = std::clamp<std::size_t>(shared_.options.burst_bytes, 1, kChunkBytes);
    target_.async_read_some(
        asio::buffer(down_buffer_.data(), size),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          self->reading_target_ = false;
          if (ec == asio::error::eof) {
            self->target_eof_ = true;
            return self->pump();
          }
          if (ec) return self->close();
          self->pending_.push_back(Chunk{std::string(self->down_buffer_.data(), n),
                                         Clock::now() + self->shared_.options.downstream_delay});
          self->pending_bytes_ += n;
          self->pump();
          self->read_target();
        });
  }

  // Seconds until `bytes` tokens are there (0: now). Unlimited rate: always now.
  double token_wait(std::size_t bytes, Clock::time_point now) {
    const uint64_t rate = shared_.rate_bps.load();
    if (rate == 0) return 0;
    const double bytes_per_second = static_cast<double>(rate) / 8;
    const double elapsed = std::chrono::duration<double>(now - refilled_).count();
    tokens_ = std::min(static_cast<double>(shared_.options.burst_bytes),
                       tokens_ + elapsed * bytes_per_second);
    refilled_ = now;
    const double missing = static_cast<double>(bytes) - tokens_;
    return missing <= 0 ? 0 : missing / bytes_per_second;
  }

  void pump() {
    if (closed_ || writing_client_) return;
    if (pending_.empty()) {
      if (target_eof_) {
        boost::system::error_code ignored;
        client_.shutdown(tcp::socket::shutdown_send, ignored);
      }
      return;
    }
    const Chunk& chunk = pending_.front();
    const Clock::time_point now = Clock::now();
    const double wait = std::max(std::chrono::duration<double>(chunk.release_at - now).count(),
                                 token_wait(chunk.bytes.size(), now));
    writing_client_ = true;
    if (wait > 0) {
      timer_.expires_after(
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait)));
      timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
        self->writing_client_ = false;
        self->pump();
      });
      return;
    }
    if (shared_.rate_bps.load() != 0) tokens_ -= static_cast<double>(chunk.bytes.size());
    asio::async_write(client_, asio::buffer(chunk.bytes),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                        self->writing_client_ = false;
                        if (ec) return self->close();
                        self->shared_.to_client += n;
                        self->pending_bytes_ -= n;
                        self->pending_.pop_front();
                        self->pump();
                        self->read_target();
                      });
  }

  tcp::socket client_;
  tcp::socket target_;
  asio::steady_timer timer_;
  Shared& shared_;
  std::array<char, kChunkBytes> up_buffer_{};
  std::array<char, kChunkBytes> down_buffer_{};
  std::deque<Chunk> pending_;
  std::size_t pending_bytes_ = 0;
  double tokens_;
  Clock::time_point refilled_;
  bool reading_target_ = false;
  bool writing_client_ = false;  // a write or a wait for tokens/delay is in progress
  bool target_eof_ = false;
  bool upstream_parked_ = false;   // read_client() stopped at a pause
  std::size_t held_up_bytes_ = 0;  // in up_buffer_, read while pausing, not yet forwarded
  bool closed_ = false;
};

}  // namespace

class ShapingProxy::Impl {
 public:
  explicit Impl(ShapingOptions options)
      : acceptor_(io_), target_(asio::ip::make_address(options.target_host), options.target_port) {
    const tcp::endpoint local(asio::ip::address_v4::loopback(), 0);
    acceptor_.open(local.protocol());
    if (options.client_receive_buffer > 0) {
      // Before listen(): accepted sockets inherit it, and the window scale is chosen in the SYN.
      acceptor_.set_option(tcp::socket::receive_buffer_size(options.client_receive_buffer));
    }
    if (options.client_mss > 0) {
      const int mss = options.client_mss;
      ::setsockopt(acceptor_.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss));
    }
    acceptor_.bind(local);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    shared_.options = std::move(options);
    shared_.rate_bps = shared_.options.downstream_bps;
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    close_all(/*stop_accepting=*/true);
    // Every socket and timer is closed: their aborted handlers run, then run() returns.
    work_.reset();
    thread_.join();
  }

  uint16_t port() const { return port_; }
  Shared& shared() { return shared_; }

  void close_all(bool stop_accepting) {
    std::promise<void> closed;
    asio::post(io_, [&] {
      boost::system::error_code ignored;
      if (stop_accepting) acceptor_.close(ignored);
      for (auto& weak : connections_) {
        if (auto connection = weak.lock()) connection->close();
      }
      closed.set_value();
    });
    closed.get_future().wait();
  }

  void set_upstream_paused(bool paused) {
    std::promise<void> done;
    asio::post(io_, [&] {
      shared_.upstream_paused = paused;
      if (!paused) {
        for (auto& weak : connections_) {
          if (auto connection = weak.lock()) connection->resume_upstream();
        }
      }
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // closed
      auto connection = std::make_shared<Connection>(std::move(socket), shared_);
      std::erase_if(connections_, [](const auto& weak) { return weak.expired(); });
      connections_.push_back(connection);
      ++shared_.connections;
      connection->start(target_);
      accept();
    });
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  tcp::endpoint target_;
  Shared shared_;
  std::vector<std::weak_ptr<Connection>> connections_;
  std::thread thread_;
};

ShapingProxy::ShapingProxy(ShapingOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

ShapingProxy::~ShapingProxy() = default;

uint16_t ShapingProxy::port() const {
  return impl_->port();
}

ShapingStats ShapingProxy::stats() const {
  Shared& shared = impl_->shared();
  return ShapingStats{shared.connections.load(), shared.to_client.load(), shared.to_target.load()};
}

void ShapingProxy::drop_connections() {
  impl_->close_all(/*stop_accepting=*/false);
}

void ShapingProxy::set_upstream_paused(bool paused) {
  impl_->set_upstream_paused(paused);
}

void ShapingProxy::set_downstream_bps(uint64_t bps) {
  impl_->shared().rate_bps = bps;
}

}  // namespace vc::test
