// The selective-forwarding policies on their own: a forwarder's switches, layer allocation under a
// bandwidth cap, subscription resolution and track validation (docs/PROTOCOL.md §11).
#include <gtest/gtest.h>

#include <vector>

#include "server/room/layer_allocator.hpp"
#include "server/room/published_track.hpp"
#include "server/room/subscriptions.hpp"
#include "server/room/video_forwarder.hpp"

namespace vc::room {
namespace {

constexpr bool kKey = true;
constexpr bool kDelta = false;

TEST(VideoForwarder, StartsOnlyAtAKeyframeOfTheTargetEncoding) {
  VideoForwarder f;
  f.set_target({false, 1, 2});
  EXPECT_EQ(f.keyframe_needed(), std::optional<uint8_t>(1));
  EXPECT_EQ(f.on_frame(1, 0, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.on_frame(0, 0, kKey), ForwardDecision::kDrop);  // another encoding's keyframe
  EXPECT_EQ(f.on_frame(1, 0, kKey), ForwardDecision::kForward);
  EXPECT_EQ(f.current(), std::optional<uint8_t>(1));
  EXPECT_FALSE(f.keyframe_needed());
  EXPECT_EQ(f.on_frame(1, 2, kDelta), ForwardDecision::kForward);
  EXPECT_EQ(f.on_frame(0, 0, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.spatial_switches(), 0u);
}

TEST(VideoForwarder, SwitchesEncodingOnlyAtTheTargetsKeyframe) {
  VideoForwarder f;
  f.set_target({false, 0, 2});
  ASSERT_EQ(f.on_frame(0, 0, kKey), ForwardDecision::kForward);
  f.set_target({false, 2, 2});
  // The old encoding keeps flowing until the new one's keyframe.
  EXPECT_EQ(f.on_frame(0, 1, kDelta), ForwardDecision::kForward);
  EXPECT_EQ(f.on_frame(2, 0, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.keyframe_needed(), std::optional<uint8_t>(2));
  EXPECT_EQ(f.on_frame(2, 0, kKey), ForwardDecision::kForward);
  EXPECT_EQ(f.on_frame(0, 0, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.spatial_switches(), 1u);
}

TEST(VideoForwarder, DropsTemporalLayersAboveTheCapAndRaisesItOnlyAtLayerZero) {
  VideoForwarder f;
  f.set_target({false, 0, 2});
  ASSERT_EQ(f.on_frame(0, 0, kKey), ForwardDecision::kForward);
  f.set_target({false, 0, 0});
  EXPECT_EQ(f.on_frame(0, 2, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.on_frame(0, 1, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.on_frame(0, 0, kDelta), ForwardDecision::kForward);
  f.set_target({false, 0, 2});
  // A T2 frame right after the raise may reference a T1 frame that was not forwarded.
  EXPECT_EQ(f.on_frame(0, 2, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.on_frame(0, 0, kDelta), ForwardDecision::kForward);
  EXPECT_EQ(f.on_frame(0, 2, kDelta), ForwardDecision::kForward);
}

TEST(VideoForwarder, PausedForwardsNothingAndRestartsAtAKeyframe) {
  VideoForwarder f;
  f.set_target({false, 0, 2});
  ASSERT_EQ(f.on_frame(0, 0, kKey), ForwardDecision::kForward);
  f.set_target({true, 0, 0});
  EXPECT_EQ(f.on_frame(0, 0, kKey), ForwardDecision::kDrop);
  EXPECT_FALSE(f.keyframe_needed());
  f.set_target({false, 0, 2});
  EXPECT_EQ(f.on_frame(0, 0, kDelta), ForwardDecision::kDrop);
  EXPECT_EQ(f.on_frame(0, 0, kKey), ForwardDecision::kForward);
}

LayerRates simulcast_rates() {
  // 180p 150 kbps, 360p 500 kbps, 720p 1.5 Mbps; temporal layers 50 % / 70 % / 100 %.
  LayerRates rates;
  rates.spatial_count = 3;
  rates.temporal_count = 3;
  const uint64_t top[3] = {150'000, 500'000, 1'500'000};
  for (int s = 0; s < 3; ++s) {
    rates.bps[s][0] = top[s] / 2;
    rates.bps[s][1] = top[s] * 7 / 10;
    rates.bps[s][2] = top[s];
  }
  return rates;
}

TEST(LayerAllocator, PicksTheHighestAllowedLayerWhenBandwidthIsAmple) {
  std::vector<AllocationRequest> requests{{100, 2, simulcast_rates()}, {100, 1, simulcast_rates()}};
  std::vector<LayerTarget> out(2);
  allocate_layers(10'000'000, requests, out);
  EXPECT_EQ(out[0], (LayerTarget{false, 2, 2}));
  EXPECT_EQ(out[1], (LayerTarget{false, 1, 2}));
}

TEST(LayerAllocator, DropsTemporalLayersBeforeSteppingDownAnEncoding) {
  std::vector<AllocationRequest> requests{{100, 2, simulcast_rates()}};
  std::vector<LayerTarget> out(1);
  allocate_layers(1'100'000, requests, out);  // 720p with T0+T1 = 1.05 Mbps fits, all 1.5 does not
  EXPECT_EQ(out[0], (LayerTarget{false, 2, 1}));
  allocate_layers(800'000, requests, out);  // 720p base (750 kbps) still fits
  EXPECT_EQ(out[0], (LayerTarget{false, 2, 0}));
  allocate_layers(600'000, requests, out);  // only 360p fits now, with all temporal layers
  EXPECT_EQ(out[0], (LayerTarget{false, 1, 2}));
  allocate_layers(10'000, requests, out);  // the lowest option is always kept
  EXPECT_EQ(out[0], (LayerTarget{false, 0, 0}));
}

TEST(LayerAllocator, ServesHigherPriorityFirst) {
  std::vector<AllocationRequest> requests{{180, 2, simulcast_rates()}, {720, 2, simulcast_rates()}};
  std::vector<LayerTarget> out(2);
  allocate_layers(1'700'000, requests, out);
  EXPECT_EQ(out[1], (LayerTarget{false, 2, 2}));  // the large tile gets 720p
  EXPECT_EQ(out[0].spatial, 0);                   // the small one what is left
}

TEST(LayerAllocator, UnmeasuredLayersCountAsFree) {
  LayerRates unknown;
  unknown.spatial_count = 3;
  unknown.temporal_count = 3;
  std::vector<AllocationRequest> requests{{100, 2, unknown}};
  std::vector<LayerTarget> out(1);
  allocate_layers(1, requests, out);
  EXPECT_EQ(out[0], (LayerTarget{false, 2, 2}));
}

TrackKey key(uint64_t publisher, uint32_t track) {
  return TrackKey{publisher, track};
}

TEST(Subscriptions, WithoutDefaultsEverythingAtTheHighestLayer) {
  Subscriptions subs;
  EXPECT_EQ(subs.resolve(key(1, 2), v1::MEDIA_KIND_VIDEO, v1::TRACK_SOURCE_CAMERA, false), Want{});
  EXPECT_EQ(subs.resolve(key(1, 1), v1::MEDIA_KIND_AUDIO, v1::TRACK_SOURCE_MICROPHONE, false),
            Want{});
}

TEST(Subscriptions, ExplicitBeatsLastNBeatsDefaults) {
  v1::SubscriptionDefaults defaults;
  defaults.set_video(v1::VIDEO_DEFAULT_PAUSED);
  defaults.set_last_n(2);
  defaults.set_last_n_max_height(360);
  Subscriptions subs(defaults);
  EXPECT_TRUE(subs.resolve(key(1, 2), v1::MEDIA_KIND_VIDEO, v1::TRACK_SOURCE_CAMERA, false).paused);
  EXPECT_EQ(subs.resolve(key(1, 2), v1::MEDIA_KIND_VIDEO, v1::TRACK_SOURCE_CAMERA, true),
            (Want{false, 360}));
  // last-N is about cameras: a recent speaker's screen follows the default.
  EXPECT_TRUE(subs.resolve(key(1, 3), v1::MEDIA_KIND_SCREEN, v1::TRACK_SOURCE_SCREEN, true).paused);
  v1::UpdateSubscriptions update;
  auto* sub = update.add_set();
  sub->mutable_track()->set_publisher_participant_id(1);
  sub->mutable_track()->set_track_id(2);
  sub->set_max_height(720);
  EXPECT_TRUE(subs.apply(update));
  EXPECT_EQ(subs.resolve(key(1, 2), v1::MEDIA_KIND_VIDEO, v1::TRACK_SOURCE_CAMERA, true),
            (Want{false, 720}));
  v1::UpdateSubscriptions removal;
  auto* ref = removal.add_remove();
  ref->set_publisher_participant_id(1);
  ref->set_track_id(2);
  subs.apply(removal);
  EXPECT_TRUE(subs.resolve(key(1, 2), v1::MEDIA_KIND_VIDEO, v1::TRACK_SOURCE_CAMERA, false).paused);
}

TEST(Subscriptions, ExplicitEntriesAreBounded) {
  Subscriptions subs;
  v1::UpdateSubscriptions update;
  for (uint32_t i = 0; i <= limits::kMaxSubscriptionsPerReceiver; ++i) {
    auto* sub = update.add_set();
    sub->mutable_track()->set_publisher_participant_id(1000 + i);
    sub->mutable_track()->set_track_id(2);
    sub->set_paused(true);
  }
  EXPECT_FALSE(subs.apply(update));
  EXPECT_EQ(subs.explicit_count(), limits::kMaxSubscriptionsPerReceiver);
}

v1::Track camera(uint32_t id, std::initializer_list<uint32_t> heights) {
  v1::Track track;
  track.set_track_id(id);
  track.set_source(v1::TRACK_SOURCE_CAMERA);
  track.set_kind(v1::MEDIA_KIND_VIDEO);
  track.set_temporal_layers(3);
  uint32_t index = 0;
  for (uint32_t h : heights) {
    auto* layer = track.add_layers();
    layer->set_spatial_layer(index++);
    layer->set_height(h);
    layer->set_width(h * 16 / 9);
  }
  return track;
}

TEST(TrackValidation, RefusesWhatTheProtocolForbids) {
  EXPECT_TRUE(validate_track(camera(2, {180, 360, 720}), nullptr).empty());
  EXPECT_FALSE(validate_track(camera(0, {180}), nullptr).empty());
  EXPECT_FALSE(validate_track(camera(70000, {180}), nullptr).empty());
  EXPECT_FALSE(validate_track(camera(2, {360, 180}), nullptr).empty());
  EXPECT_FALSE(validate_track(camera(2, {180, 360, 720, 1080}), nullptr).empty());
  v1::Track wrong_kind = camera(2, {180});
  wrong_kind.set_kind(v1::MEDIA_KIND_AUDIO);
  EXPECT_FALSE(validate_track(wrong_kind, nullptr).empty());
  v1::Track mic;
  mic.set_track_id(2);
  mic.set_source(v1::TRACK_SOURCE_MICROPHONE);
  mic.set_kind(v1::MEDIA_KIND_AUDIO);
  EXPECT_TRUE(validate_track(mic, nullptr).empty());
  const v1::Track previous = camera(2, {180});
  EXPECT_FALSE(validate_track(mic, &previous).empty());  // a track's source cannot change
}

TEST(PublishedTrack, ChoosesTheEncodingForAHeight) {
  PublishedTrack track;
  track.info = camera(2, {180, 360, 720});
  EXPECT_EQ(track.spatial_for_height(0), 2);
  EXPECT_EQ(track.spatial_for_height(360), 1);
  EXPECT_EQ(track.spatial_for_height(500), 1);
  EXPECT_EQ(track.spatial_for_height(90), 0);
  EXPECT_EQ(track.spatial_for_height(1080), 2);
}

FrameRef frame_of(uint8_t spatial, bool keyframe, std::size_t size) {
  FrameMeta meta;
  meta.lane = Lane::kVideo;
  meta.media_kind = v1::MEDIA_KIND_VIDEO;
  meta.spatial_layer = spatial;
  meta.keyframe = keyframe;
  return Frame::allocate(size, meta);
}

TEST(GopCache, HoldsTheFramesSinceTheLastKeyframeWithinItsBound) {
  GopCache cache;
  cache.add(frame_of(0, kDelta, 100));
  EXPECT_FALSE(cache.has_keyframe());  // nothing decodable yet
  cache.add(frame_of(0, kKey, 1000));
  cache.add(frame_of(0, kDelta, 100));
  EXPECT_EQ(cache.frames().size(), 2u);
  cache.add(frame_of(0, kKey, 500));
  EXPECT_EQ(cache.frames().size(), 1u);
  EXPECT_EQ(cache.bytes(), 500u);
  // Past the byte bound the cache is emptied rather than left without its keyframe.
  cache.add(frame_of(0, kDelta, limits::kGopCacheBytes));
  EXPECT_FALSE(cache.has_keyframe());
  EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace vc::room
