// Selective forwarding in the room on virtual time (docs/PROTOCOL.md §11): tracks, subscriptions,
// layer choice per receiver, the GOP cache, keyframe requests per encoding, last-N and top-K.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "recorder.hpp"
#include "server/room/room.hpp"

namespace vc::room {
namespace {

// The shared recorder plus what these tests ask of it.
class Receiver : public test::Recorder {
 public:
  int frames_of(uint64_t publisher, uint32_t track, int spatial = -1) const {
    int n = 0;
    for (const auto& h : media) {
      n += h.sender_participant_id() == publisher && h.track_id() == track &&
           (spatial < 0 || h.spatial_layer() == static_cast<uint32_t>(spatial));
    }
    return n;
  }
  std::vector<v1::KeyframeRequest> keyframe_requests() const {
    std::vector<v1::KeyframeRequest> out;
    for (const auto& c : control) {
      if (c.has_keyframe_request()) out.push_back(c.keyframe_request());
    }
    return out;
  }
};

constexpr uint32_t kMic = 1;
constexpr uint32_t kCamera = 2;
constexpr uint32_t kScreen = 3;

class RoomForwardingTest : public ::testing::Test {
 protected:
  RoomForwardingTest() : room_("demo", [this] { return now_; }) {}

  void join(Endpoint& endpoint, uint64_t id,
            std::optional<v1::SubscriptionDefaults> defaults = std::nullopt) {
    JoinRequest request;
    request.identity = Identity{id, "p" + std::to_string(id), v1::PARTICIPANT_ROLE_PARTICIPANT};
    request.session_id = id;
    request.subscriptions = std::move(defaults);
    room_.join(endpoint, request);
  }

  void publish_camera(uint64_t id, int layers = 3, uint32_t track_id = kCamera,
                      v1::TrackSource source = v1::TRACK_SOURCE_CAMERA) {
    v1::Control control;
    v1::Track* track = control.mutable_publish_track()->mutable_track();
    track->set_track_id(track_id);
    track->set_source(source);
    track->set_kind(source == v1::TRACK_SOURCE_SCREEN ? v1::MEDIA_KIND_SCREEN
                                                      : v1::MEDIA_KIND_VIDEO);
    track->set_codec(v1::CODEC_VP8);
    track->set_temporal_layers(3);
    const uint32_t heights[3] = {180, 360, 720};
    const uint32_t rates[3] = {150'000, 500'000, 1'500'000};
    for (int s = 0; s < layers; ++s) {
      v1::VideoLayer* layer = track->add_layers();
      layer->set_spatial_layer(s);
      layer->set_height(heights[s]);
      layer->set_width(heights[s] * 16 / 9);
      layer->set_max_bitrate_bps(rates[s]);
    }
    room_.on_control(id, control);
  }

  void publish_mic(uint64_t id) {
    v1::Control control;
    v1::Track* track = control.mutable_publish_track()->mutable_track();
    track->set_track_id(kMic);
    track->set_source(v1::TRACK_SOURCE_MICROPHONE);
    track->set_kind(v1::MEDIA_KIND_AUDIO);
    track->set_codec(v1::CODEC_OPUS);
    room_.on_control(id, control);
  }

  void video(uint64_t from, uint8_t spatial, uint8_t temporal, bool keyframe,
             uint32_t track_id = kCamera, std::size_t bytes = 1000,
             v1::MediaKind kind = v1::MEDIA_KIND_VIDEO) {
    v1::MediaHeader header;
    header.set_kind(kind);
    header.set_track_id(track_id);
    header.set_spatial_layer(spatial);
    header.set_temporal_layer(temporal);
    header.set_keyframe(keyframe);
    const std::string payload(bytes, 'v');
    room_.on_media(from, header,
                   {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
  }

  // One frame of every encoding, as a simulcast camera sends them.
  void simulcast_frame(uint64_t from, uint8_t temporal, bool keyframe, int layers = 3) {
    for (int s = 0; s < layers; ++s) video(from, static_cast<uint8_t>(s), temporal, keyframe);
  }

  void audio(uint64_t from, uint8_t level) {
    v1::MediaHeader header;
    header.set_kind(v1::MEDIA_KIND_AUDIO);
    header.set_track_id(kMic);
    header.set_audio_level(level);
    const std::string payload(80, 'a');
    room_.on_media(from, header,
                   {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
  }

  void subscribe(uint64_t receiver, uint64_t publisher, uint32_t track, uint32_t max_height,
                 bool paused = false) {
    v1::Control control;
    auto* sub = control.mutable_update_subscriptions()->add_set();
    sub->mutable_track()->set_publisher_participant_id(publisher);
    sub->mutable_track()->set_track_id(track);
    sub->set_max_height(max_height);
    sub->set_paused(paused);
    room_.on_control(receiver, control);
  }

  void advance(std::chrono::milliseconds step) {
    now_ += step;
    if (auto deadline = room_.next_deadline(); deadline && *deadline <= now_) room_.on_timer();
  }

  static v1::SubscriptionDefaults video_default(v1::VideoDefault mode, uint32_t height = 0) {
    v1::SubscriptionDefaults defaults;
    defaults.set_video(mode);
    defaults.set_video_max_height(height);
    return defaults;
  }

  TimePoint now_{};
  Room room_;
};

TEST_F(RoomForwardingTest, MediaOnAnUnpublishedTrackIsDroppedAndCounted) {
  Receiver a, b;
  join(a, 1);
  join(b, 2);
  video(1, 0, 0, true);
  EXPECT_TRUE(b.media.empty());
  EXPECT_EQ(room_.stats().media_unknown_track, 1u);
  publish_camera(1, 1);
  video(1, 1, 0, true);                                       // an encoding not on offer
  video(1, 0, 0, true, kCamera, 1000, v1::MEDIA_KIND_AUDIO);  // wrong kind for the track
  EXPECT_TRUE(b.media.empty());
  EXPECT_EQ(room_.stats().media_unknown_track, 3u);
  video(1, 0, 0, true);
  EXPECT_EQ(b.frames_of(1, kCamera), 1);
}

TEST_F(RoomForwardingTest, PublishedTracksReachTheRosterAndInvalidOnesAreRefused) {
  Receiver a, b;
  join(a, 1);
  join(b, 2);
  publish_camera(1);
  ASSERT_FALSE(b.control.empty());
  ASSERT_TRUE(b.control.back().has_participant_updated());
  const v1::Participant& p = b.control.back().participant_updated().participant();
  ASSERT_EQ(p.tracks_size(), 1);
  EXPECT_EQ(p.tracks(0).layers_size(), 3);
  const std::size_t before = b.control.size();
  publish_camera(1, 3, kCamera, v1::TRACK_SOURCE_SCREEN);  // source cannot change
  publish_camera(1, 3, 0);                                 // id 0 is invalid
  EXPECT_EQ(b.control.size(), before);
  EXPECT_EQ(room_.stats().tracks_refused, 2u);
  Receiver c;
  join(c, 3);
  ASSERT_EQ(c.control[0].join_accepted().roster(0).tracks_size(), 1);
}

TEST_F(RoomForwardingTest, ReceiverSubscribedAt360GetsOnlyThatEncoding) {
  Receiver a, b, c;
  join(a, 1);
  join(b, 2, video_default(v1::VIDEO_DEFAULT_MAX_HEIGHT, 360));
  join(c, 3);  // no defaults: the highest encoding
  publish_camera(1);
  for (int i = 0; i < 5; ++i) simulcast_frame(1, static_cast<uint8_t>(i % 3), i == 0);
  EXPECT_EQ(b.frames_of(1, kCamera, 1), 5);
  EXPECT_EQ(b.frames_of(1, kCamera), 5);
  EXPECT_EQ(c.frames_of(1, kCamera, 2), 5);
  EXPECT_EQ(c.frames_of(1, kCamera), 5);
}

TEST_F(RoomForwardingTest, PausedAndUnsubscribedTracksForwardNothing) {
  Receiver a, b, c;
  join(a, 1);
  join(b, 2, video_default(v1::VIDEO_DEFAULT_PAUSED));
  join(c, 3);
  publish_camera(1, 1);
  publish_mic(1);
  subscribe(3, 1, kCamera, 0, /*paused=*/true);
  subscribe(3, 1, kMic, 0, /*paused=*/true);
  video(1, 0, 0, true);
  audio(1, 30);
  EXPECT_EQ(b.frames_of(1, kCamera), 0);
  EXPECT_EQ(b.frames_of(1, kMic), 1);  // audio is wanted by default
  EXPECT_EQ(c.frames_of(1, kCamera), 0);
  EXPECT_EQ(c.frames_of(1, kMic), 0);
  EXPECT_GE(room_.stats().frames_not_subscribed, 3u);
  // Subscribing starts the stream from the cached keyframe at once.
  subscribe(2, 1, kCamera, 180);
  video(1, 0, 0, false);
  EXPECT_EQ(b.frames_of(1, kCamera), 2);
  EXPECT_EQ(room_.stats().gop_cache_starts, 1u);
  // Unsubscribing (pause) stops the frames.
  subscribe(2, 1, kCamera, 180, true);
  video(1, 0, 0, false);
  EXPECT_EQ(b.frames_of(1, kCamera), 2);
}

TEST_F(RoomForwardingTest, NewSubscriberStartsFromTheCacheWithoutAKeyframeRequest) {
  Receiver a, b, c;
  join(a, 1);
  join(b, 2);
  publish_camera(1, 1);
  video(1, 0, 0, true);
  video(1, 0, 2, false);
  video(1, 0, 1, false);
  join(c, 3);
  video(1, 0, 2, false);
  // The replay is the base layer only (here the keyframe): upper layers wait for the next T0,
  // since the T2 frames reference the T1 frame that was not replayed.
  ASSERT_EQ(c.frames_of(1, kCamera), 1);
  EXPECT_TRUE(c.media.front().keyframe());
  video(1, 0, 1, false);
  EXPECT_EQ(c.frames_of(1, kCamera), 1);
  video(1, 0, 0, false);
  video(1, 0, 2, false);
  video(1, 0, 1, false);
  EXPECT_EQ(c.frames_of(1, kCamera), 4);
  EXPECT_EQ(b.frames_of(1, kCamera), 8);  // the subscriber from the start misses nothing
  EXPECT_TRUE(a.keyframe_requests().empty());
}

TEST_F(RoomForwardingTest, ReplayOfALongGopIsItsBaseLayer) {
  Receiver a, b, c;
  join(a, 1);
  join(b, 2);
  publish_camera(1, 1);
  const uint8_t pattern[4] = {0, 2, 1, 2};  // L1T3
  for (int i = 0; i < 40; ++i) video(1, 0, pattern[i % 4], i == 0);
  join(c, 3);
  video(1, 0, 0, false);  // the 11th T0 since the keyframe
  ASSERT_EQ(c.frames_of(1, kCamera), 11);
  for (const auto& header : c.media) EXPECT_EQ(header.temporal_layer(), 0u);
  EXPECT_TRUE(c.media.front().keyframe());
  EXPECT_EQ(room_.stats().gop_cache_starts, 2u);  // b at the keyframe, c mid-GOP
  EXPECT_EQ(b.frames_of(1, kCamera), 41);         // b's start skipped nothing: all layers flow
}

TEST_F(RoomForwardingTest, SpatialSwitchWaitsForTheTargetKeyframeAndAsksForIt) {
  Receiver a, b;
  join(a, 1);
  join(b, 2, video_default(v1::VIDEO_DEFAULT_MAX_HEIGHT, 180));
  publish_camera(1);
  simulcast_frame(1, 0, true);
  simulcast_frame(1, 1, false);
  ASSERT_EQ(b.frames_of(1, kCamera, 0), 2);
  subscribe(2, 1, kCamera, 720);
  simulcast_frame(1, 2, false);
  // Still the old encoding, and a keyframe request for encoding 2 went to the publisher.
  EXPECT_EQ(b.frames_of(1, kCamera, 0), 3);
  EXPECT_EQ(b.frames_of(1, kCamera, 2), 0);
  const auto requests = a.keyframe_requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].spatial_layer(), 2u);
  EXPECT_EQ(requests[0].track_id(), kCamera);
  EXPECT_EQ(requests[0].requester_participant_id(), 2u);
  simulcast_frame(1, 0, false);  // more requests within the window are coalesced
  EXPECT_EQ(a.keyframe_requests().size(), 1u);
  video(1, 2, 0, true);
  video(1, 0, 0, false);
  video(1, 2, 2, false);
  EXPECT_EQ(b.frames_of(1, kCamera, 2), 2);
  EXPECT_EQ(b.frames_of(1, kCamera, 0), 4);
  EXPECT_EQ(room_.stats().layer_switches, 1u);
}

TEST_F(RoomForwardingTest, ScreenShareAndCameraAreSeparateTracks) {
  Receiver a, b;
  join(a, 1);
  join(b, 2, video_default(v1::VIDEO_DEFAULT_PAUSED));
  publish_camera(1, 1);
  publish_camera(1, 1, kScreen, v1::TRACK_SOURCE_SCREEN);
  subscribe(2, 1, kScreen, 0);
  video(1, 0, 0, true);
  video(1, 0, 0, true, kScreen, 300'000, v1::MEDIA_KIND_SCREEN);  // a large text keyframe
  EXPECT_EQ(b.frames_of(1, kCamera), 0);
  EXPECT_EQ(b.frames_of(1, kScreen), 1);
  v1::Control unpublish;
  unpublish.mutable_unpublish_track()->set_track_id(kScreen);
  room_.on_control(1, unpublish);
  video(1, 0, 0, true, kScreen, 1000, v1::MEDIA_KIND_SCREEN);
  EXPECT_EQ(b.frames_of(1, kScreen), 1);
}

TEST_F(RoomForwardingTest, LastNFollowsTheDominantSpeaker) {
  Receiver p1, p2, viewer;
  join(p1, 1);
  join(p2, 2);
  v1::SubscriptionDefaults defaults = video_default(v1::VIDEO_DEFAULT_PAUSED);
  defaults.set_last_n(1);
  join(viewer, 3, defaults);
  for (uint64_t id : {1, 2}) {
    publish_camera(id, 1);
    publish_mic(id);
  }
  // Participant 2 talks for three seconds; participant 1 is silent.
  for (int i = 0; i < 150; ++i) {
    audio(1, 127);
    audio(2, 20);
    advance(std::chrono::milliseconds(20));
  }
  bool announced = false;
  for (const auto& c : viewer.control) {
    announced |= c.has_active_speakers() && c.active_speakers().dominant_participant_id() == 2;
  }
  EXPECT_TRUE(announced);
  video(1, 0, 0, true);
  video(2, 0, 0, true);
  EXPECT_EQ(viewer.frames_of(1, kCamera), 0);
  EXPECT_EQ(viewer.frames_of(2, kCamera), 1);
}

TEST_F(RoomForwardingTest, LargeRoomsForwardOnlyTheLoudestAudio) {
  room_.set_forwarding(ForwardingConfig{3, 1});
  Receiver r[4];
  for (uint64_t id = 1; id <= 4; ++id) join(r[id - 1], id);
  for (uint64_t id = 1; id <= 3; ++id) publish_mic(id);
  for (int i = 0; i < 100; ++i) {
    audio(1, 25);
    audio(2, 110);
    audio(3, 120);
    advance(std::chrono::milliseconds(20));
  }
  const int before2 = r[3].frames_of(2, kMic);
  const int before1 = r[3].frames_of(1, kMic);
  audio(1, 25);
  audio(2, 110);
  EXPECT_EQ(r[3].frames_of(1, kMic), before1 + 1);
  EXPECT_EQ(r[3].frames_of(2, kMic), before2);
  EXPECT_GT(room_.stats().audio_not_top_k, 0u);
}

TEST_F(RoomForwardingTest, ARoomThatJustGrewLargeKeepsEveryAudioUntilItIsRanked) {
  room_.set_forwarding(ForwardingConfig{2, 1});
  Receiver r[3];
  for (uint64_t id = 1; id <= 3; ++id) join(r[id - 1], id);
  publish_mic(1);
  publish_mic(2);
  // Large from the first frame, before any periodic ranking: both are still heard.
  audio(1, 30);
  audio(2, 30);
  EXPECT_EQ(r[2].frames_of(1, kMic), 1);
  EXPECT_EQ(r[2].frames_of(2, kMic), 1);
  EXPECT_EQ(room_.stats().audio_not_top_k, 0u);
}

TEST_F(RoomForwardingTest, ALargeRoomWithKOrFewerAudioPublishersForwardsAllOfThem) {
  room_.set_forwarding(ForwardingConfig{2, 1});
  Receiver r[3];
  for (uint64_t id = 1; id <= 3; ++id) join(r[id - 1], id);
  publish_mic(1);
  for (int i = 0; i < 50; ++i) {
    audio(1, 127);  // silent, and still the only one: nothing to choose between
    advance(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(r[2].frames_of(1, kMic), 50);
}

TEST_F(RoomForwardingTest, OneSlowReceiverDoesNotLowerWhatAnotherGets) {
  Receiver a, fast;
  join(a, 1);
  join(fast, 2);
  // A receiver that never drains: its estimate falls, the other's does not.
  class Stuck : public Endpoint {
   public:
    void on_queue_ready() override {}
    void close_with_error(uint32_t, std::string_view) override {}
  } slow;
  join(slow, 3);
  publish_camera(1);
  for (int i = 0; i < 200; ++i) {
    simulcast_frame(1, static_cast<uint8_t>(i % 3), i % 60 == 0);
    advance(std::chrono::milliseconds(33));
  }
  const int top_before = fast.frames_of(1, kCamera, 2);
  EXPECT_GT(top_before, 150);
  EXPECT_EQ(fast.frames_of(1, kCamera, 0), 0);
}

TEST_F(RoomForwardingTest, TheTransportsHintCapsOnlyItsOwnReceiver) {
  // A receiver that keeps up (its queue never backs up) but whose transport reports a narrow
  // path (WebTransport's cwnd / RTT, quic/congestion_hint.hpp): the room samples the hint and
  // the receiver steps down to the lowest encoding; a receiver without a hint keeps the top one.
  class Hinted : public Receiver {
   public:
    std::optional<uint64_t> transport_bandwidth_bps() override {
      ++samples;
      return 200'000;
    }
    int samples = 0;
  } hinted;
  Receiver publisher, plain;
  join(publisher, 1);
  join(hinted, 2);
  join(plain, 3);
  publish_camera(1);
  for (int i = 0; i < 120; ++i) {
    simulcast_frame(1, static_cast<uint8_t>(i % 3), i % 30 == 0);
    advance(std::chrono::milliseconds(33));
  }
  EXPECT_GT(hinted.samples, 10);
  const int low_before = hinted.frames_of(1, kCamera, 0);
  const int high_before = hinted.frames_of(1, kCamera, 2);
  for (int i = 120; i < 240; ++i) {
    simulcast_frame(1, static_cast<uint8_t>(i % 3), i % 30 == 0);
    advance(std::chrono::milliseconds(33));
  }
  EXPECT_GT(hinted.frames_of(1, kCamera, 0) - low_before, 40);
  EXPECT_EQ(hinted.frames_of(1, kCamera, 2), high_before) << "top encoding despite the hint";
  EXPECT_EQ(hinted.frames_of(1, kCamera, 1), 0);
  EXPECT_GT(plain.frames_of(1, kCamera, 2), 200);
  EXPECT_EQ(plain.frames_of(1, kCamera, 0), 0);
}

}  // namespace
}  // namespace vc::room
