// Bodies of the REST moderation API (docs/PROTOCOL.md §14.5), parsed without I/O (fuzzed by
// tests/fuzz/server/fuzz_moderation_request.cpp). Errors: nullopt with `why` for the 400 answer.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "protocol/envelope.hpp"

namespace vc::http {

// {"action": "remove", "participant_id": 123, "bar": true}
std::optional<v1::HostRequest> parse_host_request(std::string_view json, std::string& why);
// {"waiting_room": true, "locked": false, "e2ee_required": true, "max_participants": 50}
std::optional<v1::HostUpdateSettings> parse_settings_update(std::string_view json,
                                                            std::string& why);

}  // namespace vc::http
