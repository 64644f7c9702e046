#include "server/room/keyframe_retry.hpp"

#include <algorithm>

#include "common/limits.hpp"

namespace vc::room {

bool KeyframeRetry::admit(const KeyframeNeed& need, TimePoint now) {
  auto it = std::find_if(tracks_.begin(), tracks_.end(),
                         [&](const Track& track) { return track.need == need; });
  if (it == tracks_.end()) {
    if (tracks_.size() >= limits::kMaxKeyframeRetryTracks) {
      // Publishers choose track ids: forget the track asked about longest ago.
      tracks_.erase(std::min_element(
          tracks_.begin(), tracks_.end(),
          [](const Track& a, const Track& b) { return a.last_request < b.last_request; }));
    }
    tracks_.push_back(Track{need, now, now, 0, false});
    record_request(tracks_.back(), now);
    return true;
  }
  if (now - it->last_request >= limits::kKeyframeRetryReset) it->retries = 0;
  if (it->retries == 0 || now >= it->next_allowed) {
    it->deferred = false;
    record_request(*it, now);
    return true;
  }
  it->deferred = true;
  return false;
}

void KeyframeRetry::record_request(Track& track, TimePoint now) {
  using Duration = std::chrono::steady_clock::duration;
  const Duration base = limits::kKeyframeRequestCoalesceWindow;
  const Duration cap = limits::kKeyframeRetryBackoffMax;
  // The shift stops growing once the delay is capped, so it never overflows.
  Duration delay = base;
  for (uint32_t i = 0; i < track.retries && delay < cap; ++i) delay *= 2;
  track.last_request = now;
  track.next_allowed = now + std::min(delay, cap);
  if (delay < cap) ++track.retries;
}

std::vector<KeyframeNeed> KeyframeRetry::take_due(TimePoint now) {
  std::vector<KeyframeNeed> due;
  for (Track& track : tracks_) {
    if (!track.deferred || now < track.next_allowed) continue;
    track.deferred = false;
    record_request(track, now);
    due.push_back(track.need);
  }
  return due;
}

std::optional<KeyframeRetry::TimePoint> KeyframeRetry::next_due() const {
  std::optional<TimePoint> next;
  for (const Track& track : tracks_) {
    if (track.deferred && (!next || track.next_allowed < *next)) next = track.next_allowed;
  }
  return next;
}

}  // namespace vc::room
