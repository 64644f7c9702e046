#include "server/auth/api_keyring.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

namespace vc::auth {

bool is_valid_api_key_name(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

void make_secret_file_private(const std::string& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && st.st_uid == ::geteuid()) {
    if (::chmod(path.c_str(), 0600) != 0) {
      throw std::runtime_error(std::string(what) + " file " + path + " is readable by others");
    }
  }
}

void ApiKeyring::add(std::string key, std::string secret) {
  if (!is_valid_api_key_name(key)) {
    throw std::invalid_argument("API key names must match [A-Za-z0-9_-]{1,64}");
  }
  if (secret.size() < kMinApiSecretBytes) {
    throw std::invalid_argument("API secret of key " + key + " is shorter than 32 characters");
  }
  keys_[std::move(key)] = std::vector<uint8_t>(secret.begin(), secret.end());
}

void ApiKeyring::load_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read API key file " + path);
  make_secret_file_private(path, "API key");
  std::string line;
  int number = 0;
  auto trim = [](std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return std::string_view();
    return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
  };
  while (std::getline(in, line)) {
    ++number;
    const std::string_view text = trim(std::string_view(line).substr(0, line.find('#')));
    if (text.empty()) continue;
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
      throw std::runtime_error("API key file " + path + " line " + std::to_string(number) +
                               ": expected 'key: secret'");
    }
    try {
      add(std::string(trim(text.substr(0, colon))), std::string(trim(text.substr(colon + 1))));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error("API key file " + path + " line " + std::to_string(number) + ": " +
                               e.what());
    }
  }
}

std::optional<std::span<const uint8_t>> ApiKeyring::secret_for(std::string_view key) const {
  const auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  return std::span<const uint8_t>(it->second);
}

std::optional<std::string> ApiKeyring::first_key() const {
  if (keys_.empty()) return std::nullopt;
  return keys_.begin()->first;
}

bool ApiKeyring::authorises(std::string_view authorization) const {
  constexpr std::string_view kBasic = "Basic ";
  if (authorization.substr(0, kBasic.size()) != kBasic) return false;
  const std::string_view encoded = authorization.substr(kBasic.size());
  if (encoded.empty() || encoded.size() > 512 || encoded.size() % 4 != 0) return false;
  std::vector<unsigned char> decoded(encoded.size() / 4 * 3 + 1);
  const int n =
      EVP_DecodeBlock(decoded.data(), reinterpret_cast<const unsigned char*>(encoded.data()),
                      static_cast<int>(encoded.size()));
  if (n < 0) return false;
  std::size_t length = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts the padding's zero bytes.
  if (encoded.ends_with("=="))
    length -= 2;
  else if (encoded.ends_with("="))
    length -= 1;
  const std::string_view pair(reinterpret_cast<const char*>(decoded.data()), length);
  const auto colon = pair.find(':');
  if (colon == std::string_view::npos) return false;
  const auto secret = secret_for(pair.substr(0, colon));
  if (!secret) return false;
  const std::string_view given = pair.substr(colon + 1);
  return given.size() == secret->size() &&
         CRYPTO_memcmp(given.data(), secret->data(), given.size()) == 0;
}

}  // namespace vc::auth
