// videocall-server end to end, grants (docs/PROTOCOL.md §13) over WebSocket: tokens minted with an
// API key (as a site's backend does, and with the Python and Node examples of the docs), each grant
// refused with its numeric code while the connection stays open, `token create`, and guest join
// turned off.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "protocol/close_codes.hpp"
#include "server/auth/grants_claim.hpp"
#include "server/auth/room_token.hpp"
#include "server/room/permissions.hpp"
#include "server_harness.hpp"

namespace vc::test {
namespace {

constexpr const char* kKey = "site1";
const std::string kSecret = "grants-test-api-secret-0123456789abcdef";

// A server with the API key site1 configured.
struct KeyedServer {
  static std::vector<std::string> args(const std::filesystem::path& key_file,
                                       std::vector<std::string> extra) {
    std::ofstream(key_file) << kKey << ": " << kSecret << "\n";
    ::chmod(key_file.c_str(), 0600);
    extra.insert(extra.begin(), {"--api-key-file", key_file.string()});
    return extra;
  }
  explicit KeyedServer(std::vector<std::string> extra = {})
      : key_file(
            std::filesystem::temp_directory_path() /
            ("vc-grants-keys-" + std::to_string(::getpid()) + "-" + std::to_string(counter++))),
        server(args(key_file, std::move(extra))) {}
  ~KeyedServer() { std::filesystem::remove(key_file); }

  // A token as a site's backend mints it, narrowed to `grants` (comma-separated names).
  std::string mint(const std::string& meeting, const std::string& name, const char* grants,
                   const std::string& role = "participant") const {
    auth::RoomClaims claims;
    claims.meeting_id = meeting;
    claims.display_name = name;
    claims.participant_id = auth::random_id53();
    claims.role = *auth::role_from_name(role);
    const auto claim = auth::grants_claim_from_names(grants);
    claims.grants = *auth::grants_from_claim(claims.role, &*claim);
    claims.api_key = kKey;
    claims.issued_at = auth::unix_now();
    claims.expires_at = claims.issued_at + 3600;
    const std::vector<uint8_t> secret(kSecret.begin(), kSecret.end());
    return auth::sign_room_token(claims, secret);
  }

  static inline int counter = 0;
  std::filesystem::path key_file;
  ServerProcess server;
};

constexpr const char* kAll = "camera,microphone,screen,subscribe,chat";

std::optional<v1::Refused> next_refused(WsClient& client) {
  auto got = client.read_control_until([](const v1::Control& c) { return c.has_refused(); });
  if (!got) return std::nullopt;
  return got->refused();
}

struct PublishCase {
  v1::MediaKind kind;
  const char* grants;  // everything but this source
  uint32_t code;
};

TEST(ServerGrants, EachPublishGrantIsEnforcedOverWebSocket) {
  KeyedServer keyed;
  const uint16_t port = keyed.server.port();
  const PublishCase cases[] = {
      {v1::MEDIA_KIND_VIDEO, "microphone,screen,subscribe,chat", close_code::kNotGrantedCamera},
      {v1::MEDIA_KIND_AUDIO, "camera,screen,subscribe,chat", close_code::kNotGrantedMicrophone},
      {v1::MEDIA_KIND_SCREEN, "camera,microphone,subscribe,chat", close_code::kNotGrantedScreen},
  };
  int n = 0;
  for (const PublishCase& c : cases) {
    SCOPED_TRACE(c.code);
    const std::string meeting = "publish-" + std::to_string(n++);
    WsClient sender(port, "/ws?token=" + keyed.mint(meeting, "Sender", c.grants));
    WsClient receiver(port, "/ws?token=" + keyed.mint(meeting, "Receiver", kAll));
    const v1::JoinAccepted accepted = sender.join();
    receiver.join();
    EXPECT_FALSE(room::may_publish(accepted.self().grants(), room::source_of_kind(c.kind)))
        << "the client learns its own grants";
    for (uint32_t i = 0; i < 3; ++i) sender.send_media(c.kind, "denied", 0, i);
    auto refused = next_refused(sender);
    ASSERT_TRUE(refused) << "PublishTrack of an ungranted source is refused";
    EXPECT_EQ(refused->code(), c.code);
    EXPECT_EQ(refused->request(), 12u);
    refused = next_refused(sender);
    ASSERT_TRUE(refused) << "its frames get one Refused";
    EXPECT_EQ(refused->code(), c.code);
    EXPECT_EQ(refused->request(), 0u);
    // A granted source still flows, and nothing of the denied one came before it.
    const v1::MediaKind other =
        c.kind == v1::MEDIA_KIND_VIDEO ? v1::MEDIA_KIND_SCREEN : v1::MEDIA_KIND_VIDEO;
    sender.send_media(other, "granted");
    const auto media = receiver.read_media();
    ASSERT_TRUE(media);
    EXPECT_EQ(media->payload(), "granted");
    // Only one Refused for the frames, not one each: a ping's pong comes next.
    v1::Envelope ping;
    ping.mutable_control()->mutable_ping()->set_nonce(77);
    sender.send(ping);
    const auto next = sender.read_control_until(
        [](const v1::Control& m) { return m.has_refused() || m.has_pong(); });
    ASSERT_TRUE(next);
    EXPECT_TRUE(next->has_pong()) << "no Refused flood";
    EXPECT_FALSE(sender.closed());
  }
}

TEST(ServerGrants, WithoutSubscribeNothingIsForwardedOverWebSocket) {
  KeyedServer keyed;
  const uint16_t port = keyed.server.port();
  WsClient sender(port, "/ws?token=" + keyed.mint("sub", "Sender", kAll));
  WsClient blind(port, "/ws?token=" + keyed.mint("sub", "Blind", "camera,microphone,chat"));
  WsClient seeing(port, "/ws?token=" + keyed.mint("sub", "Seeing", kAll));
  sender.join();
  blind.join();
  seeing.join();
  v1::Envelope update;
  update.mutable_control()
      ->mutable_update_subscriptions()
      ->mutable_defaults()
      ->set_video_max_height(360);
  blind.send(update);
  const auto refused = next_refused(blind);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code(), close_code::kNotGrantedSubscribe);
  sender.send_media(v1::MEDIA_KIND_VIDEO, "v");
  sender.send_media(v1::MEDIA_KIND_AUDIO, "a");
  ASSERT_TRUE(seeing.read_media()) << "a participant with the grant receives";
  ASSERT_TRUE(seeing.read_media());
  // A round trip on Blind's connection, sent after Seeing got the media: anything the server had
  // queued for Blind arrives before this answer.
  blind.send(update);
  int media_before_answer = 0;
  for (;;) {
    const auto message = blind.read();
    ASSERT_TRUE(message) << "connection stays open";
    if (message->envelope.has_media()) ++media_before_answer;
    if (message->envelope.has_control() && message->envelope.control().has_refused()) break;
  }
  EXPECT_EQ(media_before_answer, 0) << "no media to a participant without subscribe";
  EXPECT_FALSE(blind.closed());
}

TEST(ServerGrants, WithoutChatTheMessageIsRefusedOverWebSocket) {
  KeyedServer keyed;
  const uint16_t port = keyed.server.port();
  WsClient quiet(port, "/ws?token=" + keyed.mint("chat", "Quiet", "camera,microphone,subscribe"));
  WsClient other(port, "/ws?token=" + keyed.mint("chat", "Other", kAll));
  quiet.join();
  other.join();
  v1::Envelope chat;
  chat.mutable_control()->mutable_send_chat()->set_text("not allowed");
  chat.mutable_control()->mutable_send_chat()->set_client_message_id(5);
  quiet.send(chat);
  const auto refused = next_refused(quiet);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code(), close_code::kNotGrantedChat);
  EXPECT_EQ(refused->client_message_id(), 5u);
  chat.mutable_control()->mutable_send_chat()->set_text("allowed");
  other.send(chat);
  const auto got =
      quiet.read_control_until([](const v1::Control& c) { return c.has_chat_message(); });
  ASSERT_TRUE(got) << "the chat still reaches it";
  EXPECT_EQ(got->chat_message().text(), "allowed") << "the refused message reached nobody";
}

TEST(ServerGrants, ViewerJoinsReceiveOnly) {
  KeyedServer keyed;
  const uint16_t port = keyed.server.port();
  WsClient viewer(port, "/ws?token=" + keyed.mint("webinar", "Viewer", "subscribe,chat", "viewer"));
  const auto accepted = viewer.join();
  EXPECT_TRUE(accepted.self().receive_only());
  EXPECT_EQ(accepted.self().role(), v1::PARTICIPANT_ROLE_VIEWER);
  EXPECT_FALSE(accepted.self().grants().publish_camera());
  // A meeting entered only with backend tokens is known to REST too (recorded when its room
  // started, before JoinAccepted went out).
  const auto list = http_request(port, "GET", "/api/v1/meetings/webinar/participants");
  ASSERT_EQ(list.status, 200u) << list.body;
  const auto participants = list.json()["participants"];
  ASSERT_EQ(participants.size(), 1u);
  EXPECT_EQ(participants[0]["role"], "viewer");
  EXPECT_EQ(participants[0]["receive_only"], true);
}

TEST(ServerGrants, GuestJoinCanBeTurnedOff) {
  KeyedServer keyed({"--no-guest-join"});
  const uint16_t port = keyed.server.port();
  const auto refused =
      http_request(port, "POST", "/api/v1/meetings/closed/join", R"({"display_name":"Guest"})");
  EXPECT_EQ(refused.status, 403u);
  EXPECT_EQ(refused.json()["error"]["code"], "guest_join_disabled");
  // A backend's token still admits, and the token refresh keeps working for it.
  const std::string token = keyed.mint("closed", "Member", kAll);
  WsClient member(port, "/ws?token=" + token);
  EXPECT_EQ(member.join().meeting_id(), "closed");
  const auto refreshed =
      http_request(port, "POST", "/api/v1/meetings/closed/token", "{}", "Bearer " + token);
  EXPECT_EQ(refreshed.status, 200u);
  EXPECT_EQ(refreshed.json()["grants"]["chat"], true);
  // Without the flag guests join as before.
  ServerProcess open;
  EXPECT_FALSE(join_meeting(open.port(), "open", "Guest").token.empty());
}

TEST(ServerGrants, TokenCreateCommand) {
  KeyedServer keyed;
  const auto made =
      run_command(VC_SERVER_BIN, {"token", "create", "--meeting", "ops", "--name", "Operator",
                                  "--role", "viewer", "--api-key-file", keyed.key_file.string()});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::string token = made.out.substr(0, made.out.find('\n'));
  WsClient viewer(keyed.server.port(), "/ws?token=" + token);
  const auto accepted = viewer.join();
  EXPECT_EQ(accepted.self().display_name(), "Operator");
  EXPECT_TRUE(accepted.self().receive_only());
  EXPECT_EQ(made.err.find(kSecret), std::string::npos);

  // With the server's own secret (no API key), narrowed grants.
  const auto own =
      run_command(VC_SERVER_BIN, {"token", "create", "--meeting", "ops", "--name", "Own",
                                  "--grants", "microphone,subscribe", "--data-dir",
                                  keyed.server.data_dir().string(), "--ttl", "300"});
  ASSERT_EQ(own.exit_code, 0) << own.err;
  WsClient member(keyed.server.port(), "/ws?token=" + own.out.substr(0, own.out.find('\n')));
  const auto self = member.join().self();
  EXPECT_TRUE(self.grants().publish_microphone());
  EXPECT_FALSE(self.grants().publish_camera() || self.grants().chat());

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"token", "create", "--name", "x"},
           {"token", "create", "--meeting", "a b", "--name", "x"},
           {"token", "create", "--meeting", "m", "--name", "x", "--role", "king"},
           {"token", "create", "--meeting", "m", "--name", "x", "--grants", "hologram"},
           {"token", "create", "--meeting", "m", "--name", "x", "--data-dir", "/nonexistent"},
           {"token", "frobnicate"}}) {
    const auto result = run_command(VC_SERVER_BIN, bad);
    EXPECT_EQ(result.exit_code, 2) << bad.back() << ": " << result.err;
    EXPECT_FALSE(result.err.empty());
  }
}

// The docs' examples (docs/examples), run as a site's backend would, against a real server.
TEST(ServerGrants, DocumentedPythonAndNodeExamplesMintWorkingTokens) {
  KeyedServer keyed;
  ::setenv("VIDEOCALL_API_KEY", kKey, 1);
  ::setenv("VIDEOCALL_API_SECRET", kSecret.c_str(), 1);
  const std::string examples = std::string(VC_SOURCE_DIR) + "/docs/examples/";
  struct Example {
    const char* interpreter;
    std::string script;
  };
  for (const Example& example : {Example{"/usr/bin/env", examples + "mint_token.py"},
                                 Example{"/usr/bin/env", examples + "mint_token.mjs"}}) {
    const bool python = example.script.ends_with(".py");
    SCOPED_TRACE(example.script);
    const auto minted =
        run_command(example.interpreter,
                    {python ? "python3" : "node", example.script, "--meeting", "docs", "--name",
                     python ? "Py" : "Node", "--user-id", python ? "py-user" : "node-user",
                     "--role", "participant", "--grants", R"({"publish": ["microphone"]})"});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    WsClient client(keyed.server.port(),
                    "/ws?token=" + minted.out.substr(0, minted.out.find('\n')));
    const auto self = client.join().self();
    EXPECT_EQ(self.display_name(), python ? "Py" : "Node");
    EXPECT_TRUE(self.grants().publish_microphone());
    EXPECT_FALSE(self.grants().publish_camera());
    client.send_leave();
  }
  ::unsetenv("VIDEOCALL_API_SECRET");
}

}  // namespace
}  // namespace vc::test
