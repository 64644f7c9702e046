#include "server/auth/room_token.hpp"

#include <fcntl.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
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

#include "common/display_name.hpp"
#include "common/limits.hpp"
#include "common/meeting_id.hpp"
#include "server/auth/grants_claim.hpp"

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
// Also reads which API key signed it ("kid" in the header, else "iss" in the payload; unverified
// until the signature is checked with that key).
struct TokenShape {
  TokenError error = TokenError::kNone;
  std::string key_name;
  nlohmann::json payload;
};

TokenShape check_structure_and_algorithm(std::string_view token) {
  TokenShape shape;
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    shape.error = TokenError::kMalformed;
    return shape;
  }
  if (second_dot + 1 == token.size()) {
    shape.error = TokenError::kWrongAlgorithm;  // unsigned token
    return shape;
  }
  auto header_json = base64url_decode(token.substr(0, first_dot));
  auto payload_json = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!header_json || !payload_json) {
    shape.error = TokenError::kMalformed;
    return shape;
  }
  const auto header = nlohmann::json::parse(*header_json, nullptr, /*allow_exceptions=*/false);
  shape.payload = nlohmann::json::parse(*payload_json, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object() || !shape.payload.is_object()) {
    shape.error = TokenError::kMalformed;
    return shape;
  }
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    shape.error = TokenError::kWrongAlgorithm;
    return shape;
  }
  const auto kid = header.find("kid");
  const auto iss = shape.payload.find("iss");
  const nlohmann::json* named = kid != header.end()          ? &*kid
                                : iss != shape.payload.end() ? &*iss
                                                             : nullptr;
  if (named != nullptr) {
    if (!named->is_string() || !is_valid_api_key_name(named->get_ref<const std::string&>())) {
      shape.error = TokenError::kBadClaims;
      return shape;
    }
    shape.key_name = named->get<std::string>();
  }
  return shape;
}

// A participant id for a backend token without "pid": the same site user ("sub", per API key and
// meeting) always gets the same id, so its reconnects resume and a second tab replaces the first.
uint64_t participant_id_for_subject(std::string_view key, std::string_view meeting,
                                    std::string_view subject) {
  std::string input;
  input.append(key).push_back('\n');
  input.append(meeting).push_back('\n');
  input.append(subject);
  std::array<uint8_t, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const uint8_t*>(input.data()), input.size(), digest.data());
  uint64_t value = 0;
  std::memcpy(&value, digest.data(), sizeof value);
  value &= static_cast<uint64_t>(kMaxParticipantId);
  return value == 0 ? 1 : value;
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
    case TokenError::kUnknownKey:
      return "token signed with an unknown API key";
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

RoomTokenService::RoomTokenService(std::vector<uint8_t> secret, std::chrono::seconds lifetime,
                                   ApiKeyring api_keys)
    : secret_(std::move(secret)), lifetime_(lifetime), api_keys_(std::move(api_keys)) {
  if (secret_.size() < kSecretBytes) throw std::invalid_argument("token secret too short");
}

std::string RoomTokenService::issue(RoomClaims& claims, int64_t now_unix) const {
  claims.issued_at = now_unix;
  claims.expires_at = now_unix + lifetime_.count();
  claims.api_key.clear();  // the server's own token from now on
  return sign_room_token(claims, secret_);
}

std::chrono::seconds RoomTokenService::longest_lifetime() const {
  if (api_keys_.empty()) return lifetime_;
  return std::max<std::chrono::seconds>(lifetime_, limits::kApiTokenMaxLifetime);
}

std::string sign_room_token(const RoomClaims& claims, std::span<const uint8_t> secret) {
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
  if (!claims.api_key.empty())
    check(jwt_add_grant(jwt.get(), "iss", claims.api_key.c_str()), "iss");
  const nlohmann::json grants = {{"grants", grants_claim(claims.grants)}};
  check(jwt_add_grants_json(jwt.get(), grants.dump().c_str()), "grants");
  check(jwt_set_alg(jwt.get(), JWT_ALG_HS256, secret.data(), static_cast<int>(secret.size())),
        "jwt_set_alg");
  std::unique_ptr<char, FreeDeleter> encoded(jwt_encode_str(jwt.get()));
  if (!encoded) throw std::runtime_error("token: encoding failed");
  return std::string(encoded.get());
}

VerifyResult RoomTokenService::verify(std::string_view token, int64_t now_unix) const {
  if (token.empty()) return {std::nullopt, TokenError::kMissing};
  if (token.size() > limits::kMaxTokenBytes) return {std::nullopt, TokenError::kMalformed};
  const TokenShape shape = check_structure_and_algorithm(token);
  if (shape.error != TokenError::kNone) return {std::nullopt, shape.error};
  const bool from_api_key = !shape.key_name.empty();
  std::span<const uint8_t> key = secret_;
  if (from_api_key) {
    const auto api_secret = api_keys_.secret_for(shape.key_name);
    if (!api_secret) return {std::nullopt, TokenError::kUnknownKey};
    key = *api_secret;
  }

  const std::string terminated(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, terminated.c_str(), key.data(), static_cast<int>(key.size())) != 0) {
    if (raw != nullptr) jwt_free(raw);
    return {std::nullopt, TokenError::kBadSignature};
  }
  JwtPtr jwt(raw);
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return {std::nullopt, TokenError::kWrongAlgorithm};
  // The signature is good: the payload decoded before is what the key's holder signed.
  const nlohmann::json& payload = shape.payload;

  const auto exp = int_grant(jwt.get(), "exp");
  const auto iat = int_grant(jwt.get(), "iat");
  const char* mid = jwt_get_grant(jwt.get(), "mid");
  const char* name = jwt_get_grant(jwt.get(), "name");
  const char* role_str = jwt_get_grant(jwt.get(), "role");
  if (!exp || !iat || mid == nullptr || name == nullptr || (role_str == nullptr && !from_api_key)) {
    return {std::nullopt, TokenError::kBadClaims};
  }
  if (now_unix >= *exp) return {std::nullopt, TokenError::kExpired};
  if (*iat > now_unix + limits::kTokenClockSkew.count()) {
    return {std::nullopt, TokenError::kNotYetValid};
  }
  // No token outlives what this service issues: an exp further out (a leaked secret, a node with
  // another --token-lifetime) is refused rather than honoured for days.
  const int64_t longest =
      (from_api_key ? std::chrono::seconds(limits::kApiTokenMaxLifetime) : lifetime_).count() +
      limits::kTokenClockSkew.count();
  if (*iat > *exp || *exp - *iat > longest || *exp - now_unix > longest) {
    return {std::nullopt, TokenError::kBadClaims};
  }
  const auto role = role_str == nullptr ? std::optional(v1::PARTICIPANT_ROLE_PARTICIPANT)
                                        : role_from_name(role_str);
  // The same meeting-id rule as the REST paths, so the media paths never see another shape.
  if (!role || !is_valid_meeting_id(mid)) {
    return {std::nullopt, TokenError::kBadClaims};
  }
  RoomClaims claims;
  if (payload.contains("pid")) {
    const auto pid = int_grant(jwt.get(), "pid");
    if (!pid || *pid <= 0 || *pid > kMaxParticipantId)
      return {std::nullopt, TokenError::kBadClaims};
    claims.participant_id = static_cast<uint64_t>(*pid);
  } else {
    const auto sub = payload.find("sub");
    if (!from_api_key || sub == payload.end() || !sub->is_string() ||
        sub->get_ref<const std::string&>().empty() ||
        sub->get_ref<const std::string&>().size() > limits::kMaxTokenSubjectBytes) {
      return {std::nullopt, TokenError::kBadClaims};
    }
    claims.participant_id =
        participant_id_for_subject(shape.key_name, mid, sub->get_ref<const std::string&>());
  }
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  if (sub != nullptr && !is_valid_subject(sub)) return {std::nullopt, TokenError::kBadClaims};
  if (sub != nullptr) claims.subject = sub;
  const auto grants_claim_it = payload.find("grants");
  auto grants =
      grants_from_claim(*role, grants_claim_it == payload.end() ? nullptr : &*grants_claim_it);
  if (!grants) return {std::nullopt, TokenError::kBadClaims};
  // A backend's display name passes the join API's rule (length, no control or bidi characters).
  std::optional<std::string> display_name =
      from_api_key ? normalize_display_name(name) : std::optional<std::string>(name);
  if (!display_name) return {std::nullopt, TokenError::kBadClaims};

  claims.meeting_id = mid;
  claims.display_name = std::move(*display_name);
  claims.role = *role;
  claims.issued_at = *iat;
  claims.expires_at = *exp;
  claims.grants = std::move(*grants);
  claims.api_key = shape.key_name;
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
    make_secret_file_private(path, "token secret");
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
