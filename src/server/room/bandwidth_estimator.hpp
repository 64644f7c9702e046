// BandwidthEstimator: one receiver's downlink estimate, from its own transport (docs/PROTOCOL.md
// §11.6). Sans-I/O: the room samples the receiver's send queue on its timer (bytes drained since
// the last sample, bytes still waiting) and passes the transport's own hint when it has one
// (WebTransport: ngtcp2's congestion window / RTT, only while the connection is cwnd-limited; see
// quic/congestion_hint.hpp). The estimate only decides what this receiver is sent.
//
// Rules (constants in common/limits.hpp, "Per-receiver bandwidth estimate"):
//  - delivery rate = bytes drained over the last kBweRateWindowSamples samples / their time span;
//    queue delay = queued media bytes / delivery rate (infinite when bytes wait and none drained);
//  - queue delay above kBweCongestedQueueDelay: the estimate drops to kBweBackoff x delivery rate
//    (never raised by this, never below kBweMinBps) and stops growing for kBweHoldAfterCongestion;
//  - queue delay below kBweClearQueueDelay: it grows by kBweGrowth per sample up to kBweMaxBps,
//    but only while the receiver is actually sent at least estimate / kBweAppLimitedHeadroom.
//    A receiver that is sent much less than its estimate (it subscribed to little) gives no
//    evidence of more capacity, and there is no probing, so the estimate then holds: it neither
//    grows without evidence nor decays for lack of traffic. A layer above what it ever carried is
//    tried when the estimate allows it, and congestion corrects it within a sample or two;
//  - in between the two delays it holds;
//  - the published estimate is the smallest of that, the transport's hint and the receiver's cap;
//  - reported loss above kBweLossBackoffPermille lowers it by half the loss fraction (at most once
//    per hold period) and holds growth.
// Memory is fixed (a small array of samples); one estimator per receiver, independent of others.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

#include "common/limits.hpp"

namespace vc::room {

struct BandwidthSample {
  std::chrono::steady_clock::time_point now;
  uint64_t drained_bytes_total = 0;  // monotonically increasing count of bytes the transport took
  uint64_t queued_bytes = 0;         // media bytes waiting in the receiver's send queue now
  // The transport's own estimate, if any: an upper bound (absent: the queue alone decides).
  std::optional<uint64_t> transport_bps;
};

class BandwidthEstimator {
 public:
  BandwidthEstimator();

  // Feeds one sample (at about limits::kBweSampleInterval); returns the new estimate.
  uint64_t on_sample(const BandwidthSample& sample);
  // From a ReceiverReport: a cap the receiver asked for (0 removes it) and its measured loss.
  void on_receiver_report(uint32_t max_bitrate_bps, uint32_t loss_permille);

  // min(queue-based estimate, transport hint, receiver cap), within [kBweMinBps, kBweMaxBps].
  uint64_t estimate_bps() const { return estimate_bps_; }
  // The last sample's queue delay was above limits::kBweCongestedQueueDelay.
  bool congested() const { return congested_; }
  // Delivery rate over the last limits::kBweRateWindowSamples samples (0 before two samples).
  uint64_t delivery_bps() const { return delivery_bps_; }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Point {
    TimePoint at;
    uint64_t drained = 0;
  };
  void publish();

  uint64_t estimate_bps_ = 0;   // what estimate_bps() reports
  uint64_t queue_bps_ = 0;      // from the receiver's queue alone (+ reported loss)
  uint64_t transport_bps_ = 0;  // the last sample's transport hint (0: none)
  bool congested_ = false;
  std::optional<TimePoint> last_sample_;
  uint64_t receiver_cap_bps_ = 0;
  uint64_t delivery_bps_ = 0;
  std::optional<TimePoint> hold_until_;  // no growth before this (after congestion or loss)
  // The last samples, oldest first, for the delivery rate window; fixed size, no allocation.
  std::array<Point, limits::kBweRateWindowSamples + 1> window_{};
  std::size_t window_size_ = 0;
};

}  // namespace vc::room
