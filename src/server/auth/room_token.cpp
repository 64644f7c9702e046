#include "server/auth/room_token.hpp"

#include <fcntl.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/limits.hpp"
#include "common/meeting_id.hpp"

namespace vc::auth {

namespace v1 = ::videocall::v1;

namespace {

constexpr std::size_t kSecretBytes = 32;
constexpr int64_t kMaxParticipantId = (int64_t{1} << 53) - 1;

struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

// Strict unpadded base64url decoding (RFC 7515 §2).
std::optional<std::string> base64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int v = base64url_value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xffu));
    }
  }
  return out;
}

// The header must say HS256 before the token is handed to libjwt, so an "alg":"none" or
// asymmetric-algorithm token can never be accepted whatever the library version does with it.
TokenError check_structure_and_algorithm(std::string_view token) {
  const auto first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return TokenError::kMalformed;
  const auto second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return TokenError::kMalformed;
  if (token.find('.', second_dot + 1) != std::string_view::npos) return TokenError::kMalformed;
  if (second_dot + 1 == token.size()) return TokenError::kWrongAlgorithm;  // unsigned token
  auto header_json = base64url_decode(token.substr(0, first_dot));
  if (!header_json) return TokenError::kMalformed;
  const auto header = nlohmann::json::parse(*header_json, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return TokenError::kMalformed;
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    return TokenError::kWrongAlgorithm;
  }
  return TokenError::kNone;
}

std::optional<int64_t> int_grant(jwt_t* jwt, const char* name) {
  errno = 0;
  const long value = jwt_get_grant_int(jwt, name);
  if (errno != 0) return std::nullopt;
  return static_cast<int64_t>(value);
}

void check(int rc, const char* what) {
  if (rc != 0) throw std::runtime_error(std::string("token: ") + what + " failed");
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

std::optional<std::vector<uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]);
    const int lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<uint8_t>(hi << 4 | lo));
  }
  return out;
}

}  // namespace

std::string_view to_string(TokenError error) {
  switch (error) {
    case TokenError::kNone:
      return "ok";
    case TokenError::kMissing:
      return "missing token";
    case TokenError::kMalformed:
      return "malformed token";
    case TokenError::kWrongAlgorithm:
      return "token algorithm must be HS256";
    case TokenError::kBadSignature:
      return "invalid token signature";
    case TokenError::kExpired:
      return "token expired";
    case TokenError::kNotYetValid:
      return "token issued in the future";
    case TokenError::kBadClaims:
      return "token claims invalid";
  }
  return "invalid token";
}

std::string_view role_name(v1::ParticipantRole role) {
  switch (role) {
    case v1::PARTICIPANT_ROLE_HOST:
      return "host";
    case v1::PARTICIPANT_ROLE_CO_HOST:
      return "co-host";
    case v1::PARTICIPANT_ROLE_VIEWER:
      return "viewer";
    case v1::PARTICIPANT_ROLE_WAITING:
      return "waiting";
    default:
      return "participant";
  }
}

std::optional<v1::ParticipantRole> role_from_name(std::string_view name) {
  if (name == "host") return v1::PARTICIPANT_ROLE_HOST;
  if (name == "co-host") return v1::PARTICIPANT_ROLE_CO_HOST;
  if (name == "participant") return v1::PARTICIPANT_ROLE_PARTICIPANT;
  if (name == "viewer") return v1::PARTICIPANT_ROLE_VIEWER;
  if (name == "waiting") return v1::PARTICIPANT_ROLE_WAITING;
  return std::nullopt;
}

RoomTokenService::RoomTokenService(std::vector<uint8_t> secret, std::chrono::seconds lifetime)
    : secret_(std::move(secret)), lifetime_(lifetime) {
  if (secret_.size() < kSecretBytes) throw std::invalid_argument("token secret too short");
}

std::string RoomTokenService::issue(RoomClaims& claims, int64_t now_unix) const {
  claims.issued_at = now_unix;
  claims.expires_at = now_unix + lifetime_.count();
  jwt_t* raw = nullptr;
  check(jwt_new(&raw), "jwt_new");
  JwtPtr jwt(raw);
  check(jwt_add_grant(jwt.get(), "mid", claims.meeting_id.c_str()), "mid");
  check(jwt_add_grant_int(jwt.get(), "pid", static_cast<long>(claims.participant_id)), "pid");
  check(jwt_add_grant(jwt.get(), "name", claims.display_name.c_str()), "name");
  check(jwt_add_grant(jwt.get(), "role", std::string(role_name(claims.role)).c_str()), "role");
  if (!claims.subject.empty()) {
    check(jwt_add_grant(jwt.get(), "sub", claims.subject.c_str()), "sub");
  }
  check(jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(claims.issued_at)), "iat");
  check(jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(claims.expires_at)), "exp");
  check(jwt_set_alg(jwt.get(), JWT_ALG_HS256, secret_.data(), static_cast<int>(secret_.size())),
        "jwt_set_alg");
  std::unique_ptr<char, FreeDeleter> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::runtime_error("token: encoding failed");
  return std::string(encoded.get());
}

VerifyResult RoomTokenService::verify(std::string_view token, int64_t now_unix) const {
  if (token.empty()) return {std::nullopt, TokenError::kMissing};
  if (token.size() > limits::kMaxTokenBytes) return {std::nullopt, TokenError::kMalformed};
  if (const TokenError e = check_structure_and_algorithm(token); e != TokenError::kNone) {
    return {std::nullopt, e};
  }

  const std::string terminated(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, terminated.c_str(), secret_.data(), static_cast<int>(secret_.size())) != 0) {
    if (raw != nullptr) jwt_free(raw);
    return {std::nullopt, TokenError::kBadSignature};
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return {std::nullopt, TokenError::kWrongAlgorithm};

  const auto exp = int_grant(jwt.get(), "exp");
  const auto iat = int_grant(jwt.get(), "iat");
  const auto pid = int_grant(jwt.get(), "pid");
  const char* mid = jwt_get_grant(jwt.get(), "mid");
  const char* name = jwt_get_grant(jwt.get(), "name");
  const char* role_str = jwt_get_grant(jwt.get(), "role");
  if (!exp || !iat || !pid || mid == nullptr || name == nullptr || role_str == nullptr) {
    return {std::nullopt, TokenError::kBadClaims};
  }
  if (now_unix >= *exp) return {std::nullopt, TokenError::kExpired};
  if (*iat > now_unix + limits::kTokenClockSkew.count()) {
    return {std::nullopt, TokenError::kNotYetValid};
  }
  // No token outlives what this service issues: an exp further out (a leaked secret, a node with
  // another --token-lifetime) is refused rather than honoured for days.
  const int64_t longest = lifetime_.count() + limits::kTokenClockSkew.count();
  if (*iat > *exp || *exp - *iat > longest || *exp - now_unix > longest) {
    return {std::nullopt, TokenError::kBadClaims};
  }
  const auto role = role_from_name(role_str);
  // The same meeting-id rule as the REST paths, so the media paths never see another shape.
  if (*pid <= 0 || *pid > kMaxParticipantId || !role || !is_valid_meeting_id(mid)) {
    return {std::nullopt, TokenError::kBadClaims};
  }

  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (sub != nullptr && !is_valid_subject(sub)) return {std::nullopt, TokenError::kBadClaims};

  RoomClaims claims;
  if (sub != nullptr) claims.subject = sub;
  claims.meeting_id = mid;
  claims.participant_id = static_cast<uint64_t>(*pid);
  claims.display_name = name;
  claims.role = *role;
  claims.issued_at = *iat;
  claims.expires_at = *exp;
  return {std::move(claims), TokenError::kNone};
}

bool is_valid_subject(std::string_view subject) {
  if (subject.empty() || subject.size() > limits::kMaxSubjectBytes) return false;
  return std::all_of(subject.begin(), subject.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' ||
           c == '.' || c == '_' || c == '@' || c == '-';
  });
}

std::string random_identity_key() {
  std::array<uint8_t, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("CSPRNG failed while generating an identity key");
  }
  return to_hex(bytes);
}

std::string RoomTokenService::guest_subject(std::string_view identity_key) const {
  constexpr std::string_view kContext = "videocall guest subject\n";
  std::string input(kContext);
  input.append(identity_key);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data(),
           &length) == nullptr ||
      length < 16) {
    throw std::runtime_error("HMAC failed while deriving a guest subject");
  }
  return "guest:" + to_hex(std::span<const uint8_t>(digest.data(), 16));
}

std::vector<uint8_t> load_or_create_secret(const std::string& path) {
  std::ifstream existing(path);
  if (existing) {
    struct stat st {};
    // A file we own is tightened rather than refused: only we should read it. One owned by
    // someone else is a secret the orchestrator mounted (compose, Kubernetes); its mode is theirs.
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0 && st.st_uid == ::geteuid()) {
      if (::chmod(path.c_str(), 0600) != 0) {
        throw std::runtime_error("token secret file " + path + " is readable by others");
      }
    }
    std::string hex;
    existing >> hex;
    auto secret = from_hex(hex);
    if (!secret || secret->size() < kSecretBytes) {
      throw std::runtime_error("token secret file " + path + " is corrupt");
    }
    return *secret;
  }

  std::vector<uint8_t> secret(kSecretBytes);
  if (RAND_bytes(secret.data(), static_cast<int>(secret.size())) != 1) {
    throw std::runtime_error("CSPRNG failed while generating the token secret");
  }
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  const std::string text = to_hex(secret) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write token secret file " + path);
  }
  return secret;
}

uint64_t random_id53() {
  for (;;) {
    std::array<uint8_t, 8> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
      throw std::runtime_error("CSPRNG failed");
    }
    uint64_t value = 0;
    std::memcpy(&value, bytes.data(), bytes.size());
    value &= static_cast<uint64_t>(kMaxParticipantId);
    if (value != 0) return value;
  }
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace vc::auth
