#include "common/display_name.hpp"

#include "common/limits.hpp"
#include "common/utf8.hpp"

namespace vc {

namespace {

bool is_ascii_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Invisible code points that reorder or hide text: bidi embeddings/overrides/isolates and marks,
// and zero-width characters. In a name they can impersonate another participant or reverse what
// follows the name in a roster or a log.
bool is_invisible_formatting(uint32_t cp) {
  return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
         cp == 0x200f || cp == 0x061c || (cp >= 0x200b && cp <= 0x200d) || cp == 0xfeff ||
         cp == 0x2060;
}

// Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF) without C0/C1 control characters or
// invisible formatting.
bool is_clean_utf8(std::string_view s) {
  while (!s.empty()) {
    char32_t cp = 0;
    const std::size_t len = utf8::decode(s, cp);
    if (len == 0) return false;
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) return false;
    if (is_invisible_formatting(cp)) return false;
    s.remove_prefix(len);
  }
  return true;
}

}  // namespace

std::optional<std::string> normalize_display_name(std::string_view name) {
  while (!name.empty() && is_ascii_space(static_cast<unsigned char>(name.front()))) {
    name.remove_prefix(1);
  }
  while (!name.empty() && is_ascii_space(static_cast<unsigned char>(name.back()))) {
    name.remove_suffix(1);
  }
  if (name.empty() || name.size() > limits::kMaxDisplayNameBytes) return std::nullopt;
  if (!is_clean_utf8(name)) return std::nullopt;
  return std::string(name);
}

}  // namespace vc
