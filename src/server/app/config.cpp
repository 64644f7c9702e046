#include "server/app/config.hpp"

#include <CLI/CLI.hpp>
#include <filesystem>

namespace vc::app {

namespace {

std::string default_web_root() {
#ifdef VC_SOURCE_DIR
  const std::filesystem::path in_tree = std::filesystem::path(VC_SOURCE_DIR) / "web" / "dist";
  std::error_code ec;
  if (std::filesystem::is_directory(in_tree, ec)) return in_tree.string();
#endif
  return "web/dist";
}

}  // namespace

std::variant<ServerConfig, int> parse_config(int argc, char** argv) {
  ServerConfig config;
  CLI::App app{
      "videocall-server: video meetings over WebSocket (and WebTransport) with a web app, REST API "
      "and media relay on one port.\nEvery option can also be set as an environment variable, "
      "shown as (Env:...)."};
  app.option_defaults()->always_capture_default();

  app.add_option("--listen", config.listen_address, "Address to listen on")
      ->envname("VIDEOCALL_LISTEN");
  app.add_option("--port", config.port, "TCP port for HTTP, REST and WebSocket (0 = pick a free one)")
      ->envname("VIDEOCALL_PORT");
  app.add_option("--data-dir", config.data_dir,
                 "Directory for the SQLite database and the token signing secret")
      ->envname("VIDEOCALL_DATA_DIR");
  app.add_option("--web-root", config.web_root,
                 "Directory with the built web app (default: web/dist of the source tree, else "
                 "./web/dist)")
      ->envname("VIDEOCALL_WEB_ROOT");
  auto* cert = app.add_option("--cert", config.cert_file, "TLS certificate chain (PEM); enables https")
                   ->envname("VIDEOCALL_CERT")
                   ->check(CLI::ExistingFile);
  auto* key = app.add_option("--key", config.key_file, "TLS private key (PEM)")
                  ->envname("VIDEOCALL_KEY")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  app.add_option("--log-level", config.log_level, "Log level")
      ->envname("VIDEOCALL_LOG_LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_flag("--no-quic", config.no_quic, "Disable the WebTransport (QUIC) endpoint")
      ->envname("VIDEOCALL_NO_QUIC");
  app.add_option("--quic-port", config.quic_port,
                 "UDP port for WebTransport (default: same number as --port)")
      ->envname("VIDEOCALL_QUIC_PORT");
  app.add_option("--nats-url", config.nats_url, "NATS server for multi-node rooms (empty: single node)")
      ->envname("VIDEOCALL_NATS_URL");
  app.add_option("--database", config.database_url,
                 "PostgreSQL URL for meeting metadata (empty: SQLite in --data-dir)")
      ->envname("VIDEOCALL_DATABASE");
  app.add_option("--token-secret-file", config.token_secret_file,
                 "Room token secret (hex); every node of a deployment must use the same one "
                 "(default: <data-dir>/token_secret, generated on first start)")
      ->envname("VIDEOCALL_TOKEN_SECRET_FILE");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  if (config.web_root.empty()) config.web_root = default_web_root();
  return config;
}

}  // namespace vc::app
