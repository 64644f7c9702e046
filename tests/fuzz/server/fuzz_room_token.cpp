// Fuzzes room token verification. Without the secret no input may verify (a verified random
// input would mean the signature or algorithm check is broken), neither with the server secret nor
// with a configured API key. The first byte also selects a round-trip mode ('R': issue a token for
// fuzzer-chosen claims and check it verifies to the same claims) or a grants mode ('G': the rest
// as a "grants" claim, which may only ever narrow a role's defaults).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/limits.hpp"
#include "common/meeting_id.hpp"
#include "server/auth/grants_claim.hpp"
#include "server/auth/room_token.hpp"

namespace {

const vc::auth::RoomTokenService& service() {
  static const vc::auth::RoomTokenService tokens = [] {
    vc::auth::ApiKeyring keys;
    keys.add("fuzz", std::string(32, 'k'));
    return vc::auth::RoomTokenService(std::vector<uint8_t>(32, 0x5a), std::chrono::seconds(600),
                                      std::move(keys));
  }();
  return tokens;
}

// Narrowing only: no grant the role does not have by default.
void check_grants(std::string_view json, uint8_t role_byte) {
  const auto claim = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (claim.is_discarded()) return;
  const auto role = static_cast<::videocall::v1::ParticipantRole>(1 + role_byte % 5);
  const auto grants = vc::auth::grants_from_claim(role, &claim);
  if (!grants) return;
  const auto defaults = vc::room::role_default_grants(role);
  if ((grants->publish_camera() && !defaults.publish_camera()) ||
      (grants->publish_microphone() && !defaults.publish_microphone()) ||
      (grants->publish_screen() && !defaults.publish_screen()) ||
      (grants->subscribe() && !defaults.subscribe()) || (grants->chat() && !defaults.chat())) {
    abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const vc::auth::RoomTokenService& tokens = service();
  constexpr int64_t kNow = 1'800'000'000;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const auto result = tokens.verify(input, kNow);
  if (result.claims) abort();  // forged without the key

  if (size > 2 && data[0] == 'G') check_grants(input.substr(2), data[1]);

  if (size > 2 && data[0] == 'R') {
    const std::string_view rest = input.substr(2);
    vc::auth::RoomClaims claims;
    const auto split = rest.find('\n');
    claims.meeting_id = std::string(rest.substr(0, split));
    claims.display_name =
        split == std::string_view::npos ? "x" : std::string(rest.substr(split + 1));
    if (claims.meeting_id.empty() || claims.meeting_id.find('\0') != std::string::npos ||
        claims.display_name.find('\0') != std::string::npos) {
      return 0;  // C strings in libjwt: the API never passes NULs (validated before)
    }
    claims.participant_id = 1 + data[1];
    claims.role = data[1] & 1 ? ::videocall::v1::PARTICIPANT_ROLE_HOST
                              : ::videocall::v1::PARTICIPANT_ROLE_PARTICIPANT;
    std::string token;
    try {
      token = tokens.issue(claims, kNow);
    } catch (const std::exception&) {
      return 0;  // libjwt refuses some inputs (e.g. invalid UTF-8 for JSON)
    }
    const auto again = tokens.verify(token, kNow + 1);
    // Verification also applies the REST meeting-id rule (issue 9): only such ids round-trip.
    if (token.size() <= vc::limits::kMaxTokenBytes && vc::is_valid_meeting_id(claims.meeting_id)) {
      if (!again.claims) abort();
      if (again.claims->meeting_id != claims.meeting_id) abort();
      if (again.claims->display_name != claims.display_name) abort();
      if (again.claims->participant_id != claims.participant_id) abort();
    }
  }
  return 0;
}
