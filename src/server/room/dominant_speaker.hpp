// DominantSpeaker: who is speaking in a room, from the cleartext audio levels of its audio tracks.
// Sans-I/O on an injected time: the room feeds every audio frame's level and asks for a decision on
// its timer. The decision is smoothed so that it does not flap: see docs/PROTOCOL.md §11.5.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace vc::room {

class DominantSpeaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // One audio frame of `participant_id` with level -dBov (0 loudest .. 127 silence).
  void on_audio_level(uint64_t participant_id, uint8_t level, TimePoint now);
  // The participant left or stopped publishing audio.
  void remove(uint64_t participant_id);

  // Re-evaluates; true when the dominant speaker changed (then recent() changed too).
  bool update(TimePoint now);

  // 0 when nobody has spoken yet.
  uint64_t dominant() const { return dominant_; }
  // Participants who were dominant, most recent first (the current dominant first), at most
  // limits::kMaxRecentSpeakers.
  std::span<const uint64_t> recent() const { return recent_; }
  // The `k` participants with the highest short-window activity now (the dominant speaker
  // always included when it has audio), for top-K audio forwarding. `out` is cleared first.
  void loudest(std::size_t k, TimePoint now, std::vector<uint64_t>& out) const;

 private:
  struct Speaker {
    uint64_t participant_id = 0;
    double short_activity = 0;  // exponentially smoothed, 0..1
    double long_activity = 0;
    TimePoint last_update{};
  };
  std::vector<Speaker> speakers_;
  uint64_t dominant_ = 0;
  TimePoint last_change_{};
  std::vector<uint64_t> recent_;
};

}  // namespace vc::room
