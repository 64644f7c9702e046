#include "common/meeting_id.hpp"

#include "common/limits.hpp"

namespace vc {

bool is_valid_meeting_id(std::string_view id) {
  if (id.empty() || id.size() > limits::kMaxMeetingIdBytes) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace vc
