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
  // End-to-end encryption (docs/PROTOCOL.md §15): a passphrase (option, VIDEOCALL_E2EE_PASSPHRASE,
  // or the first line of a file, so it need not show in ps), or X25519 key agreement.
  std::string e2ee_passphrase;
  std::string e2ee_passphrase_file;
  bool e2ee = false;
  void add_to(CLI::App& app, const std::string& default_name);
  // Sets the connection fields of `config` (server, identity, TLS, transport).
  // False (message printed) when the passphrase file cannot be read.
  bool apply_to(client::ClientConfig& config) const;
};

// Each returns a function that runs the command and returns the process exit code.
std::function<int()> add_stream_command(CLI::App& app);
std::function<int()> add_record_command(CLI::App& app);
std::function<int()> add_info_command(CLI::App& app);
std::function<int()> add_chat_command(CLI::App& app);

}  // namespace vc::tools
