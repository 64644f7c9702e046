#include "server/room/chat_text.hpp"

#include <algorithm>
#include <array>

#include "common/limits.hpp"
#include "common/utf8.hpp"

namespace vc::room {

namespace {

// Thumbs up, red heart, tears of joy, open mouth, clapping hands, party popper. The web app
// offers the same set (web/src/features/reactions.ts).
constexpr std::array<std::string_view, 6> kReactions = {
    "\xF0\x9F\x91\x8D", "\xE2\x9D\xA4\xEF\xB8\x8F", "\xF0\x9F\x98\x82",
    "\xF0\x9F\x98\xAE", "\xF0\x9F\x91\x8F",         "\xF0\x9F\x8E\x89",
};

bool is_control(char32_t cp) {
  return (cp < 0x20 && cp != '\n') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

bool is_space(char32_t cp) {
  return cp == ' ' || cp == '\n' || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200B);
}

}  // namespace

ChatTextResult check_chat_text(std::string_view text) {
  if (text.size() > limits::kMaxChatTextBytes) return ChatTextResult::kTooLong;
  bool visible = false;
  while (!text.empty()) {
    char32_t cp = 0;
    const std::size_t length = utf8::decode(text, cp);
    if (length == 0 || is_control(cp)) return ChatTextResult::kInvalid;
    visible = visible || !is_space(cp);
    text.remove_prefix(length);
  }
  return visible ? ChatTextResult::kOk : ChatTextResult::kEmpty;
}

std::span<const std::string_view> allowed_reactions() {
  return kReactions;
}

bool is_allowed_reaction(std::string_view emoji) {
  return std::find(kReactions.begin(), kReactions.end(), emoji) != kReactions.end();
}

}  // namespace vc::room
