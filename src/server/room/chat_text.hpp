// Validation of the text participants send to each other: chat messages and reactions
// (docs/PROTOCOL.md §12). Pure functions over untrusted bytes, fuzzed by
// tests/fuzz/fuzz_chat_text.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace vc::room {

enum class ChatTextResult : uint8_t {
  kOk,
  kEmpty,    // nothing but white space
  kTooLong,  // more than limits::kMaxChatTextBytes
  kInvalid,  // not UTF-8, or a control character other than newline
};

ChatTextResult check_chat_text(std::string_view text);

// The reactions a participant may send, as UTF-8 (one emoji each, a fixed set).
std::span<const std::string_view> allowed_reactions();
bool is_allowed_reaction(std::string_view emoji);

}  // namespace vc::room
