// Fuzzes the untrusted REST input path: join bodies, meeting ids, display names and static paths.
// Invariants: accepted names are trimmed, 1..64 bytes, and re-normalise to themselves; accepted
// static paths stay under the web root.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/http/request_validation.hpp"
#include "server/http/static_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto parsed = vc::http::parse_join_request(input);
  if (parsed.body) {
    const std::string& name = parsed.body->display_name;
    if (name.empty() || name.size() > 64) abort();
    if (vc::http::normalize_display_name(name) != name) abort();
  } else if (parsed.error.empty()) {
    abort();
  }

  if (vc::http::is_valid_meeting_id(input) && (input.empty() || input.size() > 64)) abort();

  static const std::filesystem::path root = "/srv/web";
  if (const auto file = vc::http::resolve_static_path(root, input)) {
    const std::string resolved = file->lexically_normal().string();
    if (resolved.rfind("/srv/web/", 0) != 0) abort();
  }
  return 0;
}
