// Validation of untrusted REST input (meeting ids, display names, join bodies). Pure functions,
// fuzzed by tests/fuzz/server/fuzz_join_request.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/display_name.hpp"
#include "common/meeting_id.hpp"

namespace vc::http {

// Meeting ids: vc::is_valid_meeting_id (common/meeting_id.hpp).
using vc::is_valid_meeting_id;

// Display names: vc::normalize_display_name (common/display_name.hpp).
using vc::normalize_display_name;

struct JoinRequestBody {
  std::string display_name;
  // The browser's identity key (docs/PROTOCOL.md §14.2): empty when the client sent none.
  std::string identity_key;
};

struct ParsedJoinRequest {
  std::optional<JoinRequestBody> body;
  std::string error;  // human-readable reason when body is empty
};

// Parses `{"display_name": "..."}`. Unknown fields are ignored.
ParsedJoinRequest parse_join_request(std::string_view json);

}  // namespace vc::http
