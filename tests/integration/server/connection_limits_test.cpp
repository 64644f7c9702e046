// Issue 9 item 5: at the open-file limit the listener backs off instead of spinning on EMFILE (the
// log stays small), recovers once connections close, and --max-connections caps connections below
// the limit.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>

#include "server_harness.hpp"

namespace vc::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

std::size_t count_lines_with(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

uint64_t metric_value(const std::string& metrics, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const auto at = metrics.find(prefix);
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(metrics.substr(at + prefix.size()));
}

// Whether GET /healthz is answered within `timeout` on a fresh connection. Asynchronous, since
// beast's stream timeouts apply to asynchronous operations only.
bool healthz_answers_within(uint16_t port, std::chrono::milliseconds timeout) {
  asio::io_context io;
  boost::beast::tcp_stream stream(io);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  char head[12] = {};
  bool answered = false;
  stream.expires_after(timeout);
  stream.async_connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), [&](boost::system::error_code ec) {
        if (ec) return;
        asio::async_write(stream, asio::buffer(request), [&](boost::system::error_code ec, size_t) {
          if (ec) return;
          asio::async_read(stream, asio::buffer(head), [&](boost::system::error_code ec, size_t) {
            answered = !ec && std::string_view(head, sizeof head) == "HTTP/1.1 200";
          });
        });
      });
  io.run();  // ends when the exchange completes or the stream's timeout closes it
  return answered;
}

// /healthz, retried until `deadline` (the listener may still be backing off).
bool healthz_answers_by(uint16_t port, std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    if (healthz_answers_within(port, 1s)) return true;
  }
  return false;
}

// True when the server closed the connection without a word (refused after accept).
bool closed_by_server(tcp::socket& socket) {
  char byte = 0;
  boost::system::error_code ec;
  asio::read(socket, asio::buffer(&byte, 1), ec);
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

TEST(ConnectionLimits, FileDescriptorExhaustionBacksOffAndRecovers) {
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizer runtimes need free descriptors themselves: UBSan's vptr check probes memory
  // through a pipe, and at the fd limit it reports a false "invalid vptr" and aborts the server.
  // The dev build runs this test against the same code.
  GTEST_SKIP() << "not meaningful under the sanitizers (they need free file descriptors)";
#endif
  ServerProcess server;
  // After start (the server raised its soft limit to the hard one at start, and derived its
  // connection cap from it), lower its limit so accept() itself runs out of descriptors.
  constexpr rlim_t kFiles = 64;
  const rlimit low{kFiles, kFiles};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &low, nullptr), 0);

  asio::io_context io;
  std::vector<std::unique_ptr<tcp::socket>> held;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());
  for (rlim_t i = 0; i < kFiles + 40; ++i) {
    auto socket = std::make_unique<tcp::socket>(io);
    socket->connect(endpoint);  // completes in the backlog even when the server cannot accept
    held.push_back(std::move(socket));
  }
  // The failure mode is a rate (a log line per retry, ~60k/s before the fix): give it a bounded
  // window to show, measured by a request that cannot be served while descriptors are exhausted.
  EXPECT_FALSE(healthz_answers_within(server.port(), 1500ms));
  held.clear();

  ASSERT_TRUE(healthz_answers_by(server.port(), std::chrono::steady_clock::now() + 10s));
  const auto metrics = http_request(server.port(), "GET", "/metrics").body;
  // Failed accepts are retried every 100 ms, not at line rate (millions before the fix).
  const uint64_t failed_accepts = metric_value(metrics, "videocall_accept_fd_exhausted_total");
  EXPECT_GT(failed_accepts, 0u) << metrics;
  EXPECT_LE(failed_accepts, 200u);
  const std::size_t logged = count_lines_with(server.stderr_text(), "event=accept_failed");
  EXPECT_GE(logged, 1u);
  EXPECT_LE(logged, 5u);  // one per second at most
  EXPECT_TRUE(server.running());
}

TEST(ConnectionLimits, MaxConnectionsRefusesBeyondTheCap) {
  ServerProcess server({"--max-connections", "3"});
  asio::io_context io;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server.port());
  std::vector<std::unique_ptr<tcp::socket>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<tcp::socket>(io));
    held.back()->connect(endpoint);
  }
  // Each idle connection is accepted (and counted) before the next one is; a 4th is closed.
  tcp::socket extra(io);
  extra.connect(endpoint);
  EXPECT_TRUE(closed_by_server(extra));
  held.pop_back();
  ASSERT_TRUE(healthz_answers_by(server.port(), std::chrono::steady_clock::now() + 10s));
  held.clear();
  const auto metrics = http_request(server.port(), "GET", "/metrics").body;
  EXPECT_GE(metric_value(metrics, "videocall_connections_over_limit_total"), 1u) << metrics;
}

}  // namespace
}  // namespace vc::test
