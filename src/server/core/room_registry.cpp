#include "server/core/room_registry.hpp"

#include "common/limits.hpp"

namespace vc::core {

namespace {

void add_stats(room::RoomStats& into, const room::RoomStats& from) {
  into.media_in += from.media_in;
  into.frames_forwarded += from.frames_forwarded;
  into.bytes_forwarded += from.bytes_forwarded;
  into.keyframe_requests_sent += from.keyframe_requests_sent;
  into.keyframe_requests_coalesced += from.keyframe_requests_coalesced;
  into.slow_receivers_closed += from.slow_receivers_closed;
  into.control_messages_dropped += from.control_messages_dropped;
  into.control_flood_closes += from.control_flood_closes;
  into.keyframe_requests_unknown_track += from.keyframe_requests_unknown_track;
  into.oversized_audio_dropped += from.oversized_audio_dropped;
  into.keyframe_requests_backed_off += from.keyframe_requests_backed_off;
  into.tracks_refused += from.tracks_refused;
  into.media_unknown_track += from.media_unknown_track;
  into.frames_not_subscribed += from.frames_not_subscribed;
  into.frames_layer_filtered += from.frames_layer_filtered;
  into.audio_not_top_k += from.audio_not_top_k;
  into.gop_cache_starts += from.gop_cache_starts;
  into.layer_switches += from.layer_switches;
  into.dominant_speaker_changes += from.dominant_speaker_changes;
  into.subscription_updates += from.subscription_updates;
  into.chat_messages += from.chat_messages;
  into.chat_refused += from.chat_refused;
  into.reactions += from.reactions;
  into.reactions_refused += from.reactions_refused;
  into.hands_raised += from.hands_raised;
  into.media_not_granted += from.media_not_granted;
  into.tracks_not_granted += from.tracks_not_granted;
  into.subscriptions_not_granted += from.subscriptions_not_granted;
  into.chat_not_granted += from.chat_not_granted;
  into.host_actions += from.host_actions;
  into.host_actions_refused += from.host_actions_refused;
  into.media_forced_off += from.media_forced_off;
}

}  // namespace

std::shared_ptr<room::Room> RoomRegistry::get_or_create(const std::string& meeting_id) {
  auto [it, inserted] = rooms_.try_emplace(meeting_id);
  if (inserted) {
    it->second = std::make_shared<room::Room>(meeting_id, now_, observer_);
    it->second->set_control_rate(control_rate_);
    it->second->set_forwarding(forwarding_);
    it->second->set_moderation_observer(moderation_);
    if (auto cached = moderation_cache_.find(meeting_id); cached != moderation_cache_.end()) {
      it->second->apply_moderation_state(cached->second);
    }
  }
  return it->second;
}

void RoomRegistry::remember_moderation(const std::string& meeting_id,
                                       const room::ModerationState& state) {
  // An ended room that the store says is open again: the host's join reopened it.
  if (room::Room* live = find(meeting_id);
      live != nullptr && (!live->moderation_known() || (live->ended() && !state.ended))) {
    live->apply_moderation_state(state);
  }
  auto [it, inserted] = moderation_cache_.insert_or_assign(meeting_id, state);
  if (!inserted) return;
  moderation_order_.push_back(meeting_id);
  while (moderation_cache_.size() > limits::kMaxCachedModerationStates) {
    moderation_cache_.erase(moderation_order_.front());
    moderation_order_.pop_front();
  }
}

room::Room* RoomRegistry::find(const std::string& meeting_id) const {
  auto it = rooms_.find(meeting_id);
  return it == rooms_.end() ? nullptr : it->second.get();
}

void RoomRegistry::tick() {
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    room::Room& r = *it->second;
    if (auto deadline = r.next_deadline(); deadline && *deadline <= now_()) r.on_timer();
    if (r.empty()) {
      add_stats(retired_, r.stats());
      it = rooms_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t RoomRegistry::participant_count() const {
  std::size_t count = 0;
  for (const auto& [id, r] : rooms_) count += r->participant_count();
  return count;
}

room::RoomStats RoomRegistry::total_stats() const {
  room::RoomStats total = retired_;
  for (const auto& [id, r] : rooms_) add_stats(total, r->stats());
  return total;
}

}  // namespace vc::core
