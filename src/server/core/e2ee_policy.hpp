// Whether a meeting admits a client that cannot do end-to-end encryption (docs/PROTOCOL.md
// §15.6), by the operator's --e2ee-required-meeting list. The meeting's own `e2ee_required`
// setting (§14.1) is checked by the room at join, where the settings live.
#pragma once

#include <algorithm>
#include <string_view>

#include "server/core/server_config.hpp"

namespace vc::core {

inline bool meeting_requires_e2ee(const ServerConfig& config, std::string_view meeting_id) {
  return std::any_of(config.e2ee_required_meetings.begin(), config.e2ee_required_meetings.end(),
                     [&](const std::string& id) { return id == "*" || id == meeting_id; });
}

inline bool admits_without_e2ee(const ServerConfig& config, std::string_view meeting_id) {
  return !meeting_requires_e2ee(config, meeting_id);
}

}  // namespace vc::core
