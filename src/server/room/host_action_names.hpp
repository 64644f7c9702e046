// Names of host actions in the REST moderation API and the audit table (docs/PROTOCOL.md §14).
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "protocol/envelope.hpp"

namespace vc::room {

inline constexpr std::array<std::pair<v1::HostActionKind, std::string_view>, 15> kHostActionNames{{
    {v1::HOST_ACTION_ADMIT, "admit"},
    {v1::HOST_ACTION_DENY, "deny"},
    {v1::HOST_ACTION_REMOVE, "remove"},
    {v1::HOST_ACTION_MUTE_MIC, "mute_mic"},
    {v1::HOST_ACTION_STOP_CAMERA, "stop_camera"},
    {v1::HOST_ACTION_STOP_SCREEN, "stop_screen"},
    {v1::HOST_ACTION_ASK_UNMUTE, "ask_unmute"},
    {v1::HOST_ACTION_MUTE_ALL, "mute_all"},
    {v1::HOST_ACTION_LOCK, "lock"},
    {v1::HOST_ACTION_UNLOCK, "unlock"},
    {v1::HOST_ACTION_END_MEETING, "end_meeting"},
    {v1::HOST_ACTION_MAKE_CO_HOST, "make_co_host"},
    {v1::HOST_ACTION_REVOKE_CO_HOST, "revoke_co_host"},
    {v1::HOST_ACTION_MAKE_HOST, "make_host"},
    {v1::HOST_ACTION_UPDATE_SETTINGS, "update_settings"},
}};

inline std::string_view host_action_name(v1::HostActionKind action) {
  for (const auto& [kind, name] : kHostActionNames) {
    if (kind == action) return name;
  }
  return "unknown";
}

inline std::optional<v1::HostActionKind> host_action_from_name(std::string_view text) {
  for (const auto& [kind, name] : kHostActionNames) {
    if (name == text) return kind;
  }
  return std::nullopt;
}

}  // namespace vc::room
