#include "server/app/token_command.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "common/display_name.hpp"
#include "common/limits.hpp"
#include "common/meeting_id.hpp"
#include "server/auth/grants_claim.hpp"
#include "server/auth/room_token.hpp"

namespace vc::app {

namespace {

constexpr int kUsageError = 2;

struct CreateOptions {
  std::string meeting;
  std::string name;
  std::string role = "participant";
  std::string grants;  // empty: the role's defaults
  uint32_t ttl_s = 0;  // 0: --token-lifetime for the server secret, 1 h for an API key
  std::string url;
  std::string data_dir = "data";
  std::string token_secret_file;
  uint32_t token_lifetime_s = 600;
  std::string api_key_file;
  std::string api_key;
};

int usage(const std::string& message) {
  std::fprintf(stderr, "videocall-server token create: %s\n", message.c_str());
  return kUsageError;
}

int create(const CreateOptions& o) {
  auth::RoomClaims claims;
  if (!is_valid_meeting_id(o.meeting)) return usage("--meeting must match [A-Za-z0-9_-]{1,64}");
  claims.meeting_id = o.meeting;
  auto name = normalize_display_name(o.name);
  if (!name) {
    return usage("--name must be 1-64 bytes of UTF-8 without control or invisible characters");
  }
  claims.display_name = std::move(*name);
  const auto role = auth::role_from_name(o.role);
  if (!role) return usage("--role must be host, co-host, participant or viewer");
  claims.role = *role;
  std::optional<v1::Grants> grants = room::role_default_grants(*role);
  if (!o.grants.empty()) {
    const auto claim = auth::grants_claim_from_names(o.grants);
    if (!claim) {
      return usage(
          "--grants is a comma-separated list of camera, microphone, screen, subscribe, chat "
          "(or none)");
    }
    grants = auth::grants_from_claim(*role, &*claim);
  }
  claims.grants = *grants;

  auth::ApiKeyring keys;
  try {
    keys = load_api_keys(o.api_key_file, o.api_key);
  } catch (const std::exception& e) {
    return usage(e.what());
  }
  std::vector<uint8_t> secret;
  int64_t longest_s = 0;
  if (!keys.empty()) {
    claims.api_key = o.api_key.empty() ? *keys.first_key() : o.api_key;
    const auto key_secret = keys.secret_for(claims.api_key);
    if (!key_secret) return usage("--api-key " + claims.api_key + " is not in --api-key-file");
    secret.assign(key_secret->begin(), key_secret->end());
    longest_s = std::chrono::seconds(limits::kApiTokenMaxLifetime).count();
  } else {
    const std::string path = o.token_secret_file.empty()
                                 ? (std::filesystem::path(o.data_dir) / "token_secret").string()
                                 : o.token_secret_file;
    if (!std::filesystem::exists(path)) {
      return usage("no API key is configured and there is no token secret at " + path +
                   " (start the server once, or pass --token-secret-file or --api-key-file)");
    }
    try {
      secret = auth::load_or_create_secret(path);
    } catch (const std::exception& e) {
      return usage(e.what());
    }
    longest_s = o.token_lifetime_s;
  }
  const int64_t ttl = o.ttl_s != 0 ? o.ttl_s : std::min<int64_t>(longest_s, 3600);
  if (ttl > longest_s) {
    return usage("--ttl may be at most " + std::to_string(longest_s) + " seconds with this key");
  }
  claims.participant_id = auth::random_id53();
  claims.issued_at = auth::unix_now();
  claims.expires_at = claims.issued_at + ttl;
  const std::string token = auth::sign_room_token(claims, secret);
  if (o.url.empty()) {
    std::printf("%s\n", token.c_str());
  } else {
    std::string base = o.url;
    if (!base.empty() && base.back() == '/') base.pop_back();
    // In the fragment: browsers never send it, so it stays out of every server and proxy log.
    std::printf("%s/meeting/%s#token=%s\n", base.c_str(), claims.meeting_id.c_str(), token.c_str());
  }
  return 0;
}

}  // namespace

auth::ApiKeyring load_api_keys(const std::string& key_file, const std::string& key_name) {
  auth::ApiKeyring keys;
  if (!key_file.empty()) keys.load_file(key_file);
  if (!key_name.empty()) {
    const char* secret = std::getenv("VIDEOCALL_API_SECRET");
    if (secret == nullptr || *secret == '\0') {
      if (keys.secret_for(key_name)) return keys;  // named key from the file
      throw std::runtime_error("--api-key needs its secret in VIDEOCALL_API_SECRET");
    }
    try {
      keys.add(key_name, secret);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(e.what());
    }
  }
  return keys;
}

int run_token_command(int argc, char** argv) {
  CLI::App app{"videocall-server token: room tokens for operators (docs/PROTOCOL.md §13)"};
  app.require_subcommand(1);
  CreateOptions o;
  CLI::App* cmd = app.add_subcommand("create", "Print a room token that admits one participant");
  cmd->add_option("--meeting", o.meeting, "Meeting id")->required();
  cmd->add_option("--name", o.name, "Display name")->required();
  cmd->add_option("--role", o.role, "host, co-host, participant or viewer")->capture_default_str();
  cmd->add_option("--grants", o.grants,
                  "Narrow the role's grants to these: camera,microphone,screen,subscribe,chat "
                  "(or none)");
  cmd->add_option("--ttl", o.ttl_s, "Lifetime in seconds (default: 1 h, at most the key allows)");
  cmd->add_option("--url", o.url,
                  "Print the meeting link with the token, e.g. https://meet.example.com");
  cmd->add_option("--data-dir", o.data_dir, "Server data directory (for its token secret)")
      ->envname("VIDEOCALL_DATA_DIR")
      ->capture_default_str();
  cmd->add_option("--token-secret-file", o.token_secret_file, "Server token secret file")
      ->envname("VIDEOCALL_TOKEN_SECRET_FILE");
  cmd->add_option("--token-lifetime", o.token_lifetime_s,
                  "The server's --token-lifetime (tokens signed with its secret live at most this)")
      ->envname("VIDEOCALL_TOKEN_LIFETIME")
      ->capture_default_str();
  cmd->add_option("--api-key-file", o.api_key_file, "API key file ('key: secret' lines)")
      ->envname("VIDEOCALL_API_KEY_FILE");
  cmd->add_option("--api-key", o.api_key,
                  "API key to sign with (its secret from the file or VIDEOCALL_API_SECRET)")
      ->envname("VIDEOCALL_API_KEY");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return kUsageError;
  }
  try {
    return create(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "videocall-server token create: %s\n", e.what());
    return 1;
  }
}

}  // namespace vc::app
