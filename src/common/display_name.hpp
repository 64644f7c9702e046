// Display names, one rule wherever a name enters (REST join bodies, tokens a backend signed): trims
// ASCII whitespace; accepts 1..64 bytes of valid UTF-8 without control characters, bidi controls
// (U+202A-202E, U+2066-2069, U+200E/200F, U+061C) or zero-width characters (U+200B-200D, U+2060,
// U+FEFF), which could impersonate another participant or reverse what follows in a roster or log.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vc {

std::optional<std::string> normalize_display_name(std::string_view name);

}  // namespace vc
