// Selective forwarding against the real server (docs/PROTOCOL.md §11): a receiver subscribed at
// 360p gets only that encoding of a simulcast camera while another gets the top one, and pausing
// the subscription stops the frames.
#include <gtest/gtest.h>

#include <string>

#include "server_harness.hpp"

namespace vc::test {
namespace {

constexpr uint32_t kCamera = 2;

v1::Envelope publish_simulcast_camera() {
  v1::Envelope envelope;
  v1::Track* track = envelope.mutable_control()->mutable_publish_track()->mutable_track();
  track->set_track_id(kCamera);
  track->set_source(v1::TRACK_SOURCE_CAMERA);
  track->set_kind(v1::MEDIA_KIND_VIDEO);
  track->set_codec(v1::CODEC_VP8);
  track->set_temporal_layers(3);
  const uint32_t heights[3] = {180, 360, 720};
  for (uint32_t s = 0; s < 3; ++s) {
    v1::VideoLayer* layer = track->add_layers();
    layer->set_spatial_layer(s);
    layer->set_height(heights[s]);
    layer->set_width(heights[s] * 16 / 9);
  }
  return envelope;
}

v1::Envelope frame(uint32_t spatial, uint32_t sequence, bool keyframe) {
  v1::Envelope envelope;
  v1::MediaHeader* header = envelope.mutable_media()->mutable_header();
  header->set_kind(v1::MEDIA_KIND_VIDEO);
  header->set_track_id(kCamera);
  header->set_spatial_layer(spatial);
  header->set_temporal_layer(keyframe ? 0 : sequence % 2 + 1);
  header->set_sequence(sequence);
  header->set_keyframe(keyframe);
  header->set_codec(v1::CODEC_VP8);
  envelope.mutable_media()->set_payload(std::string(200 * (spatial + 1), 'v'));
  return envelope;
}

v1::SubscriptionDefaults at_most(uint32_t height) {
  v1::SubscriptionDefaults defaults;
  defaults.set_video(v1::VIDEO_DEFAULT_MAX_HEIGHT);
  defaults.set_video_max_height(height);
  return defaults;
}

TEST(SelectiveForwarding, EachReceiverGetsTheEncodingItSubscribedTo) {
  ServerProcess server;
  const uint16_t port = server.port();
  const auto pub = join_meeting(port, "sfu", "Publisher");
  const auto mid = join_meeting(port, "sfu", "Mid");
  const auto top = join_meeting(port, "sfu", "Top");
  WsClient publisher(port, "/ws?token=" + pub.token);
  publisher.join();
  WsClient mid_client(port, "/ws?token=" + mid.token);
  mid_client.join(false, at_most(360));
  WsClient top_client(port, "/ws?token=" + top.token);
  top_client.join(false, at_most(0));
  publisher.send(publish_simulcast_camera());
  // Everyone sees the track in the roster before media flows.
  ASSERT_TRUE(mid_client.read_control_until([](const v1::Control& c) {
    return c.has_participant_updated() && c.participant_updated().participant().tracks_size() == 1;
  }));

  constexpr uint32_t kFrames = 12;
  for (uint32_t i = 0; i < kFrames; ++i) {
    for (uint32_t s = 0; s < 3; ++s) publisher.send(frame(s, i, i == 0));
  }
  for (uint32_t i = 0; i < kFrames; ++i) {
    const auto got = mid_client.read_media();
    ASSERT_TRUE(got) << "360p receiver lost frame " << i;
    EXPECT_EQ(got->header().spatial_layer(), 1u);
    EXPECT_EQ(got->header().sequence(), i);
    const auto got_top = top_client.read_media();
    ASSERT_TRUE(got_top) << "720p receiver lost frame " << i;
    EXPECT_EQ(got_top->header().spatial_layer(), 2u);
    EXPECT_EQ(got_top->header().sender_participant_id(), pub.participant_id);
  }

  // Pausing the subscription stops the frames; a marker from another publisher proves the
  // receiver is still being served.
  v1::Envelope pause;
  auto* sub = pause.mutable_control()->mutable_update_subscriptions()->add_set();
  sub->mutable_track()->set_publisher_participant_id(pub.participant_id);
  sub->mutable_track()->set_track_id(kCamera);
  sub->set_paused(true);
  mid_client.send(pause);
  // The pause is processed before anything the publisher sends after this round trip.
  v1::Envelope ping;
  ping.mutable_control()->mutable_ping()->set_nonce(42);
  mid_client.send(ping);
  ASSERT_TRUE(mid_client.read_control_until([](const v1::Control& c) { return c.has_pong(); }));
  for (uint32_t i = kFrames; i < kFrames + 6; ++i) {
    for (uint32_t s = 0; s < 3; ++s) publisher.send(frame(s, i, false));
  }
  top_client.send_media(v1::MEDIA_KIND_AUDIO, "marker");
  const auto next = mid_client.read_media();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->header().kind(), v1::MEDIA_KIND_AUDIO) << "paused video still arrived";
  EXPECT_EQ(next->payload(), "marker");
}

}  // namespace
}  // namespace vc::test
