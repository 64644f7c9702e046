// Room: remote members, i.e. participants connected to other server nodes (the cross-node bus).
// A remote member has no endpoint here and is owned by exactly one node; only that node's
// announcements change it. Local receivers see remote members exactly like local ones.
#include <algorithm>

#include "protocol/close_codes.hpp"
#include "server/room/permissions.hpp"
#include "server/room/room.hpp"

namespace vc::room {

namespace {

bool same_tracks(const v1::Participant& a, const v1::Participant& b) {
  if (a.tracks_size() != b.tracks_size()) return false;
  for (int i = 0; i < a.tracks_size(); ++i) {
    if (a.tracks(i).SerializeAsString() != b.tracks(i).SerializeAsString()) return false;
  }
  return true;
}

bool same_participant(const v1::Participant& a, const v1::Participant& b) {
  return a.display_name() == b.display_name() && a.mic_on() == b.mic_on() &&
         a.camera_on() == b.camera_on() && a.screen_on() == b.screen_on() && a.role() == b.role() &&
         a.connection_state() == b.connection_state() && a.receive_only() == b.receive_only() &&
         a.hand_raised_at_us() == b.hand_raised_at_us() && same_tracks(a, b) &&
         a.grants().SerializeAsString() == b.grants().SerializeAsString();
}

v1::Control participant_control_updated(const v1::Participant& participant) {
  v1::Control control;
  *control.mutable_participant_updated()->mutable_participant() = participant;
  return control;
}

}  // namespace

std::size_t Room::local_member_count() const {
  return static_cast<std::size_t>(std::count_if(members_.begin(), members_.end(),
                                                [this](const auto& m) { return !is_remote(*m); }));
}

std::vector<RemoteMember> Room::local_members() const {
  std::vector<RemoteMember> result;
  for (const auto& member : members_) {
    if (!is_remote(*member)) result.push_back(RemoteMember{0, member->info, member->claim_us});
  }
  return result;
}

void Room::claim_locally(Member& member) {
  if (is_remote(member)) {
    member.node_id = 0;
    --remote_count_;
  }
  member.claim_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
}

void Room::local_member_changed(const Member& member) {
  if (observer_ != nullptr && !is_remote(member)) {
    observer_->on_local_member_changed(*this, member.info, member.claim_us);
  }
}

void Room::forget_remote_members_if_alone() {
  if (remote_count_ == 0 || local_member_count() > 0) return;
  // Nobody here to tell: drop them silently. A node tracks remote members only for its locals.
  members_.erase(std::remove_if(members_.begin(), members_.end(),
                                [this](const auto& m) { return is_remote(*m); }),
                 members_.end());
  remote_count_ = 0;
}

void Room::upsert_remote(const RemoteMember& remote) {
  upsert_remote_member(remote);
  forget_remote_members_if_alone();
  close_pending_slow_receivers();
}

void Room::upsert_remote_member(const RemoteMember& remote) {
  if (remote.node_id == 0) return;
  const uint64_t id = remote.info.participant_id();
  Member* member = find(id);
  if (member == nullptr) {
    if (local_member_count() == 0) return;
    auto added = std::make_unique<Member>();
    added->info = remote.info;
    added->node_id = remote.node_id;
    added->claim_us = remote.claim_us;
    sync_remote_tracks(*added);
    members_.push_back(std::move(added));
    ++remote_count_;
    v1::Control control;
    *control.mutable_participant_joined()->mutable_participant() = remote.info;
    announce_member(*members_.back(), control, id);
    roster_changed();
    return;
  }

  if (!is_remote(*member)) {
    // Another node claims a participant that is ours. A member in reconnect grace has resumed
    // there. A connected one was replaced by a newer connection there, unless ours is newer:
    // then repeat our claim so the other node yields.
    if (member->endpoint != nullptr && remote.claim_us <= member->claim_us) {
      local_member_changed(*member);
      return;
    }
    if (Endpoint* endpoint = std::exchange(member->endpoint, nullptr)) {
      endpoint->close_with_error(close_code::kReplaced,
                                 "replaced by a newer connection on another node");
    }
    member->node_id = remote.node_id;
    member->claim_us = remote.claim_us;
    member->grace_deadline.reset();
    member->forget_keyframe_coalescing();
    ++remote_count_;
    const bool changed = !same_participant(member->info, remote.info);
    member->info = remote.info;
    sync_remote_tracks(*member);
    if (changed) announce_member(*member, participant_control_updated(member->info), id);
    roster_changed();
    return;
  }

  // A known remote member. A claim older than the one we hold is a late message from the node the
  // participant has left: ignore it.
  if (member->node_id != remote.node_id && remote.claim_us < member->claim_us) return;
  if (member->node_id != remote.node_id) member->forget_keyframe_coalescing();
  member->node_id = remote.node_id;
  member->claim_us = remote.claim_us;
  const bool was_lost = member->grace_deadline.has_value();
  member->grace_deadline.reset();
  if (same_participant(member->info, remote.info) && !was_lost) return;
  const bool admitted_now = is_waiting(member->info) && !is_waiting(remote.info);
  member->info = remote.info;
  sync_remote_tracks(*member);
  if (admitted_now) {
    // Admitted on its node: the others meet it now, and it leaves the waiting list.
    v1::Control joined;
    *joined.mutable_participant_joined()->mutable_participant() = member->info;
    broadcast_control(joined, id);
    send_waiting_list();
  } else {
    announce_member(*member, participant_control_updated(member->info), id);
  }
  roster_changed();
}

void Room::remove_remote(uint64_t node_id, uint64_t participant_id, v1::LeaveReason reason) {
  Member* member = find(participant_id);
  if (member == nullptr || member->node_id != node_id || node_id == 0) return;
  remove(participant_id, reason);
  close_pending_slow_receivers();
}

void Room::sync_remote_node(uint64_t node_id, std::span<const RemoteMember> members) {
  if (node_id == 0) return;
  for (const RemoteMember& remote : members) {
    RemoteMember owned = remote;
    owned.node_id = node_id;
    upsert_remote_member(owned);
  }
  // Members that node no longer lists left while we were not listening.
  std::vector<uint64_t> gone;
  for (const auto& member : members_) {
    if (member->node_id != node_id) continue;
    const uint64_t id = member->info.participant_id();
    const bool listed = std::any_of(members.begin(), members.end(), [id](const RemoteMember& r) {
      return r.info.participant_id() == id;
    });
    if (!listed) gone.push_back(id);
  }
  for (uint64_t id : gone) remove(id, v1::LEAVE_REASON_LEFT);
  forget_remote_members_if_alone();
  close_pending_slow_receivers();
}

void Room::remote_node_lost(uint64_t node_id, std::chrono::milliseconds grace) {
  if (node_id == 0) return;
  const TimePoint deadline = now_() + grace;
  bool changed = false;
  for (auto& member : members_) {
    if (member->node_id != node_id || member->grace_deadline) continue;
    member->grace_deadline = deadline;
    member->info.set_connection_state(v1::CONNECTION_STATE_RECONNECTING);
    announce_member(*member, participant_control_updated(member->info),
                    member->info.participant_id());
    changed = true;
  }
  if (changed) roster_changed();
  close_pending_slow_receivers();
}

RemoteMediaResult Room::on_remote_media(const FrameRef& frame, uint64_t origin_node) {
  Member* sender = find(frame->meta().publisher_id);
  if (sender == nullptr) return RemoteMediaResult::kUnknownPublisher;
  if (!is_remote(*sender)) return RemoteMediaResult::kPublisherIsLocal;
  if (sender->node_id != origin_node) return RemoteMediaResult::kNotFromOwner;
  ++stats_.remote_media_in;
  if (drop_if_oversized_audio(frame)) return RemoteMediaResult::kForwarded;
  PublishedTrack* track = sender->track(frame->meta().track_id);
  // The announced grants decide, whatever the sending node forwarded.
  if (!media_granted(*sender, static_cast<v1::MediaKind>(frame->meta().media_kind), track))
    return RemoteMediaResult::kForwarded;
  if (track == nullptr || !track->accepts(frame->meta())) {
    ++stats_.media_unknown_track;
    return RemoteMediaResult::kForwarded;
  }
  route(frame, *sender, *track);
  close_pending_slow_receivers();
  return RemoteMediaResult::kForwarded;
}

void Room::on_remote_keyframe_request(const v1::KeyframeRequest& request) {
  const Member* publisher = find(request.publisher_participant_id());
  if (publisher == nullptr || is_remote(*publisher)) return;
  const uint32_t spatial = std::min<uint32_t>(request.spatial_layer(), 255);
  request_keyframe(request.publisher_participant_id(), request.track_id(),
                   static_cast<uint8_t>(spatial), request.requester_participant_id());
  close_pending_slow_receivers();
}

}  // namespace vc::room
