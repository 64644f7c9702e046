#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

#include "common/limits.hpp"
#include "common/utf8.hpp"

namespace vc::log {

void init(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("videocall");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

namespace {

// Code points that move or reorder text on a terminal: C1 controls, line/paragraph separators,
// bidi marks, embeddings, overrides and isolates.
bool is_invisible_control(char32_t c) {
  return (c >= 0x80 && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

}  // namespace

std::string escape(std::string_view text) {
  const bool truncated = text.size() > limits::kMaxLoggedClientStringBytes;
  if (truncated) text = text.substr(0, limits::kMaxLoggedClientStringBytes);
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      char32_t code_point = 0;
      const std::size_t length = utf8::decode(text.substr(i), code_point);
      if (length == 0) {
        // Invalid, or a valid sequence cut by the truncation above.
        out += fmt::format("\\x{:02X}", c);
        ++i;
      } else if (is_invisible_control(code_point)) {
        out += fmt::format("\\u{{{:04X}}}", static_cast<uint32_t>(code_point));
        i += length;
      } else {
        out.append(text.substr(i, length));
        i += length;
      }
      continue;
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\x{:02X}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  if (truncated) out += "…";
  return out;
}

std::string redact_url_credentials(std::string_view urls) {
  std::string out;
  out.reserve(urls.size());
  std::size_t start = 0;
  while (start <= urls.size()) {
    std::size_t end = urls.find(',', start);
    if (end == std::string_view::npos) end = urls.size();
    const std::string_view url = urls.substr(start, end - start);
    // The authority runs from after "scheme://" (or the start) to the first '/', '?' or '#'; its
    // userinfo is everything up to the LAST '@' in it (a password may contain '@').
    const std::size_t scheme = url.find("://");
    const std::size_t authority_start = scheme == std::string_view::npos ? 0 : scheme + 3;
    std::size_t authority_end = url.find_first_of("/?#", authority_start);
    if (authority_end == std::string_view::npos) authority_end = url.size();
    const std::string_view authority = url.substr(authority_start, authority_end - authority_start);
    const std::size_t at = authority.rfind('@');
    if (at == std::string_view::npos) {
      out.append(url);
    } else {
      out.append(url.substr(0, authority_start));
      out += "[redacted]";
      out.append(url.substr(authority_start + at));
    }
    if (end == urls.size()) break;
    out += ',';
    start = end + 1;
  }
  return out;
}

}  // namespace vc::log
