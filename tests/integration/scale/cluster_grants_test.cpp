// Grants across nodes (docs/PROTOCOL.md §13): a room spread over two videocall-server nodes and a
// real nats-server, with libvideocall participants joined by room tokens that lack one grant each.
// What a participant may not do is refused with its numeric code on its own node and reaches no one
// on either node; granted traffic crosses the bus as usual.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "harness.hpp"
#include "node_fixture.hpp"
#include "protocol/close_codes.hpp"
#include "server/auth/grants_claim.hpp"
#include "server/auth/room_token.hpp"

namespace vc::scale_test {
namespace {

constexpr const char* kAll = "camera,microphone,screen,subscribe,chat";

class ClusterGrants : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("vc-cluster-grants-");
    const std::string secret_file = dir_ + "/token_secret";
    std::ofstream(secret_file) << std::string(64, 'c') << "\n";
    ::chmod(secret_file.c_str(), 0600);
    for (int i = 0; i < 2; ++i) {
      nodes_.push_back(std::make_unique<Node>(dir_ + "/node" + std::to_string(i), secret_file,
                                              nats_.url(), /*database_url=*/""));
    }
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& node : nodes_) std::cerr << "---- node log ----\n" << node->log() << "\n";
    }
    participants_.clear();
    loop_.stop();
    nodes_.clear();
    remove_tree(dir_);
  }

  // Joins `node` with a token signed with the deployment's shared secret, narrowed to `grants`.
  Participant& join(const std::string& name, int node, const char* grants) {
    auth::RoomClaims claims;
    claims.meeting_id = "grants";
    claims.display_name = name;
    claims.participant_id = auth::random_id53();
    const auto claim = auth::grants_claim_from_names(grants);
    claims.grants = *auth::grants_from_claim(claims.role, &*claim);
    claims.issued_at = auth::unix_now();
    claims.expires_at = claims.issued_at + 300;
    const std::string token = auth::sign_room_token(claims, std::vector<uint8_t>(64 / 2, 0xcc));
    participants_.push_back(std::make_unique<Participant>(
        loop_, name, "grants", std::vector<std::string>{nodes_[node]->url()}, token));
    Participant& p = *participants_.back();
    EXPECT_TRUE(p.wait_joined(1, 10s)) << name << " did not join";
    return p;
  }

  NatsServer nats_;
  std::string dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
  client::EventLoop loop_{2};
  std::vector<std::unique_ptr<Participant>> participants_;
};

TEST_F(ClusterGrants, EachGrantIsEnforcedWithTheRoomOverTwoNodes) {
  Participant& no_camera = join("NoCamera", 0, "microphone,screen,subscribe,chat");
  Participant& no_microphone = join("NoMicrophone", 0, "camera,screen,subscribe,chat");
  Participant& blind = join("Blind", 0, "camera,microphone,screen,chat");
  Participant& quiet = join("Quiet", 0, "camera,microphone,screen,subscribe");
  Participant& remote = join("Remote", 1, kAll);
  ASSERT_TRUE(remote.wait_roster(4, 10s)) << "the room spans both nodes";
  ASSERT_TRUE(no_camera.wait_roster(4, 10s));

  // Publishing: the ungranted source is refused on its node and never crosses the bus; the
  // granted one does.
  for (uint32_t i = 0; i < 3; ++i) {
    no_camera.send_frame(i, v1::MEDIA_KIND_VIDEO);
    no_microphone.send_frame(i, v1::MEDIA_KIND_AUDIO);
    no_camera.send_frame(i, v1::MEDIA_KIND_AUDIO);
    no_microphone.send_frame(i, v1::MEDIA_KIND_VIDEO);
  }
  ASSERT_TRUE(no_camera.wait_for_refused(close_code::kNotGrantedCamera, 5s));
  ASSERT_TRUE(no_microphone.wait_for_refused(close_code::kNotGrantedMicrophone, 5s));
  ASSERT_TRUE(remote.wait_media_of_kind(no_camera.id(), v1::MEDIA_KIND_AUDIO, 3, 5s))
      << "granted media crosses to the other node";
  ASSERT_TRUE(remote.wait_media_of_kind(no_microphone.id(), v1::MEDIA_KIND_VIDEO, 3, 5s));
  EXPECT_EQ(remote.media_count(no_camera.id(), v1::MEDIA_KIND_VIDEO), 0u);
  EXPECT_EQ(remote.media_count(no_microphone.id(), v1::MEDIA_KIND_AUDIO), 0u);

  // Subscribing: media from the other node reaches those with the grant, not the blind one.
  for (uint32_t i = 0; i < 3; ++i) remote.send_frame(i, v1::MEDIA_KIND_VIDEO);
  ASSERT_TRUE(quiet.wait_media_of_kind(remote.id(), v1::MEDIA_KIND_VIDEO, 3, 5s));
  ASSERT_TRUE(no_camera.wait_media_of_kind(remote.id(), v1::MEDIA_KIND_VIDEO, 3, 5s));
  EXPECT_EQ(blind.media_count(remote.id()), 0u);
  v1::UpdateSubscriptions update;
  update.mutable_defaults()->set_video_max_height(180);
  blind.client().update_subscriptions(update);
  ASSERT_TRUE(blind.wait_for_refused(close_code::kNotGrantedSubscribe, 5s));

  // Chat: refused on its node, never seen on the other; a granted message reaches everyone.
  quiet.client().send_chat("not allowed");
  ASSERT_TRUE(quiet.wait_for_refused(close_code::kNotGrantedChat, 5s));
  no_camera.client().send_chat("allowed");
  ASSERT_TRUE(remote.wait_chat("allowed", 5s));
  ASSERT_TRUE(quiet.wait_chat("allowed", 5s));
  EXPECT_EQ(remote.chat_texts(), std::vector<std::string>{"allowed"});
}

}  // namespace
}  // namespace vc::scale_test
