#include "server/room/bandwidth_estimator.hpp"

#include <algorithm>

namespace vc::room {

namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

uint64_t scaled(uint64_t bps, double factor) {
  return static_cast<uint64_t>(static_cast<double>(bps) * factor);
}

}  // namespace

BandwidthEstimator::BandwidthEstimator() : queue_bps_(limits::kBweInitialBps) {
  publish();
}

void BandwidthEstimator::publish() {
  uint64_t bps = queue_bps_;
  if (transport_bps_ > 0) bps = std::min(bps, transport_bps_);
  if (receiver_cap_bps_ > 0) bps = std::min(bps, receiver_cap_bps_);
  estimate_bps_ = std::clamp(bps, limits::kBweMinBps, limits::kBweMaxBps);
}

uint64_t BandwidthEstimator::on_sample(const BandwidthSample& sample) {
  if (last_sample_ && sample.now <= *last_sample_) return estimate_bps_;  // not a new sample
  if (window_size_ > 0 && sample.drained_bytes_total < window_[window_size_ - 1].drained) {
    window_size_ = 0;  // the counter went back (a new queue): start measuring again
  }
  if (window_size_ == window_.size()) {
    std::move(window_.begin() + 1, window_.end(), window_.begin());
    --window_size_;
  }
  window_[window_size_++] = Point{sample.now, sample.drained_bytes_total};
  last_sample_ = sample.now;
  transport_bps_ = sample.transport_bps.value_or(0);
  if (window_size_ < 2) {
    publish();
    return estimate_bps_;
  }

  const Point& oldest = window_[0];
  const Point& newest = window_[window_size_ - 1];
  const double span = seconds(newest.at - oldest.at);
  const double delivered = static_cast<double>(newest.drained - oldest.drained) * 8 / span;
  delivery_bps_ = static_cast<uint64_t>(delivered);

  const double queued_bits = static_cast<double>(sample.queued_bytes) * 8;
  const bool stalled = sample.queued_bytes > 0 && delivery_bps_ == 0;
  const double queue_delay =
      stalled || queued_bits == 0 ? (stalled ? 1e9 : 0) : queued_bits / delivered;

  if (queue_delay > seconds(limits::kBweCongestedQueueDelay)) {
    congested_ = true;
    // While the queue is backed up the drain rate is what the path carries: stay below it.
    const uint64_t below_delivery =
        std::max(limits::kBweMinBps, scaled(delivery_bps_, limits::kBweBackoff));
    queue_bps_ = std::min(queue_bps_, below_delivery);
    hold_until_ = sample.now + limits::kBweHoldAfterCongestion;
  } else {
    congested_ = false;
    const bool clear = queue_delay <= seconds(limits::kBweClearQueueDelay);
    const bool holding = hold_until_ && sample.now < *hold_until_;
    const bool app_limited = static_cast<double>(delivery_bps_) * limits::kBweAppLimitedHeadroom <
                             static_cast<double>(queue_bps_);
    if (clear && !holding && !app_limited) {
      queue_bps_ = std::min(limits::kBweMaxBps, scaled(queue_bps_, limits::kBweGrowth) + 1);
    }
  }
  publish();
  return estimate_bps_;
}

void BandwidthEstimator::on_receiver_report(uint32_t max_bitrate_bps, uint32_t loss_permille) {
  receiver_cap_bps_ = max_bitrate_bps;
  const bool holding = hold_until_ && last_sample_ && *last_sample_ < *hold_until_;
  if (loss_permille > limits::kBweLossBackoffPermille && !holding) {
    // Lose x: send (1 - x/2) as much. Reports may come faster than the loss reacts, so once per
    // hold period (the hold starts from the last sample's time).
    const double loss = std::min(1.0, loss_permille / 1000.0);
    queue_bps_ = std::max(limits::kBweMinBps, scaled(queue_bps_, 1 - loss / 2));
    if (last_sample_) hold_until_ = *last_sample_ + limits::kBweHoldAfterCongestion;
  }
  publish();
}

}  // namespace vc::room
