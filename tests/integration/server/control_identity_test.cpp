// videocall-server end to end, control and identity (docs/SECURITY.md "Control and identity"):
// receive-only participants are visible, Leave is final, tokens are checked the same everywhere.
#include <gtest/gtest.h>

#include "common/limits.hpp"
#include "server/auth/room_token.hpp"
#include "server_harness.hpp"

namespace vc::test {
namespace {

std::string ws_target(const std::string& token) {
  return "/ws?token=" + token;
}

TEST(ServerIdentity, ReceiveOnlyClientIsInRosterAndParticipantList) {
  ServerProcess server;
  const uint16_t port = server.port();
  const auto ja = join_meeting(port, "listen", "Ada");
  const auto jr = join_meeting(port, "listen", "Recorder");
  WsClient a(port, ws_target(ja.token));
  a.join();
  WsClient recorder(port, ws_target(jr.token));
  const auto accepted = recorder.join(/*receive_only=*/true);
  EXPECT_TRUE(accepted.self().receive_only());

  const auto joined = a.read_control_until([&](const v1::Control& c) {
    return c.has_participant_joined() &&
           c.participant_joined().participant().participant_id() == jr.participant_id;
  });
  ASSERT_TRUE(joined) << "Ada must see who receives her media";
  EXPECT_TRUE(joined->participant_joined().participant().receive_only());

  const auto list = http_request(port, "GET", "/api/v1/meetings/listen/participants");
  ASSERT_EQ(list.status, 200u);
  const auto participants = list.json()["participants"];
  ASSERT_EQ(participants.size(), 2u);
  EXPECT_EQ(participants[0]["receive_only"], false);
  EXPECT_EQ(participants[1]["participant_id"], jr.participant_id);
  EXPECT_EQ(participants[1]["receive_only"], true);
  EXPECT_EQ(http_request(port, "GET", "/api/v1/meetings/listen").json()["participant_count"], 2);
}

TEST(ServerIdentity, TokenRefreshAndRejoinAfterLeaveAreRefused) {
  ServerProcess server;
  const uint16_t port = server.port();
  const auto ja = join_meeting(port, "final", "Ada");
  const auto jb = join_meeting(port, "final", "Bob");
  const std::string target = "/api/v1/meetings/final/token";
  WsClient a(port, ws_target(ja.token));
  a.join();
  WsClient b(port, ws_target(jb.token));
  b.join();
  ASSERT_EQ(http_request(port, "POST", target, {}, "Bearer " + jb.token).status, 200u);

  b.send_leave();
  ASSERT_TRUE(a.read_control_until([&](const v1::Control& c) {
    return c.has_participant_left() && c.participant_left().participant_id() == jb.participant_id;
  }));
  const auto refused = http_request(port, "POST", target, {}, "Bearer " + jb.token);
  EXPECT_EQ(refused.status, 403u) << refused.body;
  WsClient again(port, ws_target(jb.token));  // nor does the kept token rejoin
  again.send_hello();
  EXPECT_EQ(again.wait_close(), 4401);
  // Someone who only dropped (no Leave) keeps renewing.
  EXPECT_EQ(http_request(port, "POST", target, {}, "Bearer " + ja.token).status, 200u);
}

TEST(ServerIdentity, MediaPathRefusesOverlongAndBadMeetingIdTokens) {
  ServerProcess server;
  const auto secret = auth::load_or_create_secret((server.data_dir() / "token_secret").string());
  auth::RoomClaims claims;
  claims.meeting_id = "strict";
  claims.participant_id = 42;
  claims.display_name = "Mallory";

  // Signed with the server's own secret but valid for a year (the server's lifetime is 10 min).
  auth::RoomTokenService year_long(secret, std::chrono::hours(24 * 365));
  WsClient overlong(server.port(), ws_target(year_long.issue(claims, auth::unix_now())));
  EXPECT_EQ(overlong.wait_close(), 4401);

  // A meeting id the REST API would never accept.
  auth::RoomTokenService tokens(secret, limits::kRoomTokenLifetime);
  claims.meeting_id = "strict/../other";
  WsClient bad_id(server.port(), ws_target(tokens.issue(claims, auth::unix_now())));
  EXPECT_EQ(bad_id.wait_close(), 4401);

  claims.meeting_id = "strict";  // the same signer with sane claims is accepted
  WsClient fine(server.port(), ws_target(tokens.issue(claims, auth::unix_now())));
  EXPECT_EQ(fine.join().participant_id(), 42u);
}

}  // namespace
}  // namespace vc::test
