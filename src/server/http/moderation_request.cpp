#include "server/http/moderation_request.hpp"

#include <nlohmann/json.hpp>

#include "common/limits.hpp"
#include "server/room/host_action_names.hpp"

namespace vc::http {

std::optional<v1::HostUpdateSettings> parse_settings_update(std::string_view json,
                                                            std::string& why) {
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    why = "body must be a JSON object";
    return std::nullopt;
  }
  v1::HostUpdateSettings update;
  for (const char* name : {"waiting_room", "locked", "e2ee_required"}) {
    const auto it = doc.find(name);
    if (it == doc.end()) continue;
    if (!it->is_boolean()) {
      why = std::string(name) + " must be a boolean";
      return std::nullopt;
    }
    const bool value = it->get<bool>();
    if (std::string_view(name) == "waiting_room") update.set_waiting_room(value);
    if (std::string_view(name) == "locked") update.set_locked(value);
    if (std::string_view(name) == "e2ee_required") update.set_e2ee_required(value);
  }
  if (const auto it = doc.find("max_participants"); it != doc.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() > limits::kMaxParticipantsPerRoom) {
      why = "max_participants must be 0.." + std::to_string(limits::kMaxParticipantsPerRoom);
      return std::nullopt;
    }
    update.set_max_participants(static_cast<uint32_t>(it->get<uint64_t>()));
  }
  return update;
}

std::optional<v1::HostRequest> parse_host_request(std::string_view json, std::string& why) {
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    why = "body must be a JSON object";
    return std::nullopt;
  }
  const auto action = doc.find("action");
  const auto kind = action != doc.end() && action->is_string()
                        ? room::host_action_from_name(action->get_ref<const std::string&>())
                        : std::nullopt;
  if (!kind || *kind == v1::HOST_ACTION_UPDATE_SETTINGS) {
    why =
        "action must be one of admit, deny, remove, mute_mic, stop_camera, stop_screen, "
        "ask_unmute, mute_all, lock, unlock, end_meeting, make_co_host, revoke_co_host, "
        "make_host";
    return std::nullopt;
  }
  v1::HostRequest request;
  request.set_action(*kind);
  if (const auto target = doc.find("participant_id"); target != doc.end()) {
    if (!target->is_number_unsigned()) {
      why = "participant_id must be a positive integer";
      return std::nullopt;
    }
    request.set_target_participant_id(target->get<uint64_t>());
  }
  if (const auto bar = doc.find("bar"); bar != doc.end()) {
    if (!bar->is_boolean()) {
      why = "bar must be a boolean";
      return std::nullopt;
    }
    request.set_bar(bar->get<bool>());
  }
  return request;
}

}  // namespace vc::http
