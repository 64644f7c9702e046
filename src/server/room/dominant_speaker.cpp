// Dominant speaker decision. Inspired by the idea behind Volfin & Cohen's dominant speaker
// identification (as used by Jitsi and mediasoup): compare speech activity over several time
// scales instead of instantaneous loudness. This is a simpler, own formulation:
//  - each frame's level maps to an activity in 0..1 (background noise maps to 0);
//  - two exponential moving averages over time (≈0.3 s and ≈2 s) smooth it;
//  - a participant is "speaking" while its short activity is above a threshold (with hysteresis);
//  - a candidate takes the floor only after speaking for limits::kSpeechToTakeFloor, and only at
//    least limits::kDominantSpeakerMinHold after the last change; while the dominant speaker is
//    still speaking the candidate must clearly exceed it over the long window.
// A cough or a short "yes" never speaks long enough; background noise never counts as speech.
#include "server/room/dominant_speaker.hpp"

#include <algorithm>
#include <cmath>

#include "common/limits.hpp"

namespace vc::room {

namespace {

using Duration = std::chrono::steady_clock::duration;

double seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

double frame_activity(uint8_t level) {
  if (level >= limits::kSpeechLevelFloor) return 0;
  if (level <= limits::kSpeechLevelFull) return 1;
  return static_cast<double>(limits::kSpeechLevelFloor - level) /
         static_cast<double>(limits::kSpeechLevelFloor - limits::kSpeechLevelFull);
}

// Weight of the past after `elapsed` for an average with time constant `window`.
double retention(Duration elapsed, Duration window) {
  if (elapsed <= Duration::zero()) return 1;
  return std::exp(-seconds(elapsed) / seconds(window));
}

Duration silent_gap(Duration since_last_frame) {
  return std::max(Duration::zero(), since_last_frame - limits::kSpeakerFrameSpacingGrace);
}

}  // namespace

DominantSpeaker::Activity DominantSpeaker::activity_at(const Speaker& speaker, TimePoint now) {
  const Duration silent = silent_gap(now - speaker.last_update);
  return Activity{
      speaker.short_activity * retention(silent, limits::kSpeakerShortWindow),
      speaker.long_activity * retention(silent, limits::kSpeakerLongWindow),
  };
}

void DominantSpeaker::refresh_speaking(Speaker& speaker, double short_activity, TimePoint now) {
  if (!speaker.speaking && short_activity >= limits::kSpeakingOnActivity) {
    speaker.speaking = true;
    speaker.speaking_since = now;
  } else if (speaker.speaking && short_activity < limits::kSpeakingOffActivity) {
    speaker.speaking = false;
  }
}

DominantSpeaker::Speaker* DominantSpeaker::find(uint64_t participant_id) {
  for (Speaker& speaker : speakers_) {
    if (speaker.participant_id == participant_id) return &speaker;
  }
  return nullptr;
}

void DominantSpeaker::on_audio_level(uint64_t participant_id, uint8_t level, TimePoint now) {
  Speaker* speaker = find(participant_id);
  Duration span = limits::kSpeakerNominalFrame;
  if (speaker == nullptr) {
    speakers_.push_back(Speaker{.participant_id = participant_id, .last_update = now});
    speaker = &speakers_.back();
  } else {
    if (now < speaker->last_update) return;  // out of order: the clock is monotonic per room
    const Duration gap = now - speaker->last_update;
    // Frames stopped for a while: that time was silence. Then this frame covers its own span.
    const Activity decayed = activity_at(*speaker, now);
    speaker->short_activity = decayed.short_term;
    speaker->long_activity = decayed.long_term;
    span = std::min<Duration>(gap, limits::kSpeakerFrameSpacingGrace);
  }
  const double target = frame_activity(level);
  speaker->short_activity +=
      (1 - retention(span, limits::kSpeakerShortWindow)) * (target - speaker->short_activity);
  speaker->long_activity +=
      (1 - retention(span, limits::kSpeakerLongWindow)) * (target - speaker->long_activity);
  speaker->last_update = now;
  refresh_speaking(*speaker, speaker->short_activity, now);
}

void DominantSpeaker::remove(uint64_t participant_id) {
  std::erase_if(speakers_, [&](const Speaker& s) { return s.participant_id == participant_id; });
  std::erase(recent_, participant_id);
  if (dominant_ == participant_id) {
    dominant_ = 0;
    pending_change_ = true;
  }
}

void DominantSpeaker::make_dominant(uint64_t participant_id, TimePoint now) {
  dominant_ = participant_id;
  last_change_ = now;
  std::erase(recent_, participant_id);
  recent_.insert(recent_.begin(), participant_id);
  if (recent_.size() > limits::kMaxRecentSpeakers) recent_.resize(limits::kMaxRecentSpeakers);
}

bool DominantSpeaker::update(TimePoint now) {
  bool changed = pending_change_;
  pending_change_ = false;

  const Speaker* candidate = nullptr;
  double candidate_long = 0;
  const Speaker* current = nullptr;
  double current_long = 0;
  for (Speaker& speaker : speakers_) {
    const Activity activity = activity_at(speaker, now);
    refresh_speaking(speaker, activity.short_term, now);  // stopped frames end speech too
    if (speaker.participant_id == dominant_) {
      current = &speaker;
      current_long = activity.long_term;
      continue;
    }
    // Still loud now (not in the decay tail of a cough) and for long enough.
    if (!speaker.speaking || activity.short_term < limits::kSpeakingOnActivity ||
        now - speaker.speaking_since < limits::kSpeechToTakeFloor) {
      continue;
    }
    if (candidate == nullptr || activity.long_term > candidate_long) {
      candidate = &speaker;
      candidate_long = activity.long_term;
    }
  }
  if (candidate == nullptr) return changed;

  const bool held = current != nullptr && now - last_change_ < limits::kDominantSpeakerMinHold;
  if (held) return changed;
  bool take = current == nullptr;
  if (!take && current->speaking) {
    take = candidate_long >
           current_long * limits::kInterruptActivityRatio + limits::kSpeakerInterruptMargin;
  } else if (!take) {
    take = candidate_long >= current_long * limits::kSpeakerTakeSilentFloorRatio;
  }
  if (!take) return changed;
  make_dominant(candidate->participant_id, now);
  return true;
}

void DominantSpeaker::loudest(std::size_t k, TimePoint now, std::vector<uint64_t>& out) const {
  out.clear();
  if (k == 0) return;
  std::vector<std::pair<double, uint64_t>> ranked;
  ranked.reserve(speakers_.size());
  for (const Speaker& speaker : speakers_) {
    ranked.emplace_back(activity_at(speaker, now).short_term, speaker.participant_id);
  }
  // Loudest first; equal activity by participant id, so the choice is stable between calls.
  const auto louder = [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  };
  const std::size_t count = std::min(k, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(count),
                    ranked.end(), louder);
  for (std::size_t i = 0; i < count; ++i) out.push_back(ranked[i].second);
  const bool has_dominant = std::any_of(speakers_.begin(), speakers_.end(), [&](const Speaker& s) {
    return s.participant_id == dominant_;
  });
  if (has_dominant && std::find(out.begin(), out.end(), dominant_) == out.end()) {
    out.back() = dominant_;  // the one everybody is watching is always heard
  }
}

}  // namespace vc::room
