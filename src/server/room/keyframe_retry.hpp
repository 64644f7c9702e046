// KeyframeRetry: one receiver's keyframe requests per publisher track, spaced out exponentially
// while they keep failing. A receiver whose queue keeps overflowing (or a keyframe that cannot
// reach it) would otherwise ask the publisher for a keyframe every coalesce window, forever, and
// every keyframe costs the publisher bandwidth and every other receiver quality.
//
// The first request for a track goes out at once; each further one within kKeyframeRetryReset of
// the previous waits twice as long as the last (from kKeyframeRequestCoalesceWindow up to
// kKeyframeRetryBackoffMax). A need that arrives early is deferred, not lost: take_due() hands it
// back when its time comes. Sans-I/O: the room passes the time in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "protocol/send_queue.hpp"

namespace vc::room {

class KeyframeRetry {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // The receiver needs a keyframe of `need`'s track: true to request it now, false if deferred.
  bool admit(const KeyframeNeed& need, TimePoint now);

  // Deferred needs whose time has come (each once, counted as requested now).
  std::vector<KeyframeNeed> take_due(TimePoint now);
  std::optional<TimePoint> next_due() const;

 private:
  struct Track {
    KeyframeNeed need;
    TimePoint last_request;
    TimePoint next_allowed;
    uint32_t retries = 0;  // requests in a row, each less than kKeyframeRetryReset apart
    bool deferred = false;
  };
  void record_request(Track& track, TimePoint now);

  std::vector<Track> tracks_;  // at most kMaxKeyframeRetryTracks
};

}  // namespace vc::room
