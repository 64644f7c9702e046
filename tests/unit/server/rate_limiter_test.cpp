#include <gtest/gtest.h>

#include "server/core/server_context.hpp"

namespace vc::core {
namespace {

using namespace std::chrono_literals;

TEST(RateLimiter, BurstThenRefillPerAddress) {
  RateLimiter limiter(3, 2);  // burst 3, 2 per second
  const auto a = boost::asio::ip::make_address("10.0.0.1");
  const auto b = boost::asio::ip::make_address("10.0.0.2");
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  EXPECT_TRUE(limiter.allow(a, t0));
  EXPECT_TRUE(limiter.allow(a, t0));
  EXPECT_TRUE(limiter.allow(a, t0));
  EXPECT_FALSE(limiter.allow(a, t0));
  EXPECT_TRUE(limiter.allow(b, t0));          // other addresses are unaffected
  EXPECT_TRUE(limiter.allow(a, t0 + 500ms));  // one token back after half a second
  EXPECT_FALSE(limiter.allow(a, t0 + 500ms));
  EXPECT_TRUE(limiter.allow(a, t0 + 1h));
}

// Issue 9 item 17: loopback used to be exempt by default (a local reverse proxy made every client
// unlimited). Now only configured blocks are.
TEST(RateLimiter, LoopbackIsLimitedUnlessExempted) {
  RateLimiter limiter(1, 0);
  const auto local = boost::asio::ip::make_address("127.0.0.1");
  EXPECT_TRUE(limiter.allow(local, {}));
  EXPECT_FALSE(limiter.allow(local, {}));

  RateLimiter exempting(1, 0, {*parse_cidr("127.0.0.0/8")});
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(exempting.allow(local, {}));
  const auto remote = boost::asio::ip::make_address("192.0.2.1");
  EXPECT_TRUE(exempting.allow(remote, {}));
  EXPECT_FALSE(exempting.allow(remote, {}));
}

TEST(ConnectionLimiter, TotalCapAndPerAddressCap) {
  ConnectionLimiter limiter;
  limiter.set_limits(2, {});
  const auto a = boost::asio::ip::make_address("192.0.2.1");
  const auto b = boost::asio::ip::make_address("192.0.2.2");
  EXPECT_TRUE(limiter.try_acquire(a));
  EXPECT_TRUE(limiter.try_acquire(b));
  EXPECT_TRUE(limiter.full());
  EXPECT_FALSE(limiter.try_acquire(a));
  limiter.release(a);
  EXPECT_FALSE(limiter.full());
  EXPECT_TRUE(limiter.try_acquire(b));
}

TEST(LogRateLimiter, OneLinePerIntervalCountingTheRest) {
  LogRateLimiter log(1s);
  const auto t0 = std::chrono::steady_clock::time_point{} + 1h;
  uint64_t suppressed = 99;
  EXPECT_TRUE(log.allow(t0, suppressed));
  EXPECT_EQ(suppressed, 0u);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(log.allow(t0 + 10ms, suppressed));
  EXPECT_TRUE(log.allow(t0 + 1s, suppressed));
  EXPECT_EQ(suppressed, 1000u);
}

}  // namespace
}  // namespace vc::core
