// A token bucket on an injected time base: `burst` tokens, refilled at `per_second`. Sans-I/O so
// callers on virtual time (rooms, tests) stay deterministic.
#pragma once

#include <algorithm>
#include <chrono>

namespace vc {

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  TokenBucket(double burst, double per_second)
      : burst_(burst), per_second_(per_second), tokens_(burst) {}

  // Takes one token if there is one.
  bool allow(TimePoint now) {
    if (started_) {
      const double elapsed = std::chrono::duration<double>(now - updated_).count();
      if (elapsed > 0) tokens_ = std::min(burst_, tokens_ + elapsed * per_second_);
    }
    started_ = true;
    updated_ = std::max(updated_, now);
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double burst_;
  double per_second_;
  double tokens_;
  TimePoint updated_{};
  bool started_ = false;
};

}  // namespace vc
