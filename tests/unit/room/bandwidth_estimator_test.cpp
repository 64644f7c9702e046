// BandwidthEstimator on virtual time against a simulated receiver link: every 250 ms the room
// offers some bits, the link drains at most its capacity, the rest waits in the send queue.
#include "server/room/bandwidth_estimator.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "common/limits.hpp"

namespace vc::room {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

class Link {
 public:
  explicit Link(uint64_t capacity_bps) : capacity_bps_(capacity_bps) {}
  void set_capacity(uint64_t bps) { capacity_bps_ = bps; }

  // One sample interval: `offered_bps` enters the queue, the link takes what it can.
  BandwidthSample step(uint64_t offered_bps, std::optional<uint64_t> transport_bps = {}) {
    const double dt = std::chrono::duration<double>(limits::kBweSampleInterval).count();
    now_ += limits::kBweSampleInterval;
    queued_ += static_cast<double>(offered_bps) * dt / 8;
    const double drained = std::min(queued_, static_cast<double>(capacity_bps_) * dt / 8);
    queued_ -= drained;
    drained_total_ += static_cast<uint64_t>(drained);
    return BandwidthSample{now_, drained_total_, static_cast<uint64_t>(queued_), transport_bps};
  }
  TimePoint now() const { return now_; }

 private:
  uint64_t capacity_bps_;
  TimePoint now_ = TimePoint{} + 1h;
  double queued_ = 0;
  uint64_t drained_total_ = 0;
};

// The room sends what the estimate allows (as layer choice would, roughly).
uint64_t follow(BandwidthEstimator& bwe, Link& link, int samples) {
  for (int i = 0; i < samples; ++i) bwe.on_sample(link.step(bwe.estimate_bps()));
  return bwe.estimate_bps();
}

TEST(BandwidthEstimator, StartsAtTheInitialEstimate) {
  BandwidthEstimator bwe;
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweInitialBps);
  EXPECT_FALSE(bwe.congested());
  Link link(10'000'000);
  EXPECT_EQ(bwe.on_sample(link.step(0)), limits::kBweInitialBps);  // one sample: no rate yet
}

TEST(BandwidthEstimator, QueueDelayAboveTheLimitBacksOffBelowTheDeliveryRate) {
  BandwidthEstimator bwe;
  Link link(1'000'000);
  for (int i = 0; i < 3; ++i) bwe.on_sample(link.step(3'000'000));
  EXPECT_TRUE(bwe.congested());
  EXPECT_NEAR(static_cast<double>(bwe.delivery_bps()), 1'000'000, 10'000);
  EXPECT_NEAR(static_cast<double>(bwe.estimate_bps()), 850'000, 20'000);
  // Staying congested does not spiral down: it stays just below what the link delivers.
  for (int i = 0; i < 20; ++i) bwe.on_sample(link.step(3'000'000));
  EXPECT_NEAR(static_cast<double>(bwe.estimate_bps()), 850'000, 20'000);
}

TEST(BandwidthEstimator, NeverBelowTheMinimumEvenWhenNothingDrains) {
  BandwidthEstimator slow;
  Link trickle(20'000);
  for (int i = 0; i < 10; ++i) slow.on_sample(trickle.step(1'000'000));
  EXPECT_TRUE(slow.congested());
  EXPECT_EQ(slow.estimate_bps(), limits::kBweMinBps);

  BandwidthEstimator stalled;
  Link dead(0);
  for (int i = 0; i < 10; ++i) stalled.on_sample(dead.step(500'000));
  EXPECT_TRUE(stalled.congested());
  EXPECT_EQ(stalled.estimate_bps(), limits::kBweMinBps);
}

TEST(BandwidthEstimator, OneSampleWithoutDrainIsNotAStall) {
  // A large frame is being written: one interval drains nothing, the window still sees the rate.
  BandwidthEstimator bwe;
  const TimePoint t0 = TimePoint{} + 1h;
  uint64_t drained = 0;
  for (int i = 1; i <= 4; ++i) {
    drained += i == 4 ? 0 : 40'000;  // 40 kB per 250 ms = 1.28 Mbps, then a pause
    bwe.on_sample({t0 + i * limits::kBweSampleInterval, drained, 5'000, {}});
  }
  EXPECT_FALSE(bwe.congested());
  EXPECT_GE(bwe.estimate_bps(), limits::kBweInitialBps);
}

TEST(BandwidthEstimator, HoldsAfterCongestionThenGrowsGradually) {
  BandwidthEstimator bwe;
  Link link(1'000'000);
  for (int i = 0; i < 4; ++i) bwe.on_sample(link.step(3'000'000));
  ASSERT_TRUE(bwe.congested());
  link.set_capacity(50'000'000);  // the path clears up; the backlog drains in the next sample
  const uint64_t backed_off = bwe.estimate_bps();
  const TimePoint congested_at = link.now();
  while (link.now() - congested_at < limits::kBweHoldAfterCongestion - limits::kBweSampleInterval) {
    bwe.on_sample(link.step(bwe.estimate_bps()));
    EXPECT_FALSE(bwe.congested());
    EXPECT_EQ(bwe.estimate_bps(), backed_off) << "grew during the hold";
  }
  uint64_t previous = bwe.estimate_bps();
  for (int i = 0; i < 20; ++i) {
    bwe.on_sample(link.step(bwe.estimate_bps()));
    const double ratio = static_cast<double>(bwe.estimate_bps()) / static_cast<double>(previous);
    EXPECT_GT(ratio, 1.0);
    EXPECT_LE(ratio, limits::kBweGrowth + 0.001);  // gradual, never a jump
    previous = bwe.estimate_bps();
  }
}

TEST(BandwidthEstimator, GrowsUpToTheMaximumOnAFastLink) {
  BandwidthEstimator bwe;
  Link link(1'000'000'000);
  EXPECT_EQ(follow(bwe, link, 400), limits::kBweMaxBps);
}

TEST(BandwidthEstimator, TracksALinkThatTheRoomFills) {
  // The room sends what the estimate allows over a 600 kbps link: from the initial 2 Mbps the
  // estimate comes down, then probes a little above the link and backs off below it, again and
  // again, never far from it. When the link widens the estimate follows.
  BandwidthEstimator bwe;
  Link link(600'000);
  follow(bwe, link, 40);
  uint64_t highest = 0;
  double sum = 0;
  constexpr int kSamples = 240;  // a minute
  for (int i = 0; i < kSamples; ++i) {
    follow(bwe, link, 1);
    highest = std::max(highest, bwe.estimate_bps());
    sum += static_cast<double>(bwe.estimate_bps());
  }
  EXPECT_LE(highest, 600'000u * 5 / 4);
  EXPECT_GE(sum / kSamples, 600'000 * 0.75);
  EXPECT_LE(sum / kSamples, 600'000 * 1.05);
  link.set_capacity(5'000'000);
  EXPECT_GE(follow(bwe, link, 80), 3'000'000u);
}

TEST(BandwidthEstimator, ReceiverSentLittleNeitherGrowsNorDecays) {
  // Subscribed to one small layer: 200 kbps on a fast link for a minute. No evidence either way.
  BandwidthEstimator bwe;
  Link link(100'000'000);
  for (int i = 0; i < 240; ++i) bwe.on_sample(link.step(200'000));
  EXPECT_FALSE(bwe.congested());
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweInitialBps);
}

TEST(BandwidthEstimator, QueueDelayBetweenClearAndCongestedHolds) {
  BandwidthEstimator bwe;
  const TimePoint t0 = TimePoint{} + 1h;
  // 2 Mbps delivered, 100 ms of it queued: neither clear nor congested.
  const uint64_t per_sample = 2'000'000 / 8 / 4;
  for (uint64_t i = 1; i <= 20; ++i) {
    bwe.on_sample({t0 + i * limits::kBweSampleInterval, i * per_sample, 25'000, {}});
  }
  EXPECT_FALSE(bwe.congested());
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweInitialBps);
}

TEST(BandwidthEstimator, TransportHintIsAnUpperBound) {
  BandwidthEstimator bwe;
  Link link(50'000'000);
  bwe.on_sample(link.step(1'500'000, 700'000));
  EXPECT_EQ(bwe.estimate_bps(), 700'000u);
  bwe.on_sample(link.step(600'000, 40'000'000));  // a hint above the queue estimate: no effect
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweInitialBps);
  bwe.on_sample(link.step(600'000, 10'000));  // never below the floor
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweMinBps);
  bwe.on_sample(link.step(600'000));  // no hint (this sample): the queue estimate alone
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweInitialBps);
}

TEST(BandwidthEstimator, ReceiverCapAndLoss) {
  BandwidthEstimator bwe;
  Link link(100'000'000);
  bwe.on_sample(link.step(0));
  bwe.on_receiver_report(500'000, 0);
  EXPECT_EQ(bwe.estimate_bps(), 500'000u);
  bwe.on_receiver_report(0, 0);  // cap removed
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweInitialBps);

  bwe.on_receiver_report(0, 30);  // 3 % loss: tolerated
  EXPECT_EQ(bwe.estimate_bps(), limits::kBweInitialBps);
  bwe.on_receiver_report(0, 100);  // 10 %: lower by 5 %
  const uint64_t lowered = bwe.estimate_bps();
  EXPECT_EQ(lowered, limits::kBweInitialBps * 95 / 100);
  bwe.on_receiver_report(0, 100);  // again within the hold: once per hold period
  EXPECT_EQ(bwe.estimate_bps(), lowered);
  // The loss holds growth too, though the link is fast and the room uses the estimate.
  const TimePoint reported_at = link.now();
  while (link.now() - reported_at < limits::kBweHoldAfterCongestion - limits::kBweSampleInterval) {
    bwe.on_sample(link.step(bwe.estimate_bps()));
    EXPECT_EQ(bwe.estimate_bps(), lowered);
  }
  follow(bwe, link, 8);
  EXPECT_GT(bwe.estimate_bps(), lowered);
}

TEST(BandwidthEstimator, TwoReceiversAreIndependent) {
  // Same publisher, same offered load: the slow receiver's backoff changes nothing for the fast
  // one, which ends exactly where an estimator that never had a neighbour ends.
  BandwidthEstimator slow;
  BandwidthEstimator fast;
  BandwidthEstimator alone;
  Link slow_link(300'000);
  Link fast_link(20'000'000);
  for (int i = 0; i < 80; ++i) {
    slow.on_sample(slow_link.step(1'500'000));
    const BandwidthSample sample = fast_link.step(fast.estimate_bps());
    fast.on_sample(sample);
    alone.on_sample(sample);
  }
  EXPECT_TRUE(slow.congested());
  EXPECT_LE(slow.estimate_bps(), 300'000u);
  EXPECT_FALSE(fast.congested());
  EXPECT_GT(fast.estimate_bps(), limits::kBweInitialBps);
  EXPECT_EQ(fast.estimate_bps(), alone.estimate_bps());
}

}  // namespace
}  // namespace vc::room
