// libvideocall subscriptions against the real server (docs/CLIENT.md, docs/PROTOCOL.md §11.3): a
// receiver subscribed at 180p to a two-layer camera gets only spatial layer 0, keeps that across a
// dropped connection (the client re-sends it behind Hello), and gets nothing once it pauses or
// unsubscribes with paused defaults. Hello defaults from ClientConfig cap a second receiver.
//
// Ordering without sleeps: the receiver changes its MediaState after each subscription change;
// when the publisher sees that, the server has applied the change, so frames sent afterwards are
// forwarded under it. Every wait is on an event with a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server_process.hpp"
#include "shaping_proxy.hpp"
#include "videocall/client.hpp"
#include "videocall/event_loop.hpp"

namespace vc {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kFramesPerRound = 10;

struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<client::JoinInfo> joined;
  int joins = 0;
  std::optional<client::ClientError> closed;
  uint32_t video_by_layer[2] = {0, 0};  // since the last reset
  int marker = 0;                       // payload of the last audio frame
  std::map<uint64_t, bool> peer_mic;    // latest MediaState of each peer

  template <class Predicate>
  bool wait_for(Predicate predicate, std::chrono::seconds deadline = 15s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, deadline, [&] { return predicate(*this); });
  }
  void reset_video() {
    std::lock_guard lock(mutex);
    video_by_layer[0] = video_by_layer[1] = 0;
  }
};

client::ClientEvents observe(Seen& seen) {
  client::ClientEvents events;
  events.on_joined = [&seen](const client::JoinInfo& info) {
    std::lock_guard lock(seen.mutex);
    seen.joined = info;
    ++seen.joins;
    seen.changed.notify_all();
  };
  events.on_media = [&seen](const v1::MediaHeader& header, std::span<const uint8_t> payload) {
    std::lock_guard lock(seen.mutex);
    if (header.kind() == v1::MEDIA_KIND_VIDEO && header.spatial_layer() < 2) {
      ++seen.video_by_layer[header.spatial_layer()];
    } else if (header.kind() == v1::MEDIA_KIND_AUDIO && !payload.empty()) {
      seen.marker = payload[0];
    }
    seen.changed.notify_all();
  };
  events.on_participant_updated = [&seen](const v1::Participant& peer) {
    std::lock_guard lock(seen.mutex);
    seen.peer_mic[peer.participant_id()] = peer.mic_on();
    seen.changed.notify_all();
  };
  events.on_closed = [&seen](const client::ClientError& error) {
    std::lock_guard lock(seen.mutex);
    seen.closed = error;
    seen.changed.notify_all();
  };
  return events;
}

client::ClientConfig config_for(uint16_t port, const std::string& name) {
  client::ClientConfig config;
  config.server_url = "http://127.0.0.1:" + std::to_string(port);
  config.meeting_id = "client-subscriptions";
  config.display_name = name;
  // Ordered delivery on one stream: a marker cannot overtake what was sent before it.
  config.transport = client::TransportPreference::kWebSocket;
  config.reconnect_initial_delay = 50ms;
  return config;
}

v1::Track two_layer_camera() {
  v1::Track track = client::default_track(v1::MEDIA_KIND_VIDEO, v1::CODEC_VP8, 320, 180);
  v1::VideoLayer* high = track.add_layers();
  high->set_spatial_layer(1);
  high->set_width(640);
  high->set_height(360);
  return track;
}

// One keyframe and kFramesPerRound - 1 delta frames on each layer, then an audio marker.
void send_round(client::Client& publisher, int marker, uint32_t& sequence) {
  const std::vector<uint8_t> low(300, 0x10);
  const std::vector<uint8_t> high(900, 0x20);
  for (uint32_t i = 0; i < kFramesPerRound; ++i, ++sequence) {
    for (uint32_t layer = 0; layer < 2; ++layer) {
      v1::MediaHeader header;
      header.set_kind(v1::MEDIA_KIND_VIDEO);
      header.set_codec(v1::CODEC_VP8);
      header.set_sequence(sequence);
      header.set_keyframe(i == 0);
      header.set_spatial_layer(layer);
      publisher.send_media(header, layer == 0 ? low : high);
    }
  }
  v1::MediaHeader audio;
  audio.set_kind(v1::MEDIA_KIND_AUDIO);
  audio.set_codec(v1::CODEC_OPUS);
  audio.set_sequence(static_cast<uint32_t>(marker));
  const std::vector<uint8_t> payload(1, static_cast<uint8_t>(marker));
  publisher.send_media(audio, payload);
}

TEST(ClientSubscriptions, MaxHeightPauseAndUnsubscribeSurviveAReconnect) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start()) << "server did not start";
  test::ShapingOptions proxy_options;
  proxy_options.target_port = server.port();
  test::ShapingProxy proxy(proxy_options);  // the receiver's path, dropped once

  client::EventLoop loop(2);
  Seen pub_seen;
  Seen rx_seen;
  Seen capped_seen;
  auto publisher =
      client::Client::create(loop, config_for(server.port(), "pub"), observe(pub_seen));
  publisher->publish_track(two_layer_camera());
  publisher->publish_track(client::default_track(v1::MEDIA_KIND_AUDIO, v1::CODEC_OPUS));
  auto receiver = client::Client::create(loop, config_for(proxy.port(), "rx"), observe(rx_seen));
  client::ClientConfig capped_config = config_for(server.port(), "capped");
  capped_config.subscriptions = client::video_defaults(180);  // in Hello
  auto capped = client::Client::create(loop, std::move(capped_config), observe(capped_seen));
  for (auto* c : {publisher.get(), receiver.get(), capped.get()}) c->start();
  for (Seen* s : {&pub_seen, &rx_seen, &capped_seen}) {
    ASSERT_TRUE(s->wait_for([](Seen& x) { return x.joined || x.closed; }));
    ASSERT_TRUE(s->joined) << s->closed->message;
  }
  const uint64_t pub_id = pub_seen.joined->participant_id;
  const uint64_t rx_id = rx_seen.joined->participant_id;

  bool mic = false;
  // The receiver's subscription changes are applied once the publisher sees its mic flip.
  const auto sync = [&] {
    mic = !mic;
    v1::MediaState state;
    state.set_mic_on(mic);
    receiver->set_media_state(state);
    ASSERT_TRUE(pub_seen.wait_for([&](Seen& s) {
      const auto it = s.peer_mic.find(rx_id);
      return it != s.peer_mic.end() && it->second == mic;
    })) << "publisher never saw the receiver's state change";
  };
  uint32_t sequence = 0;
  int marker = 0;
  // Sends a round and waits until the receiver has the marker and `layer` frames (if any).
  const auto send_and_wait = [&](Seen& seen, std::optional<uint32_t> layer) {
    seen.reset_video();
    send_round(*publisher, ++marker, sequence);
    return seen.wait_for([&](Seen& s) {
      return s.marker == marker && (!layer || s.video_by_layer[*layer] >= kFramesPerRound);
    });
  };

  // No subscription yet: the highest layer (the server's default); Hello defaults cap at 180p.
  capped_seen.reset_video();
  ASSERT_TRUE(send_and_wait(rx_seen, 1));
  EXPECT_EQ(rx_seen.video_by_layer[0], 0u);
  ASSERT_TRUE(capped_seen.wait_for(
      [&](Seen& s) { return s.marker == marker && s.video_by_layer[0] >= kFramesPerRound; }));
  EXPECT_EQ(capped_seen.video_by_layer[1], 0u);

  v1::UpdateSubscriptions at_180;
  *at_180.add_set() = client::track_subscription(pub_id, client::kCameraTrackId, 180);
  receiver->update_subscriptions(at_180);
  sync();
  ASSERT_TRUE(send_and_wait(rx_seen, 0));
  EXPECT_EQ(rx_seen.video_by_layer[1], 0u) << "subscribed at 180p, got the 360p layer";

  // The connection drops; the server resumes the identity with Hello's (absent) defaults, and the
  // client re-sends the explicit subscription behind Hello.
  proxy.drop_connections();
  ASSERT_TRUE(rx_seen.wait_for([](Seen& s) { return s.joins >= 2; }));
  EXPECT_TRUE(rx_seen.joined->resumed);
  sync();
  ASSERT_TRUE(send_and_wait(rx_seen, 0));
  EXPECT_EQ(rx_seen.video_by_layer[1], 0u) << "the 180p subscription was lost on reconnect";

  v1::UpdateSubscriptions pause;
  *pause.add_set() = client::track_subscription(pub_id, client::kCameraTrackId, 0, true);
  receiver->update_subscriptions(pause);
  sync();
  ASSERT_TRUE(send_and_wait(rx_seen, std::nullopt));
  EXPECT_EQ(rx_seen.video_by_layer[0] + rx_seen.video_by_layer[1], 0u) << "paused, got video";

  // Unsubscribe: back to the defaults, which are now "no video".
  v1::UpdateSubscriptions unsubscribe;
  v1::TrackRef* ref = unsubscribe.add_remove();
  ref->set_publisher_participant_id(pub_id);
  ref->set_track_id(client::kCameraTrackId);
  *unsubscribe.mutable_defaults() = client::video_defaults(0, /*paused=*/true);
  receiver->update_subscriptions(unsubscribe);
  sync();
  ASSERT_TRUE(send_and_wait(rx_seen, std::nullopt));
  EXPECT_EQ(rx_seen.video_by_layer[0] + rx_seen.video_by_layer[1], 0u) << "unsubscribed, got video";

  for (auto* c : {publisher.get(), receiver.get(), capped.get()}) c->leave();
  for (Seen* s : {&pub_seen, &rx_seen, &capped_seen}) {
    EXPECT_TRUE(s->wait_for([](Seen& x) { return x.closed.has_value(); }));
  }
  loop.drain();
}

}  // namespace
}  // namespace vc
