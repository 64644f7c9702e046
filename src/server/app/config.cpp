#include "server/app/config.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include "common/cidr.hpp"

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

// scheme://host[:port] with no path: what browsers send as Origin.
CLI::Validator origin_syntax() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        const auto scheme_end = value.find("://");
        if (scheme_end == std::string::npos || scheme_end == 0 || value.size() == scheme_end + 3 ||
            value.find('/', scheme_end + 3) != std::string::npos) {
          return "expected an origin like https://meet.example.com, got '" + value + "'";
        }
        return {};
      },
      "ORIGIN");
}

// http(s)://host[:port] with an optional trailing slash (dropped), no path.
CLI::Validator base_url_syntax() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (!value.empty() && value.back() == '/') value.pop_back();
        const bool http = value.rfind("http://", 0) == 0;
        const bool https = value.rfind("https://", 0) == 0;
        const std::size_t host_start = http ? 7 : 8;
        if ((!http && !https) || value.size() == host_start ||
            value.find('/', host_start) != std::string::npos) {
          return "expected a base URL like https://node2.example.com:8443, got '" + value + "'";
        }
        return {};
      },
      "URL");
}

// An address block like 10.0.0.0/8, fd00::/8 or a single address.
CLI::Validator cidr_syntax() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (parse_cidr(value)) return {};
        return "expected an address or CIDR block like 10.0.0.0/8, got '" + value + "'";
      },
      "CIDR");
}

// CLI11 reads the config file before the environment and only fills options still unset, so
// on its own a file would beat VIDEOCALL_*. Dropping the file's entries whose variable is set gives
// flags > environment > file, while CLI11 still does all parsing and validation.
class EnvironmentFirstToml : public CLI::ConfigTOML {
 public:
  explicit EnvironmentFirstToml(std::map<std::string, std::string> env_by_key)
      : env_by_key_(std::move(env_by_key)) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> items = CLI::ConfigTOML::from_config(input);
    std::erase_if(items, [this](const CLI::ConfigItem& item) {
      if (!item.parents.empty()) return false;
      const auto found = env_by_key_.find(item.name);
      if (found == env_by_key_.end()) return false;
      const char* value = std::getenv(found->second.c_str());
      return value != nullptr && *value != '\0';  // CLI11 ignores empty variables too
    });
    return items;
  }

 private:
  std::map<std::string, std::string> env_by_key_;  // file key (long flag name) -> variable
};

void add_options(CLI::App& app, ServerConfig& config) {
  app.add_option("--listen", config.listen_address, "Address to listen on")
      ->envname("VIDEOCALL_LISTEN");
  app.add_option("--port", config.port,
                 "TCP port for HTTP, REST and WebSocket (0 = pick a free one)")
      ->envname("VIDEOCALL_PORT");
  app.add_option("--data-dir", config.data_dir,
                 "Directory for the SQLite database and the token signing secret")
      ->envname("VIDEOCALL_DATA_DIR");
  app.add_option("--web-root", config.web_root,
                 "Directory with the built web app (default: web/dist of the source tree, else "
                 "./web/dist)")
      ->envname("VIDEOCALL_WEB_ROOT");
  auto* cert =
      app.add_option("--cert", config.cert_file, "TLS certificate chain (PEM); enables https")
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
  app.add_option("--quic-retry-threshold", config.quic_retry_threshold,
                 "Half-open QUIC handshakes at which new clients must first prove their address "
                 "with a Retry round trip (0 = always)")
      ->envname("VIDEOCALL_QUIC_RETRY_THRESHOLD");
  app.add_option("--quic-max-half-open", config.quic_max_half_open,
                 "Most half-open QUIC handshakes at once; Initials beyond it are dropped")
      ->envname("VIDEOCALL_QUIC_MAX_HALF_OPEN")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  app.add_option("--wt-allowed-origin", config.wt_allowed_origins,
                 "Origin allowed to open WebTransport sessions (repeatable; default: any origin)")
      ->envname("VIDEOCALL_WT_ALLOWED_ORIGINS")
      ->delimiter(',')
      ->check(origin_syntax());
  app.add_option("--nats-url", config.nats_url,
                 "NATS server for multi-node rooms (empty: single node)")
      ->envname("VIDEOCALL_NATS_URL");
  app.add_option("--nats-creds", config.nats_creds_file,
                 "NATS credentials file (JWT and NKey seed) for the bus connection")
      ->envname("VIDEOCALL_NATS_CREDS")
      ->check(CLI::ExistingFile);
  app.add_flag("--nats-tls", config.nats_tls,
               "Require TLS to the NATS server (implied by a tls:// URL)")
      ->envname("VIDEOCALL_NATS_TLS");
  app.add_option("--nats-tls-ca", config.nats_tls_ca_file,
                 "CA certificates (PEM) that verify the NATS server; implies --nats-tls")
      ->envname("VIDEOCALL_NATS_TLS_CA")
      ->check(CLI::ExistingFile);
  app.add_option("--database", config.database_url,
                 "PostgreSQL URL for meeting metadata (empty: SQLite in --data-dir)")
      ->envname("VIDEOCALL_DATABASE");
  app.add_option("--token-secret-file", config.token_secret_file,
                 "Room token secret (hex); every node of a deployment must use the same one "
                 "(default: <data-dir>/token_secret, generated on first start)")
      ->envname("VIDEOCALL_TOKEN_SECRET_FILE");
  app.add_option("--api-key-file", config.api_key_file,
                 "File of 'key: secret' lines: API keys with which a site's backend mints room "
                 "tokens (HS256, iss = key)")
      ->envname("VIDEOCALL_API_KEY_FILE")
      ->check(CLI::ExistingFile);
  app.add_option(
         "--api-key", config.api_key,
         "An API key name whose secret is in the environment variable VIDEOCALL_API_SECRET (or "
         "in --api-key-file)")
      ->envname("VIDEOCALL_API_KEY");
  app.add_flag("--no-guest-join", config.no_guest_join,
               "Turn off guest join: the join API refuses, and only room tokens minted with an "
               "API key (or 'videocall-server token create') admit participants")
      ->envname("VIDEOCALL_NO_GUEST_JOIN");
  app.add_option("--peer-url", config.peer_urls,
                 "Public base URL (http[s]://host:port) of another node of this deployment; "
                 "repeatable. Clients reconnect there when this node goes away")
      ->envname("VIDEOCALL_PEER_URLS")
      ->delimiter(',')
      ->transform(base_url_syntax());
  app.add_option("--idle-timeout", config.idle_timeout_s,
                 "Seconds without any packet from a client before its WebSocket or QUIC "
                 "connection is closed (clients ping every 10 s at most)")
      ->envname("VIDEOCALL_IDLE_TIMEOUT")
      ->check(CLI::Range(12u, 3600u));
  app.add_option("--token-lifetime", config.token_lifetime_s,
                 "Room token lifetime in seconds; clients renew before expiry")
      ->envname("VIDEOCALL_TOKEN_LIFETIME")
      ->check(CLI::Range(30u, 86400u));
  app.add_option("--public-url", config.public_url,
                 "Public base URL (http[s]://host[:port]) of this node; WebTransport URLs handed "
                 "to clients use its host (default: the request's Host when it is a valid host "
                 "name or address, else --listen)")
      ->envname("VIDEOCALL_PUBLIC_URL")
      ->transform(base_url_syntax());
  app.add_option("--trusted-proxy", config.trusted_proxies,
                 "Address or CIDR of a reverse proxy whose Forwarded/X-Forwarded-For headers "
                 "name the client (repeatable; default: none, the TCP peer is the client)")
      ->envname("VIDEOCALL_TRUSTED_PROXIES")
      ->delimiter(',')
      ->check(cidr_syntax());
  app.add_option("--join-rate-exempt", config.join_rate_exempt,
                 "Address or CIDR exempt from the join/create rate limit, e.g. 127.0.0.1 for "
                 "load tests and bots (repeatable; default: none)")
      ->envname("VIDEOCALL_JOIN_RATE_EXEMPT")
      ->delimiter(',')
      ->check(cidr_syntax());
  app.add_option("--max-connections", config.max_connections,
                 "Open TCP connections in total (default 0: the open-file limit minus a reserve)")
      ->envname("VIDEOCALL_MAX_CONNECTIONS");
  app.add_option("--threads", config.threads,
                 "Threads that write media to WebSocket receivers: the relay thread plus "
                 "threads-1 egress shards (default 0: one per CPU)")
      ->envname("VIDEOCALL_THREADS")
      ->check(CLI::Range(std::size_t{0}, limits::kMaxServerThreads));
  // Hidden: lets integration tests prove that a throwing handler is contained.
  app.add_flag("--test-fault-injection", config.test_fault_injection)->group("");

  app.add_option("--max-send-queue-bytes", config.max_send_queue_bytes,
                 "Bytes all receivers' send queues may hold together; beyond it a receiver that "
                 "is behind is closed with 4429")
      ->envname("VIDEOCALL_MAX_SEND_QUEUE_BYTES")
      ->check(CLI::Range(uint64_t{limits::kMaxEnvelopeBytes}, uint64_t{1} << 40));
  app.add_option("--control-rate", config.control_rate,
                 "Control messages per second each participant may send (more are dropped; a "
                 "sustained flood is closed with 4429)")
      ->envname("VIDEOCALL_CONTROL_RATE")
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--control-burst", config.control_burst,
                 "Control messages a participant may send at once above --control-rate")
      ->envname("VIDEOCALL_CONTROL_BURST")
      ->check(CLI::Range(1.0, 1e6));
  app.add_option("--e2ee-required-meeting", config.e2ee_required_meetings,
                 "Meeting id whose participants must use end-to-end encryption (repeatable; * "
                 "for every meeting); clients without it are refused with 4450")
      ->envname("VIDEOCALL_E2EE_REQUIRED_MEETINGS")
      ->delimiter(',');
  app.add_option("--large-room-threshold", config.large_room_threshold,
                 "Rooms with more participants than this forward only the --audio-top-k loudest "
                 "audio tracks")
      ->envname("VIDEOCALL_LARGE_ROOM_THRESHOLD")
      ->check(CLI::Range(std::size_t{1}, limits::kMaxParticipantsPerRoom));
  app.add_option("--audio-top-k", config.audio_top_k,
                 "Audio tracks each receiver gets in a large room (the loudest)")
      ->envname("VIDEOCALL_AUDIO_TOP_K")
      ->check(CLI::Range(std::size_t{1}, std::size_t{32}));
}

// The file named by --config (or VIDEOCALL_CONFIG) holds any long flag as `name = value` (TOML
// subset: strings, numbers, true/false, [lists]); unknown keys are errors so typos surface.
void add_config_file(CLI::App& app) {
  std::map<std::string, std::string> env_by_key;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->get_envname().empty() && !option->get_lnames().empty()) {
      env_by_key.emplace(option->get_lnames().front(), option->get_envname());
    }
  }
  const char* env_file = std::getenv("VIDEOCALL_CONFIG");
  const bool file_from_env = env_file != nullptr && *env_file != '\0';
  app.set_config("--config", file_from_env ? env_file : "",
                 "Config file (TOML): any option as name = value, e.g. port = 8443. Precedence: "
                 "flags, then environment, then this file",
                 /*config_required=*/file_from_env)
      ->envname("VIDEOCALL_CONFIG");
  app.config_formatter(std::make_shared<EnvironmentFirstToml>(std::move(env_by_key)));
  app.allow_config_extras(false);
}

std::string help_text() {
  return "videocall-server: video meetings over WebSocket (and WebTransport) with a web app, REST "
         "API and media relay on one port.\nEvery option can also be set as an environment "
         "variable, shown as (Env:...), or in the --config file.";
}

}  // namespace

std::vector<std::string> config_file_keys() {
  ServerConfig config;
  CLI::App app{help_text()};
  add_options(app, config);
  std::vector<std::string> keys;
  for (const CLI::Option* option : app.get_options()) {
    // Hidden options (empty group, test-only) can be set too but are not advertised.
    if (option->get_configurable() && !option->get_group().empty() &&
        !option->get_lnames().empty()) {
      keys.push_back(option->get_lnames().front());
    }
  }
  return keys;
}

std::variant<ServerConfig, int> parse_config(int argc, char** argv) {
  ServerConfig config;
  CLI::App app{help_text()};
  app.option_defaults()->always_capture_default();
  add_options(app, config);
  add_config_file(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  // The half-open cap is checked first: a threshold at or above it would never send a Retry.
  if (config.quic_retry_threshold != 0 &&
      config.quic_retry_threshold >= config.quic_max_half_open) {
    return app.exit(CLI::ValidationError(
        "--quic-retry-threshold", "must be below --quic-max-half-open (or 0: Retry always)"));
  }
  if (!config.api_key.empty() && config.api_key_file.empty()) {
    const char* secret = std::getenv("VIDEOCALL_API_SECRET");
    if (secret == nullptr || *secret == '\0') {
      return app.exit(CLI::ValidationError(
          "--api-key", "needs its secret in the environment variable VIDEOCALL_API_SECRET"));
    }
  }
  if (config.web_root.empty()) config.web_root = default_web_root();
  return config;
}

}  // namespace vc::app
