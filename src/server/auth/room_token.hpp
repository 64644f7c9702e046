// Room tokens: short-lived HS256 JWTs that say who may join which meeting, as what.
// Issued by the join API, verified by every media endpoint before anything else.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/videocall.pb.h"
#include "server/auth/api_keyring.hpp"
#include "server/room/permissions.hpp"

namespace vc::auth {

struct RoomClaims {
  std::string meeting_id;
  uint64_t participant_id = 0;
  std::string display_name;
  ::videocall::v1::ParticipantRole role = ::videocall::v1::PARTICIPANT_ROLE_PARTICIPANT;
  // JWT "sub": who this is across tokens (a backend's user id, or "guest:..." derived from the
  // browser's identity key). Decides host after a restart and outlives a bar. May be empty.
  std::string subject;
  int64_t issued_at = 0;   // unix seconds
  int64_t expires_at = 0;  // unix seconds
  // What the participant may do (docs/PROTOCOL.md §13): the role's defaults narrowed by the
  // token's "grants" claim. Issued tokens carry them explicitly, so a refresh keeps them.
  ::videocall::v1::Grants grants =
      room::role_default_grants(::videocall::v1::PARTICIPANT_ROLE_PARTICIPANT);
  // The API key that signed the token (a site's backend); empty for the server's own tokens.
  std::string api_key;
};

enum class TokenError : uint8_t {
  kNone = 0,
  kMissing,         // empty token
  kMalformed,       // not three base64url parts, bad JSON, too long
  kWrongAlgorithm,  // anything but HS256 (including "none")
  kBadSignature,
  kExpired,
  kNotYetValid,  // iat too far in the future
  kBadClaims,    // a claim is missing or out of range
  kUnknownKey,   // "iss"/"kid" names an API key this server does not have
};

std::string_view to_string(TokenError error);

struct VerifyResult {
  std::optional<RoomClaims> claims;
  TokenError error = TokenError::kNone;
};

// Immutable after construction, so it may be used from any thread.
class RoomTokenService {
 public:
  explicit RoomTokenService(std::vector<uint8_t> secret,
                            std::chrono::seconds lifetime = std::chrono::seconds(600),
                            ApiKeyring api_keys = {});

  // Signs `claims`, filling issued_at = now and expires_at = now + lifetime. Throws on failure
  // (control plane only).
  std::string issue(RoomClaims& claims, int64_t now_unix) const;

  // Checks structure, algorithm (HS256 only), signature, expiry and claim ranges: exp at most
  // lifetime + limits::kTokenClockSkew after iat and after now; a meeting id as the REST API
  // accepts it. A token whose "iss" (or header "kid") names an API key is checked with that key's
  // secret instead, may live up to limits::kApiTokenMaxLifetime, and may leave out "role"
  // (participant) and "pid" (then derived from "sub", the site's stable user id).
  VerifyResult verify(std::string_view token, int64_t now_unix) const;

  std::chrono::seconds lifetime() const { return lifetime_; }
  // The longest any accepted token lives (participants that left are remembered this long).
  std::chrono::seconds longest_lifetime() const;
  const ApiKeyring& api_keys() const { return api_keys_; }

  // The subject of a guest who proves the same identity key again: "guest:" and a keyed hash,
  // so the key itself (a bearer secret the browser keeps) is never stored or shown.
  std::string guest_subject(std::string_view identity_key) const;

 private:
  std::vector<uint8_t> secret_;
  std::chrono::seconds lifetime_;
  ApiKeyring api_keys_;
};

// Signs `claims` as they are (iat and exp included) with `secret`. A non-empty claims.api_key goes
// into "iss". Throws std::runtime_error on failure (control plane only).
std::string sign_room_token(const RoomClaims& claims, std::span<const uint8_t> secret);

// Reads the token signing secret from `path`, creating it (32 bytes from the OS CSPRNG, mode 0600)
// if it does not exist. Throws std::runtime_error with a message that never contains the secret.
std::vector<uint8_t> load_or_create_secret(const std::string& path);

// True for a subject the server accepts in a token: 1..128 bytes of [A-Za-z0-9:._@-].
bool is_valid_subject(std::string_view subject);
// A fresh identity key for a guest that brought none: 32 hex characters from the CSPRNG.
std::string random_identity_key();

// A random id in [1, 2^53) from the CSPRNG: fits a JavaScript number exactly.
uint64_t random_id53();

// Current wall-clock time in unix seconds.
int64_t unix_now();

std::string_view role_name(::videocall::v1::ParticipantRole role);
std::optional<::videocall::v1::ParticipantRole> role_from_name(std::string_view name);

}  // namespace vc::auth
