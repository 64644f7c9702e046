#include "server/auth/left_participants.hpp"

namespace vc::auth {

void LeftParticipants::remember(uint64_t participant_id, TimePoint until, TimePoint now) {
  while (!order_.empty() && order_.front().first <= now) forget_oldest();
  while (!order_.empty() && order_.size() >= capacity_) forget_oldest();
  if (capacity_ == 0) return;
  until_[participant_id] = until;
  order_.emplace_back(until, participant_id);
}

bool LeftParticipants::has_left(uint64_t participant_id, TimePoint now) const {
  const auto it = until_.find(participant_id);
  return it != until_.end() && now < it->second;
}

void LeftParticipants::forget_oldest() {
  const auto [until, id] = order_.front();
  order_.pop_front();
  // A participant remembered twice keeps its later entry.
  if (const auto it = until_.find(id); it != until_.end() && it->second == until) until_.erase(it);
}

}  // namespace vc::auth
