// Structured logging: one line per event in logfmt (`ts=… level=… event=… key=value …`).
// Secrets (tokens, keys) must never be passed to these functions.
//
// Anything a client or peer controls (names, Hello.client, user agents, paths, meeting ids, header
// values, close reasons, peer error text) goes through escaped(), inside quotes: key="{}". Then it
// can neither start a new log line nor fake a field. URLs that may carry credentials go through
// redact_url_credentials().
#pragma once

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace vc::log {

// Configures the default logger. `level` is one of trace, debug, info, warn, error.
void init(std::string_view level);

// `text` made safe for a quoted logfmt value: backslash and quote are escaped, control characters
// become \n, \r, \t or \xHH, invalid UTF-8 bytes \xHH, and the Unicode line separators and bidi
// controls \u{XXXX}. At most limits::kMaxLoggedClientStringBytes of input are kept (then "…").
std::string escape(std::string_view text);

// A string to be escaped when formatted (no copy until then).
struct Escaped {
  std::string_view text;
};
inline Escaped escaped(std::string_view text) {
  return Escaped{text};
}

// `urls` (one URL, or several separated by commas) with every user:password@ or token@ part
// replaced by "[redacted]@".
std::string redact_url_credentials(std::string_view urls);

}  // namespace vc::log

template <>
struct fmt::formatter<vc::log::Escaped> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const vc::log::Escaped& value, FormatContext& ctx) const -> decltype(ctx.out()) {
    return fmt::formatter<std::string_view>::format(vc::log::escape(value.text), ctx);
  }
};

#define VC_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define VC_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define VC_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define VC_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
