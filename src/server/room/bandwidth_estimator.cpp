// TEMPORARY stand-in until the sfu-parts implementation is merged (not committed).
#include "server/room/bandwidth_estimator.hpp"

#include <algorithm>

#include "common/limits.hpp"

namespace vc::room {

uint64_t BandwidthEstimator::on_sample(const BandwidthSample& sample) {
  if (last_sample_) {
    const double dt = std::chrono::duration<double>(sample.now - *last_sample_).count();
    if (dt > 0) {
      const double delivered = static_cast<double>(sample.drained_bytes_total - last_drained_) * 8 / dt;
      const double delay = delivered > 0 ? static_cast<double>(sample.queued_bytes) * 8 / delivered : 1e9;
      congested_ = sample.queued_bytes > 0 &&
                   delay > std::chrono::duration<double>(limits::kBweCongestedQueueDelay).count();
      if (congested_) {
        estimate_bps_ = static_cast<uint64_t>(delivered * 0.85);
      } else {
        estimate_bps_ = estimate_bps_ * 106 / 100;
      }
    }
  }
  if (sample.transport_bps) estimate_bps_ = std::min(estimate_bps_, *sample.transport_bps);
  if (receiver_cap_bps_ != 0) estimate_bps_ = std::min(estimate_bps_, receiver_cap_bps_);
  estimate_bps_ = std::clamp(estimate_bps_, limits::kBweMinBps, limits::kBweMaxBps);
  last_sample_ = sample.now;
  last_drained_ = sample.drained_bytes_total;
  return estimate_bps_;
}

void BandwidthEstimator::on_receiver_report(uint32_t max_bitrate_bps, uint32_t) {
  receiver_cap_bps_ = max_bitrate_bps;
}

}  // namespace vc::room
