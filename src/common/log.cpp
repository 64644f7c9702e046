#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace vc::log {

void init(std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("videocall");
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::from_str(std::string(level)));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace vc::log
