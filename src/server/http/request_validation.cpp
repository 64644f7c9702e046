#include "server/http/request_validation.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/limits.hpp"

namespace vc::http {

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
