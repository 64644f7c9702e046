// WebTransport's transport hint on virtual time (quic/congestion_hint.hpp, docs/PROTOCOL.md
// §11.6): cwnd / RTT only while cwnd-limited, held briefly, never from an app-limited window.
#include "net/quic/congestion_hint.hpp"

#include <gtest/gtest.h>

#include "common/limits.hpp"

namespace vc::quic {
namespace {

constexpr Timestamp kMs = kNanosecondsPerMillisecond;
constexpr uint64_t kRtt100ms = 100 * kMs;

CongestionInfo info(uint64_t cwnd, uint64_t in_flight, uint64_t rtt = kRtt100ms) {
  return CongestionInfo{cwnd, in_flight, rtt, true};
}

TEST(CongestionHint, CwndLimitedGivesTheWindowOverTheRtt) {
  CongestionHint hint;
  // 37,500 bytes per 100 ms = 3 Mbps.
  EXPECT_EQ(hint.on_sample(info(37'500, 36'000), 1000 * kMs), std::optional<uint64_t>(3'000'000));
  // The window shrinks under loss: the hint follows at once.
  EXPECT_EQ(hint.on_sample(info(12'500, 12'500), 1250 * kMs), std::optional<uint64_t>(1'000'000));
}

TEST(CongestionHint, AnAppLimitedWindowGivesNoHintSoAnIdleReceiverIsNotStarved) {
  CongestionHint hint;
  // An idle connection: a minimal window (2 packets), almost nothing in flight. cwnd / RTT would
  // say 240 kbps; the connection is not using its window, so that says nothing.
  for (Timestamp t = 0; t < 5000 * kMs; t += 250 * kMs) {
    EXPECT_FALSE(hint.on_sample(info(3000, 0), t));
    EXPECT_FALSE(hint.on_sample(info(3000, 1200), t + kMs));  // 40 %: still app-limited
  }
}

TEST(CongestionHint, NothingBeforeTheFirstRttSample) {
  CongestionHint hint;
  EXPECT_FALSE(hint.on_sample(CongestionInfo{12'000, 12'000, kRtt100ms, false}, 0));
  EXPECT_FALSE(hint.on_sample(info(12'000, 12'000, 0), kMs));
}

TEST(CongestionHint, HoldsAfterTheLastCwndLimitedSampleThenLapses) {
  CongestionHint hint;
  const Timestamp t0 = 10'000 * kMs;
  ASSERT_EQ(hint.on_sample(info(12'500, 12'000), t0), std::optional<uint64_t>(1'000'000));
  // A paced sender caught between bursts: app-limited snapshots keep the last hint for a while.
  const auto hold =
      static_cast<Timestamp>(std::chrono::nanoseconds(limits::kBweTransportHintHold).count());
  EXPECT_EQ(hint.on_sample(info(12'500, 1000), t0 + hold - kMs),
            std::optional<uint64_t>(1'000'000));
  // Then the send queue alone decides again.
  EXPECT_FALSE(hint.on_sample(info(12'500, 1000), t0 + hold));
}

}  // namespace
}  // namespace vc::quic
