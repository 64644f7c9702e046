// The meeting-id rule, shared by the REST API, token verification and the client library.
#pragma once

#include <string_view>

namespace vc {

// Meeting ids are [A-Za-z0-9_-]{1,limits::kMaxMeetingIdBytes}: one NATS subject token, safe in a
// URL path and in a log line.
bool is_valid_meeting_id(std::string_view id);

}  // namespace vc
