// Structured logging: one line per event in logfmt (`ts=… level=… event=… key=value …`).
// Secrets (tokens, keys) must never be passed to these functions.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace vc::log {

// Configures the default logger. `level` is one of trace, debug, info, warn, error.
void init(std::string_view level);

}  // namespace vc::log

#define VC_LOG_DEBUG(...) SPDLOG_DEBUG(__VA_ARGS__)
#define VC_LOG_INFO(...) SPDLOG_INFO(__VA_ARGS__)
#define VC_LOG_WARN(...) SPDLOG_WARN(__VA_ARGS__)
#define VC_LOG_ERROR(...) SPDLOG_ERROR(__VA_ARGS__)
