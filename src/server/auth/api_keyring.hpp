// API keys of a deployment (like LiveKit's): a site's backend holds a key name and its secret and
// mints room tokens with them (HS256, "iss" or the "kid" header naming the key), see
// docs/PROTOCOL.md §13. The server also uses the keyring to authorise server-to-server REST calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vc::auth {

// Immutable after loading, so it may be used from any thread.
class ApiKeyring {
 public:
  // Adds a key. The name must match [A-Za-z0-9_-]{1,64} and the secret be at least
  // kMinApiSecretBytes long; throws std::invalid_argument (never naming the secret) otherwise.
  void add(std::string key, std::string secret);

  // Reads `key: secret` lines ('#' starts a comment). The file is tightened to mode 0600 when we
  // own it and is readable by others, like the token secret. Throws std::runtime_error with a
  // message that names the file and line but never a secret.
  void load_file(const std::string& path);

  // The secret (bytes of the UTF-8 string, used as the HMAC key) of `key`, if known.
  std::optional<std::span<const uint8_t>> secret_for(std::string_view key) const;
  bool empty() const { return keys_.empty(); }
  // The first key by name, for `videocall-server token create`.
  std::optional<std::string> first_key() const;

  // True when `authorization` is "Basic base64(key:secret)" for a known key (constant-time
  // comparison of the secret). For REST calls from a site's backend.
  bool authorises(std::string_view authorization) const;

 private:
  std::map<std::string, std::vector<uint8_t>, std::less<>> keys_;
};

inline constexpr std::size_t kMinApiSecretBytes = 32;

bool is_valid_api_key_name(std::string_view key);

// Makes a secret file private: a file we own that others may read is chmod-ed to 0600 (one owned
// by someone else was mounted by an orchestrator; its mode is theirs). Throws if that fails.
void make_secret_file_private(const std::string& path, std::string_view what);

}  // namespace vc::auth
