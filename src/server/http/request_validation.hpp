// Validation of untrusted REST input (meeting ids, display names, join bodies). Pure functions,
// fuzzed by tests/fuzz/server/fuzz_join_request.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/meeting_id.hpp"

namespace vc::http {

// Meeting ids: vc::is_valid_meeting_id (common/meeting_id.hpp).
using vc::is_valid_meeting_id;

// Trims ASCII whitespace; accepts 1..64 bytes of valid UTF-8 without control characters, bidi
// controls (U+202A-202E, U+2066-2069, U+200E/200F, U+061C) or zero-width characters (U+200B-200D,
// U+2060, U+FEFF).
std::optional<std::string> normalize_display_name(std::string_view name);

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
