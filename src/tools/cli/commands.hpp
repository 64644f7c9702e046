// videocall-cli subcommands. Each registers its options on a CLI11 subcommand and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "videocall/client.hpp"

namespace vc::tools {

// Connection options shared by stream, record and chat.
struct ConnectionOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string meeting;
  std::string name;
  std::string token;
  bool insecure = false;
  std::string ca_file;
  std::string transport = "auto";  // auto | webtransport | websocket
  double duration_s = 0;           // 0: until SIGINT/SIGTERM
  void add_to(CLI::App& app, const std::string& default_name);
  // Sets the connection fields of `config` (server, identity, TLS, transport).
  void apply_to(client::ClientConfig& config) const;
};

// Each returns a function that runs the command and returns the process exit code.
std::function<int()> add_stream_command(CLI::App& app);
std::function<int()> add_record_command(CLI::App& app);
std::function<int()> add_info_command(CLI::App& app);
std::function<int()> add_chat_command(CLI::App& app);

}  // namespace vc::tools
