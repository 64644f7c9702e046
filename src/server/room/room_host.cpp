// Room: meeting settings, host actions and the waiting room (docs/PROTOCOL.md §14). Every action is
// checked here (permissions.hpp decides who may), whether it came over the control channel or the
// REST moderation API; carried-out actions go to every admitted member as a HostActionEvent and to
// the ModerationObserver (the store: settings, host, bars, audit).
#include <algorithm>

#include "protocol/close_codes.hpp"
#include "server/room/meeting_settings.hpp"
#include "server/room/permissions.hpp"
#include "server/room/room.hpp"
#include "server/room/wall_clock.hpp"

namespace vc::room {

namespace {

v1::Control updated_control(const v1::Participant& participant) {
  v1::Control control;
  *control.mutable_participant_updated()->mutable_participant() = participant;
  return control;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

HostResult refused(uint32_t code, std::string message) {
  return {code, std::move(message)};
}

}  // namespace

void Room::apply_moderation_state(const ModerationState& state) {
  moderation_state_ = state;
  settings_known_ = true;
}

v1::ParticipantRole Room::standing_role(const Identity& identity) const {
  const std::string& subject = identity.subject;
  const std::string& host = moderation_state_.host_subject;
  if (!subject.empty() && subject == host) return v1::PARTICIPANT_ROLE_HOST;
  if (!subject.empty() && contains(moderation_state_.co_host_subjects, subject)) {
    return v1::PARTICIPANT_ROLE_CO_HOST;
  }
  if (is_host_or_co_host(identity.role)) {
    // The token says so. Trusted unless the room knows who the host is now (the host may have
    // handed over, or revoked this co-host, after the token was issued).
    return (subject.empty() || host.empty()) ? identity.role : v1::PARTICIPANT_ROLE_PARTICIPANT;
  }
  if (identity.role == v1::PARTICIPANT_ROLE_VIEWER) return v1::PARTICIPANT_ROLE_VIEWER;
  return v1::PARTICIPANT_ROLE_PARTICIPANT;
}

bool Room::must_wait(const Identity& identity, v1::ParticipantRole standing) const {
  if (is_host_or_co_host(standing)) return false;
  if (!settings_known_) return identity.role == v1::PARTICIPANT_ROLE_WAITING;
  // Locked: nobody new gets in unless a host admits them, waiting room or not.
  return moderation_state_.settings.waiting_room() || moderation_state_.settings.locked();
}

std::size_t Room::admitted_count() const {
  return static_cast<std::size_t>(std::count_if(
      members_.begin(), members_.end(), [](const auto& m) { return !is_waiting(m->info); }));
}

std::vector<v1::Participant> Room::waiting_list() const {
  std::vector<v1::Participant> list;
  for (const auto& member : members_) {
    if (is_waiting(member->info)) list.push_back(member->info);
  }
  return list;
}

void Room::announce_member(const Member& about, const v1::Control& control, uint64_t except) {
  if (is_waiting(about.info)) return send_waiting_list();
  broadcast_control(control, except);
}

void Room::send_waiting_list() {
  v1::Control control;
  auto* list = control.mutable_waiting_list();
  for (v1::Participant& waiting : waiting_list()) *list->add_waiting() = std::move(waiting);
  const FrameRef frame = encode_control(control);
  for (auto& member : members_) {
    if (sees_waiting_list(member->info)) send(*member, frame);
  }
}

HostActor Room::actor_for(const Identity& identity) const {
  HostActor actor;
  actor.participant_id = identity.participant_id;
  actor.subject = identity.subject;
  actor.display_name = identity.display_name;
  // Participant id 0 is the server API (an API key, never a token): it acts with the role given.
  if (identity.participant_id == 0) {
    actor.role = identity.role;
    return actor;
  }
  for (const auto& member : members_) {
    if (member->info.participant_id() == identity.participant_id) {
      actor.role = member->info.role();
      actor.display_name = member->info.display_name();
      return actor;
    }
  }
  actor.role = standing_role(identity);
  return actor;
}

void Room::handle_host_control(Member& member, const v1::Control& control) {
  HostActor actor;
  actor.participant_id = member.info.participant_id();
  actor.subject = member.subject;
  actor.display_name = member.info.display_name();
  actor.role = member.info.role();
  const bool is_request = control.has_host_request();
  const HostResult result = is_request ? host_request(actor, control.host_request())
                                       : update_settings(actor, control.host_update_settings());
  if (result.ok()) return;
  // The actor may have been the target (removing itself is refused, so it is still here).
  if (find(actor.participant_id) == &member) {
    refuse(member, result.code, result.message,
           is_request ? v1::Control::kHostRequest : v1::Control::kHostUpdateSettings);
  }
}

HostResult Room::host_request(const HostActor& actor, const v1::HostRequest& request) {
  const v1::HostActionKind action = request.action();
  HostResult result;
  if (!may_moderate(actor.role)) {
    result = refused(close_code::kForbidden, "only a host or co-host can do this");
  } else if (needs_host_role(action) && !may_act_as_host_only(actor.role)) {
    result = refused(close_code::kForbidden, "only the host can do this");
  } else if (moderation_state_.ended) {
    result = refused(close_code::kForbidden, "the meeting has ended");
  }
  if (!result.ok()) {
    ++stats_.host_actions_refused;
    return result;
  }
  v1::HostActionEvent event;
  event.set_action(action);
  std::string target_subject;
  switch (action) {
    case v1::HOST_ACTION_LOCK:
    case v1::HOST_ACTION_UNLOCK:
      moderation_state_.settings.set_locked(action == v1::HOST_ACTION_LOCK);
      settings_known_ = true;  // from now on the room's settings decide who waits
      broadcast_control(
          [&] {
            v1::Control control;
            *control.mutable_meeting_settings() = moderation_state_.settings;
            return control;
          }(),
          0);
      break;
    case v1::HOST_ACTION_MUTE_ALL:
      mute_all_local(actor.role);  // other nodes mute theirs on the HostClusterEvent
      break;
    case v1::HOST_ACTION_END_MEETING:
      event.set_actor_participant_id(actor.participant_id);
      event.set_actor_display_name(actor.display_name);
      event.set_at_ms(wall_ms());
      moderation_state_.ended = true;
      {
        v1::Control control;
        *control.mutable_host_action_event() = event;
        broadcast_control(control, 0);
      }
      finish_host_action(actor, event, {});
      end_meeting();
      return {};
    default:
      result = act_on_member(actor, request, event, target_subject);
      if (result.forwarded) return result;  // the owning node carries it out and tells everyone
      if (!result.ok()) {
        ++stats_.host_actions_refused;
        return result;
      }
      break;
  }
  return finish_host_action(actor, std::move(event), std::move(target_subject));
}

HostResult Room::act_on_member(const HostActor& actor, const v1::HostRequest& request,
                               v1::HostActionEvent& event, std::string& target_subject) {
  const v1::HostActionKind action = request.action();
  if (action == v1::HOST_ACTION_UNSPECIFIED || action == v1::HOST_ACTION_UPDATE_SETTINGS ||
      !v1::HostActionKind_IsValid(action)) {
    return refused(close_code::kInvalidContent, "unknown host action");
  }
  Member* target = find(request.target_participant_id());
  if (target == nullptr) return refused(close_code::kUnknownMeeting, "no such participant");
  if (is_remote(*target)) {
    if (observer_ == nullptr) {
      return refused(close_code::kNotApplicable, "that participant is on an unreachable node");
    }
    v1::HostRemoteAction remote;
    *remote.mutable_request() = request;
    remote.set_actor_participant_id(actor.participant_id);
    remote.set_actor_subject(actor.subject);
    remote.set_actor_display_name(actor.display_name);
    remote.set_actor_role(actor.role);
    observer_->on_remote_host_action(*this, target->node_id, remote);
    HostResult forwarded;
    forwarded.forwarded = true;
    return forwarded;
  }
  if (target->info.participant_id() == actor.participant_id ||
      !may_act_on(actor.role, target->info.role())) {
    return refused(close_code::kForbidden, "you cannot do this to that participant");
  }
  const bool waiting = is_waiting(target->info);
  const bool for_waiting = action == v1::HOST_ACTION_ADMIT || action == v1::HOST_ACTION_DENY;
  if (waiting != for_waiting && action != v1::HOST_ACTION_REMOVE) {
    return refused(close_code::kNotApplicable, waiting ? "that participant is still waiting"
                                                       : "that participant is not waiting");
  }
  event.set_target_participant_id(target->info.participant_id());
  event.set_target_display_name(target->info.display_name());
  target_subject = target->subject;
  switch (action) {
    case v1::HOST_ACTION_ADMIT: {
      const uint32_t max = moderation_state_.settings.max_participants();
      if (max != 0 && !is_host_or_co_host(target->admitted_role) && admitted_count() >= max) {
        return refused(close_code::kMeetingFull, "the meeting is full");
      }
      admit(*target);
      break;
    }
    case v1::HOST_ACTION_DENY:
      close_member(*target, v1::LEAVE_REASON_KICKED, close_code::kEntryDenied,
                   "the host did not let you in");
      break;
    case v1::HOST_ACTION_REMOVE:
      event.set_bar(request.bar());
      if (request.bar() && !target->subject.empty() &&
          !contains(barred_subjects_, target->subject)) {
        if (barred_subjects_.size() >= limits::kMaxBarredPerMeeting) {
          barred_subjects_.erase(barred_subjects_.begin());
        }
        barred_subjects_.push_back(target->subject);
      }
      close_member(*target, v1::LEAVE_REASON_KICKED,
                   request.bar() ? close_code::kBarred : close_code::kRemoved,
                   request.bar() ? "removed by the host and barred from the meeting"
                                 : "removed by the host");
      break;
    case v1::HOST_ACTION_MUTE_MIC:
    case v1::HOST_ACTION_STOP_CAMERA:
    case v1::HOST_ACTION_STOP_SCREEN:
      force_off(*target, action);
      break;
    case v1::HOST_ACTION_ASK_UNMUTE:
      break;  // the event itself is the request; the target's client asks its user
    case v1::HOST_ACTION_MAKE_CO_HOST:
    case v1::HOST_ACTION_REVOKE_CO_HOST: {
      auto& co_hosts = moderation_state_.co_host_subjects;
      const bool make = action == v1::HOST_ACTION_MAKE_CO_HOST;
      if (!target->subject.empty()) {
        std::erase(co_hosts, target->subject);
        if (make) co_hosts.push_back(target->subject);
      }
      set_role(*target, make ? v1::PARTICIPANT_ROLE_CO_HOST : v1::PARTICIPANT_ROLE_PARTICIPANT);
      break;
    }
    case v1::HOST_ACTION_MAKE_HOST: {
      if (target->info.role() == v1::PARTICIPANT_ROLE_VIEWER) {
        return refused(close_code::kForbidden, "a viewer cannot be the host");
      }
      moderation_state_.host_subject = target->subject;
      auto& co_hosts = moderation_state_.co_host_subjects;
      std::erase(co_hosts, target->subject);
      // The old host keeps moderating as a co-host.
      if (!actor.subject.empty() && !contains(co_hosts, actor.subject)) {
        co_hosts.push_back(actor.subject);
      }
      set_role(*target, v1::PARTICIPANT_ROLE_HOST);
      // A remote old host's own node demotes it on the HostClusterEvent.
      if (Member* old_host = find(actor.participant_id); old_host && !is_remote(*old_host)) {
        set_role(*old_host, v1::PARTICIPANT_ROLE_CO_HOST);
      }
      break;
    }
    default:
      return refused(close_code::kInvalidContent, "unknown host action");
  }
  return {};
}

HostResult Room::finish_host_action(const HostActor& actor, v1::HostActionEvent event,
                                    std::string target_subject) {
  ++stats_.host_actions;
  event.set_actor_participant_id(actor.participant_id);
  event.set_actor_display_name(actor.display_name);
  event.set_at_ms(wall_ms());
  if (event.action() != v1::HOST_ACTION_END_MEETING) {
    v1::Control control;
    *control.mutable_host_action_event() = event;
    broadcast_control(control, 0);
  }
  publish_host_event(event);
  if (moderation_ != nullptr) {
    HostActionRecord record;
    record.event = std::move(event);
    record.actor_subject = actor.subject;
    record.target_subject = std::move(target_subject);
    record.state = moderation_state_;
    moderation_->on_host_action(*this, record);
  }
  close_pending_slow_receivers();
  return {};
}

HostResult Room::update_settings(const HostActor& actor, const v1::HostUpdateSettings& update) {
  if (!may_moderate(actor.role)) {
    ++stats_.host_actions_refused;
    return refused(close_code::kForbidden, "only a host or co-host can do this");
  }
  v1::MeetingSettings& settings = moderation_state_.settings;
  if (const auto invalid = apply_settings_update(settings, update)) {
    ++stats_.host_actions_refused;
    return refused(close_code::kInvalidContent, std::string(*invalid));
  }
  settings_known_ = true;
  v1::Control control;
  *control.mutable_meeting_settings() = settings;
  broadcast_control(control, 0);
  v1::HostActionEvent event;
  event.set_action(v1::HOST_ACTION_UPDATE_SETTINGS);
  return finish_host_action(actor, std::move(event), {});
}

void Room::admit(Member& member) {
  member.info.set_role(member.admitted_role);
  send_join_accepted(member, false);
  v1::Control joined;
  *joined.mutable_participant_joined()->mutable_participant() = member.info;
  broadcast_control(joined, member.info.participant_id());
  send_waiting_list();  // it leaves the list (and sees the list itself, if it moderates)
  local_member_changed(member);
  roster_changed();
  mark_allocation_dirty();
}

void Room::set_role(Member& member, v1::ParticipantRole role) {
  member.info.set_role(role);
  member.admitted_role = role;
  broadcast_control(updated_control(member.info), 0);
  local_member_changed(member);
  roster_changed();
  if (sees_waiting_list(member.info) && !waiting_list().empty()) send_waiting_list();
}

void Room::close_member(Member& member, v1::LeaveReason reason, uint32_t code,
                        std::string_view why) {
  Endpoint* endpoint = member.endpoint;
  remove(member.info.participant_id(), reason);
  if (endpoint != nullptr) {
    // No media after the close; control queued before it (this action's event) still goes out,
    // ahead of Control.error, also when the receiver's writer was busy (an egress shard).
    endpoint->queue().clear_media();
    endpoint->close_with_error(code, why);
  }
}

void Room::force_off(Member& member, v1::HostActionKind action) {
  switch (action) {
    case v1::HOST_ACTION_MUTE_MIC:
      member.forced_mic_off = true;
      member.info.set_mic_on(false);
      break;
    case v1::HOST_ACTION_STOP_CAMERA:
      member.forced_camera_off = true;
      member.info.set_camera_on(false);
      break;
    default:
      member.forced_screen_off = true;
      member.info.set_screen_on(false);
      break;
  }
  broadcast_control(updated_control(member.info), 0);
  local_member_changed(member);
  roster_changed();
}

bool Room::forced_off(const Member& sender, const PublishedTrack& track) const {
  switch (track.info.source()) {
    case v1::TRACK_SOURCE_MICROPHONE:
      return sender.forced_mic_off;
    case v1::TRACK_SOURCE_CAMERA:
      return sender.forced_camera_off;
    case v1::TRACK_SOURCE_SCREEN:
    case v1::TRACK_SOURCE_SCREEN_AUDIO:
      return sender.forced_screen_off;
    default:
      return false;
  }
}

void Room::clear_forced_on_unmute(Member& member, const v1::MediaState& state) {
  // Only the member itself turns a source back on: a host can mute, never unmute.
  if (state.mic_on()) member.forced_mic_off = false;
  if (state.camera_on()) member.forced_camera_off = false;
  if (state.screen_on()) member.forced_screen_off = false;
}

void Room::end_meeting() {
  std::vector<uint64_t> ids;
  for (const auto& member : members_) {
    if (!is_remote(*member)) ids.push_back(member->info.participant_id());
  }
  for (uint64_t id : ids) {
    if (Member* member = find(id)) {
      close_member(*member, v1::LEAVE_REASON_KICKED, close_code::kMeetingEnded,
                   "the host ended the meeting");
    }
  }
  close_pending_slow_receivers();
}

void Room::mute_all_local(v1::ParticipantRole actor_role) {
  for (auto& member : members_) {
    if (is_remote(*member) || is_waiting(member->info) || !member->info.mic_on() ||
        !may_act_on(actor_role, member->info.role())) {
      continue;
    }
    force_off(*member, v1::HOST_ACTION_MUTE_MIC);
  }
}

}  // namespace vc::room
