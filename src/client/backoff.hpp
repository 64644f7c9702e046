// Exponential reconnect backoff with full jitter, so a server restart is not met by every client
// at the same instant. Deterministic for a given seed (tests pass one).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace vc::client {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
      : initial_(initial), max_(max), random_(seed) {}

  // Delay before the next attempt: uniform in [ceiling/2, ceiling], ceiling doubling per attempt.
  std::chrono::milliseconds next() {
    const int64_t base = std::max<int64_t>(1, initial_.count());
    const int shift = std::min(attempt_, 20);
    const int64_t ceiling = std::min<int64_t>(max_.count(), base << shift);
    ++attempt_;
    std::uniform_int_distribution<int64_t> pick(ceiling / 2, ceiling);
    return std::chrono::milliseconds(pick(random_));
  }
  void reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds max_;
  std::mt19937_64 random_;
  int attempt_ = 0;
};

}  // namespace vc::client
