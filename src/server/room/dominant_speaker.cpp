// TEMPORARY stand-in until the sfu-parts implementation is merged (not committed).
#include "server/room/dominant_speaker.hpp"

#include <algorithm>
#include <cmath>

#include "common/limits.hpp"

namespace vc::room {

void DominantSpeaker::on_audio_level(uint64_t participant_id, uint8_t level, TimePoint now) {
  auto it = std::find_if(speakers_.begin(), speakers_.end(),
                         [&](const Speaker& s) { return s.participant_id == participant_id; });
  if (it == speakers_.end()) {
    speakers_.push_back(Speaker{participant_id, 0, 0, now});
    it = speakers_.end() - 1;
  }
  const double x = level < 60 ? (60.0 - level) / 60.0 : 0.0;
  const double dt = std::chrono::duration<double>(now - it->last_update).count();
  const double a_short = 1 - std::exp(-std::max(dt, 0.02) / 0.3);
  const double a_long = 1 - std::exp(-std::max(dt, 0.02) / 2.0);
  it->short_activity += a_short * (x - it->short_activity);
  it->long_activity += a_long * (x - it->long_activity);
  it->last_update = now;
}

void DominantSpeaker::remove(uint64_t participant_id) {
  std::erase_if(speakers_, [&](const Speaker& s) { return s.participant_id == participant_id; });
  std::erase(recent_, participant_id);
  if (dominant_ == participant_id) dominant_ = recent_.empty() ? 0 : recent_.front();
}

bool DominantSpeaker::update(TimePoint now) {
  const Speaker* best = nullptr;
  for (const Speaker& s : speakers_) {
    if (best == nullptr || s.long_activity > best->long_activity) best = &s;
  }
  if (best == nullptr || best->participant_id == dominant_ || best->long_activity < 0.15) {
    return false;
  }
  if (dominant_ != 0 && now - last_change_ < limits::kDominantSpeakerMinHold) return false;
  dominant_ = best->participant_id;
  last_change_ = now;
  std::erase(recent_, dominant_);
  recent_.insert(recent_.begin(), dominant_);
  if (recent_.size() > limits::kMaxRecentSpeakers) recent_.resize(limits::kMaxRecentSpeakers);
  return true;
}

void DominantSpeaker::loudest(std::size_t k, TimePoint, std::vector<uint64_t>& out) const {
  out.clear();
  std::vector<const Speaker*> sorted;
  for (const Speaker& s : speakers_) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(),
            [](auto* a, auto* b) { return a->short_activity > b->short_activity; });
  if (dominant_ != 0) out.push_back(dominant_);
  for (const Speaker* s : sorted) {
    if (out.size() >= k) break;
    if (s->participant_id != dominant_) out.push_back(s->participant_id);
  }
}

}  // namespace vc::room
