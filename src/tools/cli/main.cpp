// videocall-cli: stream, record, chat and info. Exit codes: docs/CLIENT.md
// (tools/common/tool_support.hpp).
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "common/log.hpp"
#include "tool_support.hpp"

namespace vc::tools {

void ConnectionOptions::add_to(CLI::App& app, const std::string& default_name) {
  name = default_name;
  app.add_option("--server", server, "Server URL (http://, https://)")
      ->capture_default_str()
      ->envname("VIDEOCALL_SERVER");
  app.add_option("--meeting", meeting, "Meeting id to join ([A-Za-z0-9_-]{1,64})");
  app.add_option("--name", name, "Display name")->capture_default_str();
  app.add_option("--token", token, "Existing room token instead of --meeting/--name")
      ->envname("VIDEOCALL_TOKEN");
  app.add_flag("--insecure", insecure, "Do not verify the server's TLS certificate");
  app.add_option("--ca-file", ca_file, "CA certificate file for TLS verification")
      ->check(CLI::ExistingFile);
  app.add_option("--transport", transport,
                 "Media transport: auto (WebTransport when the server offers it, else WebSocket, "
                 "falling back after 1.5 s), webtransport (only) or websocket (only)")
      ->check(CLI::IsMember({"auto", "webtransport", "websocket"}))
      ->capture_default_str();
  app.add_option("--duration", duration_s, "Stop after this many seconds (default: until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  auto* passphrase =
      app.add_option("--e2ee-passphrase", e2ee_passphrase,
                     "End-to-end encrypt with this passphrase (everyone in the meeting uses the "
                     "same; the browser takes it from #e2ee=... in the meeting link)")
          ->envname("VIDEOCALL_E2EE_PASSPHRASE");
  auto* passphrase_file = app.add_option("--e2ee-passphrase-file", e2ee_passphrase_file,
                                         "Read the E2EE passphrase from the first line of a file")
                              ->check(CLI::ExistingFile)
                              ->excludes(passphrase);
  app.add_flag("--e2ee", e2ee,
               "End-to-end encrypt with per-participant keys (X25519 key agreement); prints the "
               "meeting safety code to compare with the others")
      ->excludes(passphrase)
      ->excludes(passphrase_file);
}

bool ConnectionOptions::apply_to(client::ClientConfig& config) const {
  config.server_url = server;
  config.meeting_id = meeting;
  config.display_name = name;
  config.token = token;
  config.tls_verify = !insecure;
  config.tls_ca_file = ca_file;
  config.transport =
      client::parse_transport_preference(transport).value_or(client::TransportPreference::kAuto);
  config.e2ee.key_agreement = e2ee;
  config.e2ee.passphrase = e2ee_passphrase;
  if (!e2ee_passphrase_file.empty()) {
    std::ifstream in(e2ee_passphrase_file);
    if (!in || !std::getline(in, config.e2ee.passphrase) || config.e2ee.passphrase.empty()) {
      std::cerr << "error: cannot read an E2EE passphrase from " << e2ee_passphrase_file << "\n";
      return false;
    }
  }
  return true;
}

}  // namespace vc::tools

int main(int argc, char** argv) {
  CLI::App app{
      "videocall-cli: stream to, record from, chat in, and inspect devices for videocall-cpp "
      "meetings"};
  app.require_subcommand(1);
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  auto stream = vc::tools::add_stream_command(app);
  auto record = vc::tools::add_record_command(app);
  auto info = vc::tools::add_info_command(app);
  auto chat = vc::tools::add_chat_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? vc::tools::kExitOk : vc::tools::kExitUsage;
  }
  vc::log::init(log_level);
  if (app.got_subcommand("stream")) return stream();
  if (app.got_subcommand("record")) return record();
  if (app.got_subcommand("info")) return info();
  if (app.got_subcommand("chat")) return chat();
  return vc::tools::kExitUsage;
}
