// Who may do what in a meeting: the one place the room asks. There are no grants yet; the grants
// issue replaces these rules (a host may then switch chat off, or allow it to some only).
#pragma once

#include "common/envelope.hpp"

namespace vc::room {

// Everyone admitted to the meeting, receive-only participants (viewers) included; waiting-room
// participants are not in the meeting yet: they neither send nor see chat, hands or reactions.
inline bool may_chat(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING;
}
inline bool sees_chat(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING;
}
inline bool may_raise_hand(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING;
}
inline bool may_react(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING;
}

// Waiting-room participants see no roster, no media and no events until a host admits them.
inline bool is_waiting(const v1::Participant& p) {
  return p.role() == v1::PARTICIPANT_ROLE_WAITING;
}
inline bool is_host_or_co_host(v1::ParticipantRole role) {
  return role == v1::PARTICIPANT_ROLE_HOST || role == v1::PARTICIPANT_ROLE_CO_HOST;
}
// Host actions (docs/PROTOCOL.md §14): hosts and co-hosts moderate (admit, remove, mute, lock,
// settings); only the host ends the meeting for everyone or hands host over. Nobody acts on the
// host but the host, and a co-host cannot remove or demote another co-host.
inline bool may_moderate(v1::ParticipantRole actor) {
  return is_host_or_co_host(actor);
}
inline bool may_act_as_host_only(v1::ParticipantRole actor) {
  return actor == v1::PARTICIPANT_ROLE_HOST;
}
inline bool needs_host_role(v1::HostActionKind action) {
  return action == v1::HOST_ACTION_END_MEETING || action == v1::HOST_ACTION_MAKE_HOST;
}
inline bool may_act_on(v1::ParticipantRole actor, v1::ParticipantRole target) {
  if (target == v1::PARTICIPANT_ROLE_HOST) return false;
  if (target == v1::PARTICIPANT_ROLE_CO_HOST) return actor == v1::PARTICIPANT_ROLE_HOST;
  return may_moderate(actor);
}
// Who sees the waiting list and the admit prompt.
inline bool sees_waiting_list(const v1::Participant& p) {
  return is_host_or_co_host(p.role());
}

}  // namespace vc::room
