#include "server/auth/room_token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/limits.hpp"
#include "server/auth/left_participants.hpp"

namespace vc::auth {
namespace {

namespace v1 = ::videocall::v1;

std::vector<uint8_t> secret(uint8_t fill = 7) {
  return std::vector<uint8_t>(32, fill);
}

RoomClaims sample_claims() {
  RoomClaims claims;
  claims.meeting_id = "demo";
  claims.participant_id = (uint64_t{1} << 53) - 1;
  claims.display_name = "Ada Lovelace \xc3\xa9";
  claims.role = v1::PARTICIPANT_ROLE_HOST;
  return claims;
}

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

std::string payload_part(const std::string& token) {
  const auto first = token.find('.');
  return token.substr(first + 1, token.find('.', first + 1) - first - 1);
}

TEST(RoomToken, IssueThenVerifyRoundTrips) {
  RoomTokenService tokens(secret());
  RoomClaims claims = sample_claims();
  const std::string token = tokens.issue(claims, 1'000'000);
  EXPECT_EQ(claims.issued_at, 1'000'000);
  EXPECT_EQ(claims.expires_at, 1'000'000 + tokens.lifetime().count());
  const auto result = tokens.verify(token, 1'000'010);
  ASSERT_TRUE(result.claims) << to_string(result.error);
  EXPECT_EQ(result.claims->meeting_id, "demo");
  EXPECT_EQ(result.claims->participant_id, claims.participant_id);
  EXPECT_EQ(result.claims->display_name, claims.display_name);
  EXPECT_EQ(result.claims->role, v1::PARTICIPANT_ROLE_HOST);
  EXPECT_EQ(result.claims->expires_at, claims.expires_at);
}

TEST(RoomToken, SubjectRoundTripsAndGuestSubjectsAreKeyedAndStable) {
  RoomTokenService tokens(secret());
  RoomClaims claims = sample_claims();
  EXPECT_FALSE(tokens.verify(tokens.issue(claims, 1'000'000), 1'000'010).claims->subject.size())
      << "no sub claim: empty subject";
  claims.subject = tokens.guest_subject("browser-key-0123456789");
  EXPECT_EQ(claims.subject.rfind("guest:", 0), 0u);
  EXPECT_EQ(claims.subject.size(), 6u + 32u);
  EXPECT_TRUE(is_valid_subject(claims.subject));
  const auto result = tokens.verify(tokens.issue(claims, 1'000'000), 1'000'010);
  ASSERT_TRUE(result.claims) << to_string(result.error);
  EXPECT_EQ(result.claims->subject, claims.subject);
  // Same key, same subject; another key or another deployment's secret, another subject.
  EXPECT_EQ(tokens.guest_subject("browser-key-0123456789"), claims.subject);
  EXPECT_NE(tokens.guest_subject("browser-key-0123456780"), claims.subject);
  EXPECT_NE(RoomTokenService(secret(8)).guest_subject("browser-key-0123456789"), claims.subject);
  EXPECT_EQ(claims.subject.find("browser-key"), std::string::npos) << "the key is never shown";
  for (const char* bad : {"", "has space", "quote\"", "new\nline"})
    EXPECT_FALSE(is_valid_subject(bad));
  EXPECT_FALSE(is_valid_subject(std::string(limits::kMaxSubjectBytes + 1, 'a')));
  EXPECT_EQ(random_identity_key().size(), 32u);
  EXPECT_NE(random_identity_key(), random_identity_key());
}

TEST(RoomToken, ExpiredAndFutureTokensAreRefused) {
  RoomTokenService tokens(secret(), std::chrono::seconds(60));
  RoomClaims claims = sample_claims();
  const std::string token = tokens.issue(claims, 1000);
  EXPECT_TRUE(tokens.verify(token, 1059).claims);
  EXPECT_EQ(tokens.verify(token, 1060).error, TokenError::kExpired);
  EXPECT_EQ(tokens.verify(token, 5000).error, TokenError::kExpired);
  EXPECT_EQ(tokens.verify(token, 1000 - 3600).error, TokenError::kNotYetValid);
}

TEST(RoomToken, ExpiryBeyondTheConfiguredLifetimeIsRefused) {
  // Same secret, longer lifetime: as a leaked secret or a misconfigured node would sign.
  RoomTokenService tokens(secret(), std::chrono::seconds(600));
  RoomTokenService longer(secret(), std::chrono::hours(24 * 365));
  RoomClaims claims = sample_claims();
  const std::string year_long = longer.issue(claims, 1000);
  EXPECT_EQ(tokens.verify(year_long, 1001).error, TokenError::kBadClaims);
  // Within lifetime + skew of iat and of now is fine (a node whose clock is a little ahead).
  RoomTokenService skewed(secret(), std::chrono::seconds(600) + limits::kTokenClockSkew);
  claims = sample_claims();
  EXPECT_TRUE(tokens.verify(skewed.issue(claims, 1000), 1000).claims);
  // iat in the future (within skew) and a full lifetime: exp - now stays within lifetime + skew.
  claims = sample_claims();
  EXPECT_TRUE(tokens.verify(tokens.issue(claims, 1000 + 30), 1000).claims);
}

TEST(RoomToken, MeetingIdIsValidatedLikeTheRestApi) {
  RoomTokenService tokens(secret());
  for (const char* bad : {"a b", "../x", "demo\n", "d\xc3\xa9mo", ""}) {
    RoomClaims claims = sample_claims();
    claims.meeting_id = bad;
    EXPECT_EQ(tokens.verify(tokens.issue(claims, 1000), 1001).error, TokenError::kBadClaims) << bad;
  }
  RoomClaims claims = sample_claims();
  claims.meeting_id = std::string(limits::kMaxMeetingIdBytes + 1, 'a');
  EXPECT_EQ(tokens.verify(tokens.issue(claims, 1000), 1001).error, TokenError::kBadClaims);
  claims.meeting_id = "Ok_id-9";
  EXPECT_TRUE(tokens.verify(tokens.issue(claims, 1000), 1001).claims);
}

TEST(LeftParticipants, RememberedForTheirTokenLifetimeAndBounded) {
  using namespace std::chrono_literals;
  const LeftParticipants::TimePoint t0{};
  LeftParticipants left(3);
  left.remember(1, t0 + 60s, t0);
  EXPECT_TRUE(left.has_left(1, t0 + 59s));
  EXPECT_FALSE(left.has_left(1, t0 + 60s));
  EXPECT_FALSE(left.has_left(2, t0));
  for (uint64_t id = 2; id <= 5; ++id) left.remember(id, t0 + 120s, t0 + 1s);
  EXPECT_EQ(left.size(), 3u);
  EXPECT_FALSE(left.has_left(2, t0 + 2s)) << "the oldest is forgotten first";
  EXPECT_TRUE(left.has_left(5, t0 + 2s));
  left.remember(9, t0 + 300s, t0 + 200s);  // the rest expired meanwhile
  EXPECT_EQ(left.size(), 1u);
}

TEST(RoomToken, WrongSecretOrTamperedPayloadFailsSignature) {
  RoomTokenService tokens(secret(1));
  RoomTokenService other(secret(2));
  RoomClaims claims = sample_claims();
  const std::string token = tokens.issue(claims, 1000);
  EXPECT_EQ(other.verify(token, 1001).error, TokenError::kBadSignature);

  // Swap the payload for one naming a different participant, keep the signature.
  const std::string forged_payload =
      b64url(R"({"exp":99999,"iat":1000,"mid":"demo","name":"Eve","pid":1,"role":"host"})");
  std::string forged = token;
  const std::string original_payload = payload_part(token);
  forged.replace(forged.find(original_payload), original_payload.size(), forged_payload);
  EXPECT_EQ(tokens.verify(forged, 1001).error, TokenError::kBadSignature);

  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify(flipped, 1001).claims);
}

TEST(RoomToken, AlgorithmConfusionIsRefused) {
  RoomTokenService tokens(secret());
  const std::string payload =
      b64url(R"({"exp":99999,"iat":1000,"mid":"demo","name":"Eve","pid":1,"role":"host"})");
  // alg none, with and without a trailing signature part.
  const std::string none = b64url(R"({"alg":"none","typ":"JWT"})");
  EXPECT_EQ(tokens.verify(none + "." + payload + ".", 1001).error, TokenError::kWrongAlgorithm);
  EXPECT_EQ(tokens.verify(none + "." + payload + ".c2ln", 1001).error, TokenError::kWrongAlgorithm);
  // Other HMAC and asymmetric algorithms, even with "a" signature.
  for (const char* alg : {"HS384", "HS512", "RS256", "ES256", "hs256", "None"}) {
    const std::string header = b64url(std::string(R"({"alg":")") + alg + R"("})");
    EXPECT_EQ(tokens.verify(header + "." + payload + ".c2lnbmF0dXJl", 1001).error,
              TokenError::kWrongAlgorithm)
        << alg;
  }
  // No alg at all.
  EXPECT_EQ(tokens.verify(b64url(R"({"typ":"JWT"})") + "." + payload + ".c2ln", 1001).error,
            TokenError::kWrongAlgorithm);
}

TEST(RoomToken, MalformedTokensAreRefused) {
  RoomTokenService tokens(secret());
  EXPECT_EQ(tokens.verify("", 1).error, TokenError::kMissing);
  for (const char* bad : {"abc", "a.b", "a.b.c.d", "!!!.???.***", "..", "e30.e30.e30"}) {
    EXPECT_FALSE(tokens.verify(bad, 1).claims) << bad;
  }
  EXPECT_EQ(tokens.verify(std::string(10000, 'a'), 1).error, TokenError::kMalformed);
}

TEST(RoomToken, ShortSecretIsRejected) {
  EXPECT_THROW(RoomTokenService(std::vector<uint8_t>(16, 1)), std::invalid_argument);
}

TEST(RoomTokenSecret, CreatedOnceWithOwnerOnlyPermissions) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("vc-secret-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "token_secret").string();
  std::filesystem::remove(path);
  const auto first = load_or_create_secret(path);
  EXPECT_EQ(first.size(), 32u);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_or_create_secret(path), first);  // stable across restarts

  ::chmod(path.c_str(), 0644);  // loosened by someone: tightened on load
  EXPECT_EQ(load_or_create_secret(path), first);
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::ofstream(path) << "not hex";
  EXPECT_THROW(load_or_create_secret(path), std::runtime_error);
  std::filesystem::remove_all(dir);
}

TEST(RoomTokenIds, RandomIdsFitAJavaScriptNumber) {
  for (int i = 0; i < 1000; ++i) {
    const uint64_t id = random_id53();
    EXPECT_GT(id, 0u);
    EXPECT_LT(id, uint64_t{1} << 53);
  }
  EXPECT_NE(random_id53(), random_id53());
}

}  // namespace
}  // namespace vc::auth
