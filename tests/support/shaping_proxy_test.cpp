// ShapingProxy against a local source that writes as fast as its socket allows: the client sees
// the configured rate over a long window (within a generous bound), the source is held back by
// TCP backpressure instead of the proxy buffering, the added delay holds, and the client's bytes
// pass to the target unshaped. POSIX sockets, every wait bounded by poll() deadlines.
#include "shaping_proxy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vc::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

sockaddr_in loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Accepts one connection, reads the client's greeting line, answers "reply\n", then (with
// `blast`) writes as fast as its send buffer drains until destroyed.
class Source {
 public:
  Source(bool blast, int send_buffer) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address = loopback(0);
    socklen_t size = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(listener_, 1) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      ADD_FAILURE() << "cannot listen";
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this, blast, send_buffer] { serve(blast, send_buffer); });
  }
  ~Source() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  uint64_t written() const { return written_; }
  std::string greeting() const {
    std::lock_guard lock(mutex_);
    return greeting_;
  }

 private:
  bool wait(int fd, short events) {
    pollfd entry{fd, events, 0};
    while (!stop_) {
      if (::poll(&entry, 1, 20) > 0) return true;
    }
    return false;
  }
  void serve(bool blast, int send_buffer) {
    if (!wait(listener_, POLLIN)) return;
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    if (send_buffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
    char byte = 0;
    while (byte != '\n' && wait(fd, POLLIN) && ::read(fd, &byte, 1) == 1) {
      std::lock_guard lock(mutex_);
      greeting_ += byte;
    }
    const std::string reply = "reply\n";
    if (::write(fd, reply.data(), reply.size()) == static_cast<ssize_t>(reply.size())) {
      written_ += reply.size();
    }
    const std::vector<char> chunk(16 << 10, 'x');
    while (blast && wait(fd, POLLOUT)) {
      const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) written_ += static_cast<uint64_t>(n);
      if (n < 0 && errno != EAGAIN) break;
    }
    ::close(fd);
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> written_{0};
  mutable std::mutex mutex_;
  std::string greeting_;
  std::thread thread_;
};

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const sockaddr_in address = loopback(port);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    return ::write(fd_, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  }
  // Reads whatever is there (all of it: the buffer is larger than any socket buffer here), waiting
  // until `deadline`; returns the byte count (0 at the deadline or on close).
  std::size_t read_some(Clock::time_point deadline) {
    while (Clock::now() < deadline) {
      pollfd entry{fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&entry, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
      const ssize_t n = ::read(fd_, buffer_.data(), buffer_.size());
      if (n <= 0) return 0;
      last_.assign(buffer_.data(), static_cast<std::size_t>(n));
      return static_cast<std::size_t>(n);
    }
    return 0;
  }
  const std::string& last() const { return last_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::vector<char> buffer_ = std::vector<char>(4u << 20);
  std::string last_;
};

TEST(ShapingProxy, HoldsTheRateOverALongWindowAndBackpressuresTheSource) {
  constexpr uint64_t kRateBps = 800'000;  // 100 kB/s
  constexpr std::size_t kBurst = 16u << 10;
  Source source(/*blast=*/true, /*send_buffer=*/64 << 10);
  ShapingProxy proxy(
      {.target_port = source.port(), .downstream_bps = kRateBps, .burst_bytes = kBurst});
  Client client(proxy.port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("hello\n"));
  ASSERT_GT(client.read_some(Clock::now() + 10s), 0u) << "nothing came through the proxy";

  // Bytes after this first read against the time since it: the first read drained everything
  // that had arrived, so what follows was written by the proxy after it.
  const Clock::time_point start = Clock::now();
  uint64_t received = 0;
  while (Clock::now() - start < 3s) received += client.read_some(start + 3s);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double allowed = static_cast<double>(kRateBps) / 8 * elapsed;
  RecordProperty("received_bytes", static_cast<int>(received));
  // Above: unshaped loopback would carry gigabytes. Below: the proxy forwards at all.
  EXPECT_LE(static_cast<double>(received), allowed * 1.1 + kBurst + 4096)
      << "over " << elapsed << " s";
  EXPECT_GE(static_cast<double>(received), allowed * 0.3) << "over " << elapsed << " s";
  // The source wrote little more than the client got: the proxy did not soak it up.
  const uint64_t written = source.written();
  EXPECT_LE(written, received + (1u << 20)) << "written " << written << ", received " << received;
  EXPECT_EQ(proxy.stats().connections, 1u);
  EXPECT_EQ(proxy.stats().bytes_to_target, 6u);
}

TEST(ShapingProxy, DelaysTheTargetsBytesAndPassesTheClientsUnshaped) {
  Source source(/*blast=*/false, 0);
  ShapingProxy proxy({.target_port = source.port(), .downstream_delay = 200ms});
  Client client(proxy.port());
  ASSERT_TRUE(client.connected());
  const Clock::time_point sent = Clock::now();
  ASSERT_TRUE(client.send("hello\n"));
  ASSERT_GT(client.read_some(Clock::now() + 10s), 0u);
  EXPECT_GE(Clock::now() - sent, 200ms);  // a lower bound: only the proxy can make it hold
  EXPECT_EQ(client.last(), "reply\n");
  EXPECT_EQ(source.greeting(), "hello\n");
}

TEST(ShapingProxy, RateChangesApplyToOpenConnections) {
  Source source(/*blast=*/true, 64 << 10);
  ShapingProxy proxy(
      {.target_port = source.port(), .downstream_bps = 80'000'000, .burst_bytes = 4096});
  Client client(proxy.port());
  ASSERT_TRUE(client.send("hello\n"));
  ASSERT_GT(client.read_some(Clock::now() + 10s), 0u);
  proxy.set_downstream_bps(400'000);  // 50 kB/s
  // Let what was in flight at the old rate arrive, then measure at the new one.
  const Clock::time_point settle = Clock::now() + 500ms;
  while (Clock::now() < settle) client.read_some(settle);
  const Clock::time_point start = Clock::now();
  uint64_t received = 0;
  while (Clock::now() - start < 2s) received += client.read_some(start + 2s);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_LE(static_cast<double>(received), 50'000 * elapsed * 1.1 + 4096 * 2);
}

}  // namespace
}  // namespace vc::test
