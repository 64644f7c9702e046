// The "grants" claim of a room token (docs/PROTOCOL.md §13):
//   "grants": {"publish": ["camera", "microphone", "screen"], "subscribe": true, "chat": true}
// Every key is optional. The claim only narrows what the token's role may do by default (a
// viewer's "publish" cannot add a camera); a key it does not know, a wrong type or an unknown
// source makes the whole token invalid, so a typo can never leave a grant wider than meant.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "proto/videocall.pb.h"

namespace vc::auth {

// `claim` null: the role's defaults. nullopt: the claim is malformed.
std::optional<::videocall::v1::Grants> grants_from_claim(::videocall::v1::ParticipantRole role,
                                                         const nlohmann::json* claim);

// The explicit claim for `grants` (what the server writes into the tokens it issues).
nlohmann::json grants_claim(const ::videocall::v1::Grants& grants);

// A comma-separated list of grant names (camera, microphone, screen, subscribe, chat) as a claim
// that allows exactly those; nullopt on an unknown or repeated name. For `token create --grants`.
std::optional<nlohmann::json> grants_claim_from_names(std::string_view names);

}  // namespace vc::auth
