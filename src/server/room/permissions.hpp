// Who may do what in a meeting: the one place the room (and the token parser) asks. A participant's
// grants come from its room token (docs/PROTOCOL.md §13): the defaults of its role, narrowed by the
// token's "grants" claim, carried in Participant.grants so that other nodes enforce them too.
#pragma once

#include <cstdint>

#include "protocol/close_codes.hpp"
#include "protocol/envelope.hpp"

namespace vc::room {

// What a role may do when the token narrows nothing: hosts, co-hosts and participants everything;
// a viewer receives and chats but publishes nothing (it joins receive-only); a waiting-room
// participant nothing until admitted.
inline v1::Grants role_default_grants(v1::ParticipantRole role) {
  // A waiting participant gets a participant's grants: the room holds everything back by its role
  // until a host admits it, and admission must not leave it with nothing granted.
  v1::Grants grants;
  const bool publishes = role != v1::PARTICIPANT_ROLE_VIEWER;
  grants.set_publish_camera(publishes);
  grants.set_publish_microphone(publishes);
  grants.set_publish_screen(publishes);
  grants.set_subscribe(true);
  grants.set_chat(true);
  return grants;
}

// A participant's grants; one announced without them (a node that predates grants) has its role's.
// A reference, never a copy: the forwarding path asks this per receiver per packet.
inline const v1::Grants& grants_of(const v1::Participant& p) {
  if (p.has_grants()) return p.grants();
  static const v1::Grants publisher_defaults =
      role_default_grants(v1::PARTICIPANT_ROLE_PARTICIPANT);
  static const v1::Grants viewer_defaults = role_default_grants(v1::PARTICIPANT_ROLE_VIEWER);
  return p.role() == v1::PARTICIPANT_ROLE_VIEWER ? viewer_defaults : publisher_defaults;
}

inline bool publishes_anything(const v1::Grants& g) {
  return g.publish_camera() || g.publish_microphone() || g.publish_screen();
}

// Screen audio belongs to the screen share; an unknown source is never granted.
inline bool may_publish(const v1::Grants& g, v1::TrackSource source) {
  switch (source) {
    case v1::TRACK_SOURCE_CAMERA:
      return g.publish_camera();
    case v1::TRACK_SOURCE_MICROPHONE:
      return g.publish_microphone();
    case v1::TRACK_SOURCE_SCREEN:
    case v1::TRACK_SOURCE_SCREEN_AUDIO:
      return g.publish_screen();
    default:
      return false;
  }
}

// A frame's kind, checked before its track is looked up: audio may be microphone or screen audio.
inline bool may_publish_kind(const v1::Grants& g, v1::MediaKind kind) {
  switch (kind) {
    case v1::MEDIA_KIND_VIDEO:
      return g.publish_camera();
    case v1::MEDIA_KIND_AUDIO:
      return g.publish_microphone() || g.publish_screen();
    case v1::MEDIA_KIND_SCREEN:
      return g.publish_screen();
    default:
      return false;
  }
}

// The Refused code for media of `source` that is not granted (4440-4442).
inline uint32_t not_granted_code(v1::TrackSource source) {
  switch (source) {
    case v1::TRACK_SOURCE_CAMERA:
      return close_code::kNotGrantedCamera;
    case v1::TRACK_SOURCE_MICROPHONE:
      return close_code::kNotGrantedMicrophone;
    default:
      return close_code::kNotGrantedScreen;
  }
}

inline v1::TrackSource source_of_kind(v1::MediaKind kind) {
  switch (kind) {
    case v1::MEDIA_KIND_VIDEO:
      return v1::TRACK_SOURCE_CAMERA;
    case v1::MEDIA_KIND_AUDIO:
      return v1::TRACK_SOURCE_MICROPHONE;
    default:
      return v1::TRACK_SOURCE_SCREEN;
  }
}

// Media bytes go only to admitted participants granted subscribe.
inline bool may_subscribe(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING && grants_of(p).subscribe();
}

// Sending chat needs the chat grant; everyone admitted sees the meeting's chat.
inline bool may_chat(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING && grants_of(p).chat();
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
// End-to-end encryption keys (docs/PROTOCOL.md §15) go between admitted participants only: a
// waiting-room participant receives no media, so it neither sends nor gets sealed media keys.
inline bool may_exchange_e2ee_keys(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING;
}

}  // namespace vc::room
