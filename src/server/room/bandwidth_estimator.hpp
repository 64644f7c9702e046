// BandwidthEstimator: one receiver's downlink estimate, from its own transport (docs/PROTOCOL.md
// §11.6). Sans-I/O: the room samples the receiver's send queue on its timer (bytes drained since the
// last sample, bytes still waiting) and passes the transport's own hint when it has one (WebTransport:
// ngtcp2's congestion window / RTT). The estimate only decides what this receiver is sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "common/limits.hpp"

namespace vc::room {

struct BandwidthSample {
  std::chrono::steady_clock::time_point now;
  uint64_t drained_bytes_total = 0;  // monotonically increasing count of bytes the transport took
  uint64_t queued_bytes = 0;         // media bytes waiting in the receiver's send queue now
  std::optional<uint64_t> transport_bps;  // transport's own estimate, if any
};

class BandwidthEstimator {
 public:
  // Feeds one sample (at about limits::kBweSampleInterval); returns the new estimate.
  uint64_t on_sample(const BandwidthSample& sample);
  // From a ReceiverReport: a cap the receiver asked for (0 removes it) and its measured loss.
  void on_receiver_report(uint32_t max_bitrate_bps, uint32_t loss_permille);

  uint64_t estimate_bps() const { return estimate_bps_; }
  bool congested() const { return congested_; }

 private:
  uint64_t estimate_bps_ = limits::kBweInitialBps;
  bool congested_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_sample_;
  uint64_t last_drained_ = 0;
  uint64_t receiver_cap_bps_ = 0;
};

}  // namespace vc::room
