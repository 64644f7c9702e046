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
  // The participant left or stopped publishing audio. When it was the dominant speaker, dominant()
  // is 0 and the next update() returns true; it may pick a successor at once (no minimum hold).
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
  // Participants whose audio levels are being scored.
  std::size_t audio_publishers() const { return speakers_.size(); }

 private:
  // Activity is the exponentially smoothed per-frame activity (0 at background-noise levels, 1 at
  // loud speech), over a short and a long time constant. Missing frames count as silence, so a
  // speaker whose frames stop (DTX, mute, packet loss) decays.
  struct Speaker {
    uint64_t participant_id = 0;
    double short_activity = 0;  // exponentially smoothed, 0..1, as of last_update
    double long_activity = 0;
    TimePoint last_update{};  // the last frame
    bool speaking = false;    // short activity hysteresis (limits::kSpeakingOn/OffActivity)
    TimePoint speaking_since{};
  };
  struct Activity {
    double short_term = 0;
    double long_term = 0;
  };
  static Activity activity_at(const Speaker& speaker, TimePoint now);
  static void refresh_speaking(Speaker& speaker, double short_activity, TimePoint now);
  Speaker* find(uint64_t participant_id);
  void make_dominant(uint64_t participant_id, TimePoint now);

  // One entry per participant with audio: the caller bounds it (room members, and remove() when
  // one leaves or unpublishes its audio), so memory is O(participants) and every call O(n).
  std::vector<Speaker> speakers_;
  uint64_t dominant_ = 0;
  TimePoint last_change_{};
  std::vector<uint64_t> recent_;
  // remove() took the dominant speaker away: the next update() says so.
  bool pending_change_ = false;
};

}  // namespace vc::room
