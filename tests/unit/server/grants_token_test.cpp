// Grants in room tokens and tokens minted by a site's backend with an API key (docs/PROTOCOL.md
// §13): role defaults, narrowing by the "grants" claim, malformed claims, key selection by "iss" or
// "kid", participant ids from "sub", lifetimes, and the keyring file.
#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "server/auth/api_keyring.hpp"
#include "server/auth/grants_claim.hpp"
#include "server/auth/room_token.hpp"

namespace vc::auth {
namespace {

namespace v1 = ::videocall::v1;

constexpr int64_t kNow = 1'800'000'000;
const std::string kApiSecret = "a-backend-secret-of-at-least-32-characters";

std::string b64url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

// What a site's backend does (see docs/BACKEND_TOKENS.md): HS256 over header.payload with the
// API secret's bytes.
std::string mint(const nlohmann::json& payload, const std::string& secret = kApiSecret,
                 nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}}) {
  const std::string signing_input = b64url(header.dump()) + "." + b64url(payload.dump());
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &length);
  return signing_input + "." + b64url(std::string_view(reinterpret_cast<char*>(mac), length));
}

nlohmann::json backend_claims() {
  return {{"iss", "site1"},  {"sub", "user-42"}, {"mid", "standup"},
          {"name", "Grace"}, {"iat", kNow},      {"exp", kNow + 3600}};
}

RoomTokenService service() {
  ApiKeyring keys;
  keys.add("site1", kApiSecret);
  return RoomTokenService(std::vector<uint8_t>(32, 9), std::chrono::seconds(600), std::move(keys));
}

TEST(Grants, RoleDefaults) {
  const auto host = grants_from_claim(v1::PARTICIPANT_ROLE_HOST, nullptr);
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->publish_camera() && host->publish_microphone() && host->publish_screen() &&
              host->subscribe() && host->chat());
  for (auto role : {v1::PARTICIPANT_ROLE_CO_HOST, v1::PARTICIPANT_ROLE_PARTICIPANT}) {
    EXPECT_EQ(grants_from_claim(role, nullptr)->SerializeAsString(), host->SerializeAsString());
  }
  const auto viewer = grants_from_claim(v1::PARTICIPANT_ROLE_VIEWER, nullptr);
  EXPECT_FALSE(viewer->publish_camera() || viewer->publish_microphone() ||
               viewer->publish_screen());
  EXPECT_TRUE(viewer->subscribe() && viewer->chat());
}

TEST(Grants, ClaimOnlyNarrows) {
  const nlohmann::json audio_only = {{"publish", {"microphone"}}, {"chat", false}};
  const auto g = grants_from_claim(v1::PARTICIPANT_ROLE_PARTICIPANT, &audio_only);
  ASSERT_TRUE(g);
  EXPECT_TRUE(g->publish_microphone());
  EXPECT_FALSE(g->publish_camera() || g->publish_screen() || g->chat());
  EXPECT_TRUE(g->subscribe()) << "a key the claim leaves out keeps the role's default";
  const nlohmann::json wider = {{"publish", {"camera", "screen"}}, {"subscribe", true}};
  const auto viewer = grants_from_claim(v1::PARTICIPANT_ROLE_VIEWER, &wider);
  ASSERT_TRUE(viewer);
  EXPECT_FALSE(viewer->publish_camera() || viewer->publish_screen())
      << "a viewer's token cannot add publishing";
  const nlohmann::json nothing = nlohmann::json::object();
  EXPECT_TRUE(grants_from_claim(v1::PARTICIPANT_ROLE_HOST, &nothing)->publish_screen());
}

TEST(Grants, MalformedClaimsAreRefused) {
  for (const char* bad :
       {R"([])", R"("all")", R"({"publish": "camera"})", R"({"publish": ["webcam"]})",
        R"({"publish": ["camera", "camera"]})", R"({"publish": [1]})", R"({"subscribe": 1})",
        R"({"chat": "no"})", R"({"pubish": ["camera"]})", R"({"admin": true})"}) {
    const auto claim = nlohmann::json::parse(bad);
    EXPECT_FALSE(grants_from_claim(v1::PARTICIPANT_ROLE_PARTICIPANT, &claim)) << bad;
  }
}

TEST(Grants, NamesForTheCommandLine) {
  const auto claim = grants_claim_from_names("microphone,subscribe");
  ASSERT_TRUE(claim);
  const auto g = grants_from_claim(v1::PARTICIPANT_ROLE_HOST, &*claim);
  EXPECT_TRUE(g->publish_microphone() && g->subscribe());
  EXPECT_FALSE(g->publish_camera() || g->publish_screen() || g->chat());
  const auto none = grants_claim_from_names("none");
  ASSERT_TRUE(none);
  EXPECT_FALSE(grants_from_claim(v1::PARTICIPANT_ROLE_HOST, &*none)->subscribe());
  for (const char* bad : {"", "camera,,chat", "camera,camera", "video", "chat,"}) {
    EXPECT_FALSE(grants_claim_from_names(bad)) << bad;
  }
}

TEST(Grants, ServerTokensCarryGrantsThroughARefresh) {
  const RoomTokenService tokens = service();
  RoomClaims claims;
  claims.meeting_id = "demo";
  claims.participant_id = 7;
  claims.display_name = "Ann";
  claims.role = v1::PARTICIPANT_ROLE_PARTICIPANT;
  claims.grants.set_publish_screen(false);
  claims.grants.set_chat(false);
  const auto first = tokens.verify(tokens.issue(claims, kNow), kNow);
  ASSERT_TRUE(first.claims);
  RoomClaims again = *first.claims;
  const auto refreshed = tokens.verify(tokens.issue(again, kNow + 500), kNow + 500);
  ASSERT_TRUE(refreshed.claims);
  EXPECT_FALSE(refreshed.claims->grants.publish_screen());
  EXPECT_FALSE(refreshed.claims->grants.chat());
  EXPECT_TRUE(refreshed.claims->grants.publish_camera());
  EXPECT_TRUE(refreshed.claims->api_key.empty());
}

TEST(BackendToken, MintedWithTheApiKeyIsAccepted) {
  const RoomTokenService tokens = service();
  nlohmann::json payload = backend_claims();
  payload["role"] = "viewer";
  const auto result = tokens.verify(mint(payload), kNow + 1);
  ASSERT_TRUE(result.claims) << to_string(result.error);
  EXPECT_EQ(result.claims->meeting_id, "standup");
  EXPECT_EQ(result.claims->display_name, "Grace");
  EXPECT_EQ(result.claims->role, v1::PARTICIPANT_ROLE_VIEWER);
  EXPECT_EQ(result.claims->api_key, "site1");
  EXPECT_FALSE(result.claims->grants.publish_camera());
  // The same site user always gets the same participant id (reconnects resume); another does not.
  const auto same = tokens.verify(mint(payload), kNow + 2);
  EXPECT_EQ(same.claims->participant_id, result.claims->participant_id);
  payload["sub"] = "user-43";
  EXPECT_NE(tokens.verify(mint(payload), kNow + 2).claims->participant_id,
            result.claims->participant_id);
  EXPECT_LT(result.claims->participant_id, uint64_t{1} << 53);
}

TEST(BackendToken, KeyNamedInTheHeaderAndDefaults) {
  const RoomTokenService tokens = service();
  nlohmann::json payload = backend_claims();
  payload.erase("iss");
  payload["pid"] = 12345;
  const auto result =
      tokens.verify(mint(payload, kApiSecret, {{"alg", "HS256"}, {"kid", "site1"}}), kNow);
  ASSERT_TRUE(result.claims) << to_string(result.error);
  EXPECT_EQ(result.claims->participant_id, 12345u);
  EXPECT_EQ(result.claims->role, v1::PARTICIPANT_ROLE_PARTICIPANT) << "no role: participant";
}

TEST(BackendToken, RefusedWhenKeyClaimsOrLifetimeAreWrong) {
  const RoomTokenService tokens = service();
  nlohmann::json p = backend_claims();
  EXPECT_EQ(tokens.verify(mint(p, std::string(40, 'x')), kNow).error, TokenError::kBadSignature);
  p["iss"] = "other-site";
  EXPECT_EQ(tokens.verify(mint(p), kNow).error, TokenError::kUnknownKey);
  p["iss"] = "bad key!";
  EXPECT_EQ(tokens.verify(mint(p), kNow).error, TokenError::kBadClaims);
  p = backend_claims();
  p.erase("sub");
  EXPECT_EQ(tokens.verify(mint(p), kNow).error, TokenError::kBadClaims) << "neither pid nor sub";
  p = backend_claims();
  p["exp"] = kNow + 25 * 3600;
  EXPECT_EQ(tokens.verify(mint(p), kNow).error, TokenError::kBadClaims) << "over 24 h";
  p = backend_claims();
  p["grants"] = {{"publish", {"hologram"}}};
  EXPECT_EQ(tokens.verify(mint(p), kNow).error, TokenError::kBadClaims);
  p = backend_claims();
  p["name"] = "Eve\u202e";
  EXPECT_EQ(tokens.verify(mint(p), kNow).error, TokenError::kBadClaims) << "bidi override";
  p = backend_claims();
  p["role"] = "owner";
  EXPECT_EQ(tokens.verify(mint(p), kNow).error, TokenError::kBadClaims);
  // The server secret's own rule still holds without "iss": its lifetime, and a pid.
  p = backend_claims();
  p.erase("iss");
  p["pid"] = 5;
  p["role"] = "host";
  EXPECT_EQ(tokens.verify(mint(p, std::string(32, '\x09')), kNow).error, TokenError::kBadClaims)
      << "an hour is beyond --token-lifetime";
  // A server without API keys refuses every backend token.
  const RoomTokenService no_keys(std::vector<uint8_t>(32, 9));
  EXPECT_EQ(no_keys.verify(mint(backend_claims()), kNow).error, TokenError::kUnknownKey);
}

TEST(ApiKeyring, LoadsKeyFileAndTightensItsMode) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("vc-api-keys-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "api_keys").string();
  std::ofstream(path) << "# site keys\nsite1: " << kApiSecret
                      << "\n\n  site-2 :  " << std::string(32, 'z') << "  # second\n";
  ::chmod(path.c_str(), 0644);
  ApiKeyring keys;
  keys.load_file(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(keys.secret_for("site1"));
  EXPECT_EQ(keys.secret_for("site-2")->size(), 32u);
  EXPECT_FALSE(keys.secret_for("site3"));
  EXPECT_EQ(*keys.first_key(), "site-2");

  std::ofstream(path) << "site1: short\n";
  try {
    ApiKeyring bad;
    bad.load_file(path);
    FAIL() << "a short secret must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).find("short\n"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos);
  }
  std::ofstream(path) << "no separator here\n";
  EXPECT_THROW(ApiKeyring().load_file(path), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(ApiKeyring, AuthorisesBasicCredentials) {
  ApiKeyring keys;
  keys.add("site1", kApiSecret);
  auto basic = [](const std::string& pair) {
    std::string out;
    // Standard base64 with padding, as HTTP Basic uses.
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 2 < pair.size(); i += 3) {
      const uint32_t v =
          (uint8_t(pair[i]) << 16) | (uint8_t(pair[i + 1]) << 8) | uint8_t(pair[i + 2]);
      for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
    }
    if (i < pair.size()) {
      uint32_t v = uint8_t(pair[i]) << 16;
      if (i + 1 < pair.size()) v |= uint8_t(pair[i + 1]) << 8;
      out.push_back(kAlphabet[(v >> 18) & 63]);
      out.push_back(kAlphabet[(v >> 12) & 63]);
      out.push_back(i + 1 < pair.size() ? kAlphabet[(v >> 6) & 63] : '=');
      out.push_back('=');
    }
    return "Basic " + out;
  };
  EXPECT_TRUE(keys.authorises(basic("site1:" + kApiSecret)));
  EXPECT_FALSE(keys.authorises(basic("site1:" + kApiSecret + "x")));
  EXPECT_FALSE(keys.authorises(basic("site2:" + kApiSecret)));
  EXPECT_FALSE(keys.authorises("Bearer abc"));
  EXPECT_FALSE(keys.authorises("Basic !!!!"));
  EXPECT_THROW(keys.add("bad name", kApiSecret), std::invalid_argument);
  EXPECT_THROW(keys.add("ok", "short"), std::invalid_argument);
}

}  // namespace
}  // namespace vc::auth
