// CongestionHint: a WebTransport receiver's downlink as QUIC's congestion controller sees it, for
// the room's BandwidthEstimator (docs/PROTOCOL.md §11.6). Sans-I/O: fed CongestionInfo snapshots
// and timestamps on the room's sample timer, nothing per packet.
//
// The rule: cwnd / smoothed RTT is what the path carried only while the connection is
// cwnd-limited. An app-limited connection (a receiver sent little, or idle) keeps a small window
// that says nothing about its capacity, so its cwnd / RTT would starve it. Hence:
//  - a snapshot counts only when bytes in flight are at least limits::kBweCwndLimitedFraction of
//    the window (and an RTT sample exists); it sets the hint to cwnd x 8 / smoothed RTT;
//  - that hint stays for limits::kBweTransportHintHold after the last such snapshot, so a paced
//    sender caught between bursts does not make the cap flap; after that there is no hint and the
//    send-queue estimate alone decides.
// The estimator uses the hint only as an upper bound.
#pragma once

#include <cstdint>
#include <optional>

#include "net/quic/quic_connection.hpp"

namespace vc::quic {

class CongestionHint {
 public:
  // The hint in bits per second after the snapshot `info` taken at `now`, if there is one.
  std::optional<uint64_t> on_sample(const CongestionInfo& info, Timestamp now);

 private:
  uint64_t bps_ = 0;
  Timestamp valid_until_ = 0;  // no hint from here on
};

}  // namespace vc::quic
