// Room: host actions across server nodes (docs/PROTOCOL.md §14.6). An action whose target another
// node owns goes there (HostRemoteAction); an action carried out here goes to the other nodes with
// the meeting's state after it (HostClusterEvent), so that every node enforces the same settings,
// host and co-hosts, shows the event to its members and ends its part of a meeting that ended.
#include <algorithm>

#include "protocol/close_codes.hpp"
#include "server/room/moderation_cluster_event.hpp"
#include "server/room/permissions.hpp"
#include "server/room/room.hpp"

namespace vc::room {

void Room::publish_host_event(const v1::HostActionEvent& event) {
  if (observer_ == nullptr || remote_count_ == 0) return;
  observer_->on_local_host_event(*this, to_cluster_event(moderation_state_, event));
}

void Room::on_remote_host_action(const v1::HostRemoteAction& action, uint64_t origin_node) {
  const Member* target = find(action.request().target_participant_id());
  if (origin_node == 0 || target == nullptr || is_remote(*target)) return;  // not ours (any more)
  HostActor actor;
  actor.participant_id = action.actor_participant_id();
  actor.subject = action.actor_subject();
  actor.display_name = action.actor_display_name();
  actor.role = action.actor_role();
  // Checked again here, with the role the actor's node gave it: the target's node decides.
  host_request(actor, action.request());
}

void Room::on_host_cluster_event(const v1::HostClusterEvent& event, uint64_t origin_node) {
  if (origin_node == 0) return;
  ModerationState state = moderation_state_of(event);
  const bool settings_changed =
      state.settings.SerializeAsString() != moderation_state_.settings.SerializeAsString();
  const bool was_ended = moderation_state_.ended;
  moderation_state_ = std::move(state);
  settings_known_ = true;
  if (settings_changed) {
    v1::Control control;
    *control.mutable_meeting_settings() = moderation_state_.settings;
    broadcast_control(control, 0);
  }
  v1::Control control;
  *control.mutable_host_action_event() = event.event();
  broadcast_control(control, 0);
  follow_moderation_roles();
  if (event.event().action() == v1::HOST_ACTION_MUTE_ALL) {
    // The actor's node checked it may; this node mutes its own members.
    mute_all_local(v1::PARTICIPANT_ROLE_HOST);
  }
  if (moderation_state_.ended && !was_ended) end_meeting();
  close_pending_slow_receivers();
}

void Room::follow_moderation_roles() {
  // Local members only: each node announces its own members' roles.
  for (auto& member : members_) {
    if (is_remote(*member) || member->subject.empty()) continue;
    const auto& co_hosts = moderation_state_.co_host_subjects;
    v1::ParticipantRole role = member->admitted_role;
    if (member->subject == moderation_state_.host_subject) {
      role = v1::PARTICIPANT_ROLE_HOST;
    } else if (std::find(co_hosts.begin(), co_hosts.end(), member->subject) != co_hosts.end()) {
      role = v1::PARTICIPANT_ROLE_CO_HOST;
    } else if (is_host_or_co_host(role)) {
      role = v1::PARTICIPANT_ROLE_PARTICIPANT;
    }
    if (role == member->admitted_role) continue;
    if (is_waiting(member->info)) {
      member->admitted_role = role;  // a waiting host is let in at once
      if (is_host_or_co_host(role)) admit(*member);
      continue;
    }
    set_role(*member, role);
  }
}

}  // namespace vc::room
