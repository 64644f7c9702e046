// Server configuration: command-line flags, each also settable as VIDEOCALL_<FLAG> in the
// environment and as `flag-name = value` in a --config file (flags win over the environment, the
// environment over the file). Defaults work out of the box: http://localhost:8080.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "server/core/server_config.hpp"

namespace vc::app {

using core::ServerConfig;

// Parses argv and the environment. Returns the config, or an exit code when the process should
// stop (0 after --help, non-zero after a usage error; the message is already printed).
std::variant<ServerConfig, int> parse_config(int argc, char** argv);

// Every documented key a --config file may set (the long flag names without dashes).
std::vector<std::string> config_file_keys();

}  // namespace vc::app
