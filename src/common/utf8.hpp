// Strict UTF-8 decoding, the one decoder for untrusted text (display names, chat, log escaping).
#pragma once

#include <cstddef>
#include <string_view>

namespace vc::utf8 {

// Length of the valid UTF-8 sequence at the start of `s` (1 for ASCII) and its code point; 0 if
// `s` is empty or starts with an invalid sequence (overlong forms, surrogates and values above
// U+10FFFF are invalid).
std::size_t decode(std::string_view s, char32_t& code_point);

}  // namespace vc::utf8
