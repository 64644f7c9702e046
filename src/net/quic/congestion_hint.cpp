#include "net/quic/congestion_hint.hpp"

#include <ngtcp2/ngtcp2.h>

#include <chrono>

#include "common/limits.hpp"

namespace vc::quic {

CongestionInfo QuicConnection::congestion_info() const {
  ngtcp2_conn_stat stat;
  ngtcp2_conn_get_conn_stat(conn_, &stat);
  CongestionInfo info;
  info.cwnd_bytes = stat.cwnd;
  info.bytes_in_flight = stat.bytes_in_flight;
  info.smoothed_rtt_ns = stat.smoothed_rtt;
  info.has_rtt_sample = stat.first_rtt_sample_ts != UINT64_MAX;
  return info;
}

std::optional<uint64_t> CongestionHint::on_sample(const CongestionInfo& info, Timestamp now) {
  const bool cwnd_limited = static_cast<double>(info.bytes_in_flight) >=
                            static_cast<double>(info.cwnd_bytes) * limits::kBweCwndLimitedFraction;
  if (info.has_rtt_sample && info.smoothed_rtt_ns > 0 && info.cwnd_bytes > 0 && cwnd_limited) {
    constexpr double kNsPerSecond = 1e9;
    bps_ = static_cast<uint64_t>(static_cast<double>(info.cwnd_bytes) * 8 * kNsPerSecond /
                                 static_cast<double>(info.smoothed_rtt_ns));
    valid_until_ = now + static_cast<Timestamp>(
                             std::chrono::nanoseconds(limits::kBweTransportHintHold).count());
  }
  if (now >= valid_until_) return std::nullopt;
  return bps_;
}

}  // namespace vc::quic
