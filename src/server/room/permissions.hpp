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

// End-to-end encryption keys (docs/PROTOCOL.md §15) go between admitted participants only: a
// waiting-room participant receives no media, so it neither sends nor gets sealed media keys.
inline bool may_exchange_e2ee_keys(const v1::Participant& p) {
  return p.role() != v1::PARTICIPANT_ROLE_WAITING;
}

}  // namespace vc::room
