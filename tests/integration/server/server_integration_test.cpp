// videocall-server end to end: the real binary on a loopback port, driven over REST and the media
// WebSocket. Synchronisation is on events (messages, closes), never on sleeps.
#include <gtest/gtest.h>

#include <fstream>

#include "common/limits.hpp"
#include "server/auth/room_token.hpp"
#include "server_harness.hpp"

namespace vc::test {
namespace {

std::string ws_target(const JoinInfo& join) {
  return "/ws?token=" + join.token;
}

auto is_joined = [](uint64_t id) {
  return [id](const v1::Control& c) {
    return c.has_participant_joined() &&
           c.participant_joined().participant().participant_id() == id;
  };
};

auto is_left = [](uint64_t id) {
  return [id](const v1::Control& c) {
    return c.has_participant_left() && c.participant_left().participant_id() == id;
  };
};

TEST(ServerCli, HelpListsFlagsAndBadArgumentFails) {
  const auto help = run_command(VC_SERVER_BIN, {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--listen", "--port", "--data-dir", "--web-root", "--cert", "--key",
                           "--log-level", "VIDEOCALL_PORT"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  const auto bad = run_command(VC_SERVER_BIN, {"--no-such-flag"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("no-such-flag"), std::string::npos) << bad.err;
  const auto bad_port = run_command(VC_SERVER_BIN, {"--port", "notaport"});
  EXPECT_NE(bad_port.exit_code, 0);
}

TEST(ServerRest, HealthMetricsStaticAndErrors) {
  ServerProcess server;
  const uint16_t port = server.port();
  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200u);
  const auto metrics = http_request(port, "GET", "/metrics");
  EXPECT_EQ(metrics.status, 200u);
  // (QUIC counters are checked by the WebTransport tests: this server runs with --no-quic.)
  for (const char* name :
       {"videocall_ws_sessions", "videocall_bus_connected 1", "videocall_cluster_rooms_linked"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }

  for (const char* spa : {"/", "/meeting/demo", "/meeting/demo?x=1"}) {
    const auto page = http_request(port, "GET", spa);
    EXPECT_EQ(page.status, 200u) << spa;
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8") << spa;
    EXPECT_NE(page.body.find("videocall"), std::string::npos);
  }
  const auto js = http_request(port, "GET", "/assets/app-1234.js");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(http_request(port, "GET", "/assets/missing.js").status, 404u);
  EXPECT_EQ(http_request(port, "GET", "/../etc/passwd").status, 400u);
  for (const char* absolute : {"//etc/passwd", "/%2Fetc/passwd", "//etc/os-release.txt"}) {
    // Never the host's file: the SPA page or 404.
    EXPECT_EQ(http_request(port, "GET", absolute).body.find("root:"), std::string::npos);
    EXPECT_EQ(http_request(port, "GET", absolute).body.find("NAME="), std::string::npos);
  }
  EXPECT_EQ(http_request(port, "GET", "/assets/%2e%2e/%2e%2e/secret").status, 400u);

  EXPECT_EQ(http_request(port, "POST", "/api/v1/meetings/bad%20id/join", R"({"display_name":"A"})")
                .status,
            400u);
  EXPECT_EQ(http_request(port, "POST", "/api/v1/meetings/demo/join", "not json").status, 400u);
  EXPECT_EQ(
      http_request(port, "POST", "/api/v1/meetings/demo/join", R"({"display_name":"  "})").status,
      400u);
  const auto too_big = http_request(port, "POST", "/api/v1/meetings/demo/join",
                                    std::string(limits::kMaxHttpBodyBytes + 10, 'x'));
  EXPECT_EQ(too_big.status, 413u);
  const auto missing = http_request(port, "GET", "/api/v1/meetings/nobody-here");
  EXPECT_EQ(missing.status, 404u);
  EXPECT_EQ(missing.json()["error"]["code"], "not_found");
  EXPECT_EQ(http_request(port, "GET", "/api/v1/meetings/nobody-here/participants").status, 404u);
  EXPECT_EQ(http_request(port, "DELETE", "/api/v1/meetings/demo").status, 405u);

  const auto created = http_request(port, "POST", "/api/v1/meetings");
  // Loopback is exempt from the per-address join rate limit (bots, load tests).
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(http_request(port, "POST", "/api/v1/meetings").status, 201u);
  }
  EXPECT_EQ(created.status, 201u);
  const std::string id = created.json()["meeting_id"];
  const auto info = http_request(port, "GET", "/api/v1/meetings/" + id);
  EXPECT_EQ(info.status, 200u);
  EXPECT_EQ(info.json()["participant_count"], 0);
}

TEST(ServerMedia, JoinRosterAndParticipantList) {
  ServerProcess server;
  const auto ja = join_meeting(server.port(), "roster", "Ada");
  const auto jb = join_meeting(server.port(), "roster", "Bob");
  EXPECT_EQ(ja.role, "host");
  EXPECT_EQ(jb.role, "participant");
  EXPECT_NE(ja.participant_id, jb.participant_id);
  EXPECT_LT(ja.participant_id, uint64_t{1} << 53);

  WsClient a(server.port(), ws_target(ja));
  const auto accepted_a = a.join();
  EXPECT_EQ(accepted_a.participant_id(), ja.participant_id);
  EXPECT_EQ(accepted_a.meeting_id(), "roster");
  EXPECT_EQ(accepted_a.roster_size(), 0);
  EXPECT_EQ(accepted_a.self().role(), v1::PARTICIPANT_ROLE_HOST);
  EXPECT_EQ(accepted_a.max_envelope_bytes(), limits::kMaxEnvelopeBytes);

  WsClient b(server.port(), ws_target(jb));
  const auto accepted_b = b.join();
  ASSERT_EQ(accepted_b.roster_size(), 1);
  EXPECT_EQ(accepted_b.roster(0).participant_id(), ja.participant_id);
  EXPECT_EQ(accepted_b.roster(0).display_name(), "Ada");
  const auto joined = a.read_control_until(is_joined(jb.participant_id));
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined->participant_joined().participant().display_name(), "Bob");

  const auto list = http_request(server.port(), "GET", "/api/v1/meetings/roster/participants");
  ASSERT_EQ(list.status, 200u);
  const auto participants = list.json()["participants"];
  ASSERT_EQ(participants.size(), 2u);
  EXPECT_EQ(participants[0]["display_name"], "Ada");
  EXPECT_EQ(participants[0]["role"], "host");
  EXPECT_EQ(participants[0]["connection_state"], "connected");
  EXPECT_EQ(participants[1]["participant_id"], jb.participant_id);
  EXPECT_EQ(
      http_request(server.port(), "GET", "/api/v1/meetings/roster").json()["participant_count"], 2);
}

TEST(ServerMedia, MediaReachesOthersStampedAndNotEchoed) {
  ServerProcess server;
  const auto ja = join_meeting(server.port(), "fanout", "A");
  const auto jb = join_meeting(server.port(), "fanout", "B");
  const auto jc = join_meeting(server.port(), "fanout", "C");
  WsClient a(server.port(), ws_target(ja));
  a.join();
  WsClient b(server.port(), ws_target(jb));
  b.join();
  WsClient c(server.port(), ws_target(jc));
  c.join();

  // A forges B's id in the header: the server must overwrite it with A's.
  a.send_media(v1::MEDIA_KIND_VIDEO, "frame-from-a", jb.participant_id, 7);
  for (WsClient* receiver : {&b, &c}) {
    const auto media = receiver->read_media();
    ASSERT_TRUE(media);
    EXPECT_EQ(media->payload(), "frame-from-a");
    EXPECT_EQ(media->header().sender_participant_id(), ja.participant_id);
    EXPECT_NE(media->header().sender_session_id(), jb.participant_id);
    EXPECT_EQ(media->header().sequence(), 7u);
  }
  // Not echoed: B answers after receiving A's frame, so an echo to A would have been queued on the
  // same (video) lane before B's frame. The first media A sees must be B's.
  b.send_media(v1::MEDIA_KIND_VIDEO, "frame-from-b");
  const auto at_a = a.read_media();
  ASSERT_TRUE(at_a);
  EXPECT_EQ(at_a->payload(), "frame-from-b");
  EXPECT_EQ(at_a->header().sender_participant_id(), jb.participant_id);

  a.send_media(v1::MEDIA_KIND_AUDIO, "audio-from-a");
  std::optional<v1::Media> audio;
  do {
    audio = c.read_media();  // B's video frame may come first
  } while (audio && audio->header().kind() != v1::MEDIA_KIND_AUDIO);
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->payload(), "audio-from-a");
  EXPECT_EQ(audio->header().sender_participant_id(), ja.participant_id);
}

TEST(ServerMedia, CleanLeaveIsImmediateAndDropLeavesAfterGrace) {
  ServerProcess server;
  const auto ja = join_meeting(server.port(), "leave", "A");
  const auto jb = join_meeting(server.port(), "leave", "B");
  const auto jc = join_meeting(server.port(), "leave", "C");
  WsClient a(server.port(), ws_target(ja));
  a.join();
  WsClient b(server.port(), ws_target(jb));
  b.join();
  WsClient c(server.port(), ws_target(jc));
  c.join();

  b.send_leave();
  const auto left = a.read_control_until(is_left(jb.participant_id), 2s);
  ASSERT_TRUE(left);
  EXPECT_EQ(left->participant_left().reason(), v1::LEAVE_REASON_LEFT);

  c.drop();
  const auto reconnecting = a.read_control_until([&](const v1::Control& ctl) {
    return ctl.has_participant_updated() &&
           ctl.participant_updated().participant().participant_id() == jc.participant_id;
  });
  ASSERT_TRUE(reconnecting);
  EXPECT_EQ(reconnecting->participant_updated().participant().connection_state(),
            v1::CONNECTION_STATE_RECONNECTING);
  const auto timed_out =
      a.read_control_until(is_left(jc.participant_id), limits::kReconnectGrace + 5s);
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->participant_left().reason(), v1::LEAVE_REASON_TIMED_OUT);
}

TEST(ServerMedia, ReconnectWithinGraceResumesIdentity) {
  ServerProcess server;
  const auto ja = join_meeting(server.port(), "resume", "A");
  const auto jb = join_meeting(server.port(), "resume", "B");
  WsClient a(server.port(), ws_target(ja));
  a.join();
  auto b = std::make_unique<WsClient>(server.port(), ws_target(jb));
  b->join();
  b->drop();
  ASSERT_TRUE(a.read_control_until([&](const v1::Control& ctl) {
    return ctl.has_participant_updated() &&
           ctl.participant_updated().participant().connection_state() ==
               v1::CONNECTION_STATE_RECONNECTING;
  }));
  WsClient b2(server.port(), ws_target(jb));
  const auto accepted = b2.join();
  EXPECT_TRUE(accepted.resumed());
  EXPECT_EQ(accepted.participant_id(), jb.participant_id);
  const auto back = a.read_control_until([&](const v1::Control& ctl) {
    return ctl.has_participant_updated() &&
           ctl.participant_updated().participant().connection_state() ==
               v1::CONNECTION_STATE_CONNECTED;
  });
  ASSERT_TRUE(back);
}

TEST(ServerRest, TokenRefreshKeepsTheIdentity) {
  ServerProcess server;
  const uint16_t port = server.port();
  const auto joined = join_meeting(port, "refresh", "Ada");
  const std::string target = "/api/v1/meetings/refresh/token";

  const auto refreshed = http_request(port, "POST", target, {}, "Bearer " + joined.token);
  ASSERT_EQ(refreshed.status, 200u) << refreshed.body;
  const auto body = refreshed.json();
  EXPECT_EQ(body["participant_id"].get<uint64_t>(), joined.participant_id);
  EXPECT_EQ(body["display_name"], "Ada");
  EXPECT_EQ(body["role"], joined.role);

  // The refreshed token joins as the same participant.
  JoinInfo renewed = joined;
  renewed.token = body["token"].get<std::string>();
  WsClient client(port, ws_target(renewed));
  EXPECT_EQ(client.join().participant_id(), joined.participant_id);

  EXPECT_EQ(http_request(port, "POST", target).status, 401u);
  EXPECT_EQ(http_request(port, "POST", target, {}, "Bearer not.a.token").status, 401u);
  EXPECT_EQ(http_request(port, "POST", target, {}, joined.token).status, 401u);  // no scheme
  EXPECT_EQ(http_request(port, "POST", "/api/v1/meetings/other/token", {}, "Bearer " + joined.token)
                .status,
            403u);
  EXPECT_EQ(http_request(port, "GET", target).status, 405u);
}

// --peer-url: clients learn the other nodes, and a page served by a peer node may call this
// node's REST API cross-origin (its node died; it renews its token here). Nobody else may.
TEST(ServerRest, PeerUrlsAreAlternatesAndTheOnlyCorsOrigins) {
  const std::string peer = "http://127.0.0.1:9";
  ServerProcess server({"--peer-url", peer + "/", "--peer-url", "https://node3.example:8443",
                        "--token-lifetime", "45"});
  const uint16_t port = server.port();
  const auto join = http_request(port, "POST", "/api/v1/meetings/peers/join",
                                 nlohmann::json{{"display_name", "Ada"}}.dump(), {}, peer);
  ASSERT_EQ(join.status, 200u) << join.body;
  const auto body = join.json();
  EXPECT_EQ(body["alternate_servers"],
            nlohmann::json::array({peer, "https://node3.example:8443"}));  // trailing '/' dropped
  EXPECT_EQ(join.allow_origin, peer);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_NEAR(static_cast<double>(body["expires_at"].get<int64_t>() - now), 45.0, 2.0);

  const std::string target = "/api/v1/meetings/peers/token";
  const auto preflight = http_request(port, "OPTIONS", target, {}, {}, peer);
  EXPECT_EQ(preflight.status, 204u);
  EXPECT_EQ(preflight.allow_origin, peer);
  const auto refreshed =
      http_request(port, "POST", target, {}, "Bearer " + body["token"].get<std::string>(), peer);
  EXPECT_EQ(refreshed.status, 200u) << refreshed.body;
  EXPECT_EQ(refreshed.allow_origin, peer);

  const auto stranger = http_request(port, "OPTIONS", target, {}, {}, "http://evil.example");
  EXPECT_EQ(stranger.status, 403u);
  EXPECT_TRUE(stranger.allow_origin.empty());
  EXPECT_TRUE(http_request(port, "GET", "/api/v1/meetings/peers", {}, {}, "http://evil.example")
                  .allow_origin.empty());

  EXPECT_NE(run_command(VC_SERVER_BIN, {"--peer-url", "ftp://x"}).exit_code, 0);
  EXPECT_NE(run_command(VC_SERVER_BIN, {"--wt-allowed-origin", "https://a.example/path"}).exit_code,
            0);
  EXPECT_NE(run_command(VC_SERVER_BIN, {"--token-lifetime", "5"}).exit_code, 0);
}

TEST(ServerMedia, BadOrExpiredTokenIsRefusedWith4401) {
  ServerProcess server;
  for (const std::string target : {"/ws", "/ws?token=", "/ws?token=not.a.jwt",
                                   "/ws?token=eyJhbGciOiJub25lIn0.eyJwaWQiOjF9."}) {
    WsClient client(server.port(), target);
    EXPECT_EQ(client.wait_close(), 4401) << target;
    ASSERT_TRUE(client.last_error()) << target;
    EXPECT_EQ(client.last_error()->code(), 4401u);
  }

  // A correctly signed but expired token (the test reads the server's secret from its data dir).
  auth::RoomTokenService tokens(
      auth::load_or_create_secret((server.data_dir() / "token_secret").string()),
      std::chrono::seconds(60));
  auth::RoomClaims claims;
  claims.meeting_id = "expired";
  claims.participant_id = 42;
  claims.display_name = "Late";
  const std::string expired = tokens.issue(claims, auth::unix_now() - 3600);
  WsClient late(server.port(), "/ws?token=" + expired);
  EXPECT_EQ(late.wait_close(), 4401);
  ASSERT_TRUE(late.last_error());
  EXPECT_NE(late.last_error()->message().find("expired"), std::string::npos);

  // The same signer with a fresh time is accepted (the secret really is the server's).
  WsClient fresh(server.port(), "/ws?token=" + tokens.issue(claims, auth::unix_now()));
  EXPECT_EQ(fresh.join().participant_id(), 42u);
}

TEST(ServerMedia, MalformedAndOversizedCloseOnlyThatConnection) {
  ServerProcess server;
  const auto ja = join_meeting(server.port(), "abuse", "A");
  const auto jb = join_meeting(server.port(), "abuse", "B");
  const auto jc = join_meeting(server.port(), "abuse", "C");
  const auto jd = join_meeting(server.port(), "abuse", "D");
  WsClient a(server.port(), ws_target(ja));
  a.join();
  WsClient b(server.port(), ws_target(jb));
  b.join();
  WsClient c(server.port(), ws_target(jc));
  c.join();
  WsClient d(server.port(), ws_target(jd));
  d.join();

  c.send_raw(std::string("\xff\xff\xff\xff garbage", 13));
  EXPECT_EQ(c.wait_close(), 4400);
  ASSERT_TRUE(c.last_error());
  EXPECT_EQ(c.last_error()->code(), 4400u);

  d.send_raw(std::string(limits::kMaxEnvelopeBytes + 1, '\x0a'));
  EXPECT_EQ(d.wait_close(), 4413);
  ASSERT_TRUE(d.last_error());
  EXPECT_EQ(d.last_error()->code(), 4413u);

  a.send_media(v1::MEDIA_KIND_VIDEO, "still-flowing");
  const auto media = b.read_media();
  ASSERT_TRUE(media);
  EXPECT_EQ(media->payload(), "still-flowing");
}

TEST(ServerMedia, ProtocolViolationsBeforeHello) {
  ServerProcess server;
  const auto ja = join_meeting(server.port(), "hello", "A");
  {
    WsClient a(server.port(), ws_target(ja));
    a.send_media(v1::MEDIA_KIND_VIDEO, "too early");
    EXPECT_EQ(a.wait_close(), 4405);
  }
  {
    WsClient a(server.port(), ws_target(ja));
    v1::Envelope hello;
    hello.mutable_control()->mutable_hello()->set_protocol_version(
        static_cast<v1::ProtocolVersion>(99));
    a.send(hello);
    EXPECT_EQ(a.wait_close(), 4406);
  }
  {
    WsClient a(server.port(), ws_target(ja));
    a.send_raw("text frame", /*binary=*/false);
    EXPECT_EQ(a.wait_close(), 4400);
  }
}

TEST(ServerLifecycle, SigtermSends4503AndExitsCleanly) {
  ServerProcess server;
  const auto ja = join_meeting(server.port(), "bye", "A");
  WsClient a(server.port(), ws_target(ja));
  a.join();
  server.send_sigterm();
  EXPECT_EQ(a.wait_close(), 4503) << a.read_error();
  ASSERT_TRUE(a.last_error());
  EXPECT_EQ(a.last_error()->code(), 4503u);
  const auto exit_code = server.wait_exit(10s);
  ASSERT_TRUE(exit_code);
  EXPECT_EQ(*exit_code, 0);
}

}  // namespace
}  // namespace vc::test
