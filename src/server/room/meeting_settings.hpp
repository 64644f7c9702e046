// The one rule for changing a meeting's settings (docs/PROTOCOL.md §14.1): used by the live room
// and by the REST API when the meeting has nobody connected to this node (the store's copy).
#pragma once

#include <optional>
#include <string_view>

#include "common/limits.hpp"
#include "protocol/envelope.hpp"

namespace vc::room {

// Applies the fields `update` sets; on a value out of range changes nothing and returns why.
inline std::optional<std::string_view> apply_settings_update(v1::MeetingSettings& settings,
                                                             const v1::HostUpdateSettings& update) {
  if (update.has_max_participants() &&
      update.max_participants() > limits::kMaxParticipantsPerRoom) {
    return "max_participants is above the server's limit";
  }
  if (update.has_waiting_room()) settings.set_waiting_room(update.waiting_room());
  if (update.has_locked()) settings.set_locked(update.locked());
  if (update.has_e2ee_required()) settings.set_e2ee_required(update.e2ee_required());
  if (update.has_max_participants()) settings.set_max_participants(update.max_participants());
  return std::nullopt;
}

}  // namespace vc::room
