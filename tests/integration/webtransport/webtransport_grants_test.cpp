// Grants (docs/PROTOCOL.md §13) over WebTransport, against the real server: participants whose
// tokens (minted with an API key, as a site's backend does) lack a grant publish, subscribe and
// chat over QUIC and get the numeric Refused while nothing reaches anyone else. Every wait is on an
// event with a deadline.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <memory>

#include "protocol/close_codes.hpp"
#include "server/auth/grants_claim.hpp"
#include "server/auth/room_token.hpp"
#include "server_process.hpp"
#include "webtransport/wt_client.hpp"
#include "wt_test_support.hpp"

namespace vc {
namespace {

using namespace std::chrono_literals;
using namespace wt_test;

constexpr const char* kKey = "wt-site";
const std::string kSecret = "webtransport-grants-secret-0123456789";
constexpr const char* kAll = "camera,microphone,screen,subscribe,chat";

// One WebTransport participant: what it received.
struct Peer {
  std::unique_ptr<wt::WebTransportClient> client;
  std::vector<v1::Refused> refused;
  std::vector<std::pair<v1::MediaHeader, std::string>> media;
  std::vector<std::string> chat;
  std::optional<v1::JoinAccepted> accepted;
  bool pong = false;
};

class WebTransportGrants : public ::testing::Test {
 protected:
  void SetUp() override {
    key_file_ =
        std::filesystem::temp_directory_path() / ("vc-wt-grants-" + std::to_string(::getpid()));
    std::ofstream(key_file_) << kKey << ": " << kSecret << "\n";
    ::chmod(key_file_.c_str(), 0600);
    ASSERT_TRUE(server_.start({"--api-key-file", key_file_.string()}));
    // The WebTransport URL and certificate hashes, as a guest join hands them out.
    info_ = join(server_, "wt-info", "Info");
  }
  void TearDown() override { std::filesystem::remove(key_file_); }

  std::string mint(const std::string& meeting, const char* grants) {
    auth::RoomClaims claims;
    claims.meeting_id = meeting;
    claims.display_name = "P" + std::to_string(++minted_);
    claims.participant_id = auth::random_id53();
    const auto claim = auth::grants_claim_from_names(grants);
    claims.grants = *auth::grants_from_claim(claims.role, &*claim);
    claims.api_key = kKey;
    claims.issued_at = auth::unix_now();
    claims.expires_at = claims.issued_at + 600;
    return auth::sign_room_token(claims, std::vector<uint8_t>(kSecret.begin(), kSecret.end()));
  }

  Peer& connect(const std::string& meeting, const char* grants) {
    auto& peer = *peers_.emplace_back(std::make_unique<Peer>());
    peer.client = std::make_unique<wt::WebTransportClient>(
        wt_options(server_, info_, "/wt?token=" + mint(meeting, grants)));
    peer.client->on_envelope([&peer](const DecodedEnvelope& e, bool) {
      if (e.body == DecodedEnvelope::Body::kMedia) {
        peer.media.emplace_back(e.header, std::string(e.payload.begin(), e.payload.end()));
      } else if (e.control.has_refused()) {
        peer.refused.push_back(e.control.refused());
      } else if (e.control.has_join_accepted()) {
        peer.accepted = e.control.join_accepted();
      } else if (e.control.has_chat_message()) {
        peer.chat.push_back(e.control.chat_message().text());
      } else if (e.control.has_pong()) {
        peer.pong = true;
      }
    });
    EXPECT_TRUE(peer.client->start());
    peer.client->poll(5s, [&] { return peer.client->state() != wt::ClientState::kConnecting; });
    EXPECT_EQ(peer.client->state(), wt::ClientState::kEstablished);
    EXPECT_TRUE(peer.client->send_control(hello("wt-grants")));
    EXPECT_TRUE(poll_until([&] { return peer.accepted.has_value(); }));
    return peer;
  }

  // Polls every peer until `done` holds (true) or 5 s pass (false).
  bool poll_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      for (auto& peer : peers_) peer->client->poll(2ms);
    }
    return true;
  }

  static void send(Peer& peer, v1::MediaKind kind, const std::string& payload, uint32_t track) {
    v1::Control publish;
    v1::Track* t = publish.mutable_publish_track()->mutable_track();
    t->set_track_id(track);
    t->set_kind(kind);
    t->set_source(kind == v1::MEDIA_KIND_AUDIO   ? v1::TRACK_SOURCE_MICROPHONE
                  : kind == v1::MEDIA_KIND_VIDEO ? v1::TRACK_SOURCE_CAMERA
                                                 : v1::TRACK_SOURCE_SCREEN);
    ASSERT_TRUE(peer.client->send_control(publish));
    v1::MediaHeader header;
    header.set_kind(kind);
    header.set_track_id(track);
    header.set_keyframe(true);
    for (int i = 0; i < 3; ++i) {
      header.set_sequence(static_cast<uint32_t>(i));
      ASSERT_TRUE(peer.client->send_media(
          header, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}, false));
    }
  }

  testing::ServerProcess server_;
  std::filesystem::path key_file_;
  Join info_;
  std::vector<std::unique_ptr<Peer>> peers_;
  int minted_ = 0;
};

TEST_F(WebTransportGrants, EachPublishGrantIsEnforced) {
  struct Case {
    v1::MediaKind kind;
    const char* grants;
    uint32_t code;
    uint32_t track;
  };
  const Case cases[] = {
      {v1::MEDIA_KIND_VIDEO, "microphone,screen,subscribe,chat", close_code::kNotGrantedCamera, 2},
      {v1::MEDIA_KIND_AUDIO, "camera,screen,subscribe,chat", close_code::kNotGrantedMicrophone, 1},
      {v1::MEDIA_KIND_SCREEN, "camera,microphone,subscribe,chat", close_code::kNotGrantedScreen, 3},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    const std::string meeting = "wt-publish-" + std::to_string(n++);
    Peer& sender = connect(meeting, c.grants);
    Peer& receiver = connect(meeting, kAll);
    send(sender, c.kind, "denied", c.track);
    ASSERT_TRUE(poll_until([&] { return sender.refused.size() >= 2; }))
        << "PublishTrack and the frames are refused";
    EXPECT_EQ(sender.refused[0].code(), c.code);
    EXPECT_EQ(sender.refused[0].request(), 12u);
    EXPECT_EQ(sender.refused[1].code(), c.code);
    EXPECT_EQ(sender.refused[1].request(), 0u);
    // A granted source flows; the denied one reached nobody.
    const bool camera_denied = c.kind == v1::MEDIA_KIND_VIDEO;
    send(sender, camera_denied ? v1::MEDIA_KIND_SCREEN : v1::MEDIA_KIND_VIDEO, "granted",
         camera_denied ? 3 : 2);
    ASSERT_TRUE(poll_until([&] { return receiver.media.size() >= 3; }));
    for (const auto& [header, payload] : receiver.media) EXPECT_EQ(payload, "granted");
    v1::Control ping;
    ping.mutable_ping()->set_nonce(1);
    ASSERT_TRUE(sender.client->send_control(ping));
    ASSERT_TRUE(poll_until([&] { return sender.pong; }));
    EXPECT_EQ(sender.refused.size(), 2u) << "one Refused for the frames, not one each";
    EXPECT_EQ(sender.client->state(), wt::ClientState::kEstablished);
  }
}

TEST_F(WebTransportGrants, WithoutSubscribeNothingIsForwarded) {
  Peer& sender = connect("wt-sub", kAll);
  Peer& blind = connect("wt-sub", "camera,microphone,chat");
  Peer& seeing = connect("wt-sub", kAll);
  v1::Control update;
  update.mutable_update_subscriptions()->mutable_defaults()->set_video_max_height(360);
  ASSERT_TRUE(blind.client->send_control(update));
  ASSERT_TRUE(poll_until([&] { return !blind.refused.empty(); }));
  EXPECT_EQ(blind.refused[0].code(), close_code::kNotGrantedSubscribe);
  send(sender, v1::MEDIA_KIND_VIDEO, "v", 2);
  ASSERT_TRUE(poll_until([&] { return seeing.media.size() >= 3; }));
  // The blind peer's frames, had they been forwarded, were queued before the seeing peer's last.
  v1::Control ping;
  ping.mutable_ping()->set_nonce(2);
  ASSERT_TRUE(blind.client->send_control(ping));
  ASSERT_TRUE(poll_until([&] { return blind.pong; }));
  EXPECT_TRUE(blind.media.empty());
}

TEST_F(WebTransportGrants, WithoutChatTheMessageIsRefused) {
  Peer& quiet = connect("wt-chat", "camera,microphone,subscribe");
  Peer& other = connect("wt-chat", kAll);
  v1::Control chat;
  chat.mutable_send_chat()->set_text("not allowed");
  ASSERT_TRUE(quiet.client->send_control(chat));
  ASSERT_TRUE(poll_until([&] { return !quiet.refused.empty(); }));
  EXPECT_EQ(quiet.refused[0].code(), close_code::kNotGrantedChat);
  chat.mutable_send_chat()->set_text("allowed");
  ASSERT_TRUE(other.client->send_control(chat));
  ASSERT_TRUE(poll_until([&] { return !quiet.chat.empty(); }));
  EXPECT_EQ(quiet.chat.front(), "allowed") << "the refused message reached nobody";
}

}  // namespace
}  // namespace vc
