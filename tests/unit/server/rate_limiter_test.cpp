#include <gtest/gtest.h>

#include "server/app/server_context.hpp"

namespace vc::app {
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
  EXPECT_TRUE(limiter.allow(b, t0));  // other addresses are unaffected
  EXPECT_TRUE(limiter.allow(a, t0 + 500ms));  // one token back after half a second
  EXPECT_FALSE(limiter.allow(a, t0 + 500ms));
  EXPECT_TRUE(limiter.allow(a, t0 + 1h));
}

TEST(RateLimiter, LoopbackIsExempt) {
  RateLimiter limiter(1, 0);
  const auto local = boost::asio::ip::make_address("127.0.0.1");
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.allow(local, {}));
}

}  // namespace
}  // namespace vc::app
