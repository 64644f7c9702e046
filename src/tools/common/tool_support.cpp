#include "tool_support.hpp"

#include <charconv>
#include <iostream>
#include <string_view>

namespace vc::tools {

void print_e2ee_status(const client::E2eeStatus& status) {
  std::cerr << "e2ee on mode=" << client::to_string(status.mode);
  if (!status.safety_code.empty()) std::cerr << " safety-code=\"" << status.safety_code << "\"";
  std::cerr << std::endl;
}

std::string e2ee_stats_text(const client::ClientStats& stats) {
  return " e2ee_encrypted=" + std::to_string(stats.e2ee_encrypted) +
         " e2ee_decrypted=" + std::to_string(stats.e2ee_decrypted) +
         " e2ee_auth_failed=" + std::to_string(stats.e2ee_auth_failed) +
         " e2ee_no_key=" + std::to_string(stats.e2ee_no_key) +
         " e2ee_malformed=" + std::to_string(stats.e2ee_malformed);
}

int exit_code_for(const client::ClientError& error) {
  switch (error.kind) {
    case client::ErrorKind::kNone:
    case client::ErrorKind::kLocalClose:
      return kExitOk;
    case client::ErrorKind::kBadArgument:
      return kExitUsage;
    case client::ErrorKind::kUnreachable:
      return kExitUnreachable;
    case client::ErrorKind::kRefused:
      return kExitRefused;
    case client::ErrorKind::kProtocol:
    case client::ErrorKind::kServerClosed:
      return kExitFailure;
  }
  return kExitFailure;
}

std::optional<std::pair<int, int>> parse_resolution(const std::string& text) {
  const auto x = text.find('x');
  if (x == std::string::npos) return std::nullopt;
  int width = 0;
  int height = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (std::from_chars(begin, begin + x, width).ptr != begin + x) return std::nullopt;
  if (std::from_chars(begin + x + 1, end, height).ptr != end) return std::nullopt;
  if (width <= 0 || height <= 0 || width > 7680 || height > 4320 || (width & 1) || (height & 1)) {
    return std::nullopt;
  }
  return std::make_pair(width, height);
}

std::optional<int> parse_video_height(const std::string& text) {
  if (text.find('x') != std::string::npos) {
    const auto size = parse_resolution(text);
    if (!size) return std::nullopt;
    return size->second;
  }
  std::string_view digits = text;
  if (!digits.empty() && (digits.back() == 'p' || digits.back() == 'P')) digits.remove_suffix(1);
  int height = 0;
  const char* end = digits.data() + digits.size();
  if (digits.empty() || std::from_chars(digits.data(), end, height).ptr != end) return std::nullopt;
  if (height <= 0 || height > 4320) return std::nullopt;
  return height;
}

std::string bad_video_height_message(const std::string& option, const std::string& text) {
  return "error: " + option + " must be " + kVideoHeightHelp + " (1 to 4320 high), not '" + text +
         "'";
}

std::string sanitise_for_filename(const std::string& name) {
  std::string out;
  for (const char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
    if (out.size() >= 32) break;
  }
  return out.empty() ? "participant" : out;
}

}  // namespace vc::tools
