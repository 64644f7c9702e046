#include "server/http/request_validation.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/limits.hpp"
#include "common/utf8.hpp"

namespace vc::http {

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

ParsedJoinRequest parse_join_request(std::string_view json) {
  ParsedJoinRequest result;
  const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    result.error = "body must be a JSON object";
    return result;
  }
  const auto name = doc.find("display_name");
  if (name == doc.end() || !name->is_string()) {
    result.error = "display_name (string) is required";
    return result;
  }
  auto normalized = normalize_display_name(name->get_ref<const std::string&>());
  if (!normalized) {
    result.error =
        "display_name must be 1..64 bytes of printable UTF-8 without control, bidi or "
        "zero-width characters";
    return result;
  }
  std::string identity_key;
  if (const auto key = doc.find("identity_key"); key != doc.end()) {
    const bool valid = key->is_string() &&
                       key->get_ref<const std::string&>().size() >= limits::kMinIdentityKeyBytes &&
                       key->get_ref<const std::string&>().size() <= limits::kMaxIdentityKeyBytes &&
                       std::all_of(key->get_ref<const std::string&>().begin(),
                                   key->get_ref<const std::string&>().end(), [](char c) {
                                     return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                            (c >= '0' && c <= '9') || c == '_' || c == '-';
                                   });
    if (!valid) {
      result.error = "identity_key must be 16..128 characters of A-Z a-z 0-9 _ -";
      return result;
    }
    identity_key = key->get<std::string>();
  }
  result.body = JoinRequestBody{std::move(*normalized), std::move(identity_key)};
  return result;
}

}  // namespace vc::http
