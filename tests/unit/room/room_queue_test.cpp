// Queues and memory in the room (issue 9 items 3 and 8): oversized audio, maximum-size keyframes,
// and keyframe requests backed off for a receiver that keeps losing video. Virtual time.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "server/room/keyframe_retry.hpp"
#include "server/room/room.hpp"

namespace vc::room {
namespace {

// Drains its queue at once and records media and keyframe requests.
class DrainingEndpoint : public Endpoint {
 public:
  DrainingEndpoint() = default;
  explicit DrainingEndpoint(SendQueueLimits limits) : Endpoint(limits, nullptr) {}
  void on_queue_ready() override {
    while (FrameRef frame = queue().pop()) {
      DecodedEnvelope decoded;
      ASSERT_EQ(decode_envelope(frame->bytes(), SIZE_MAX, decoded), EnvelopeError::kNone);
      if (decoded.body == DecodedEnvelope::Body::kMedia) {
        media_sizes.push_back(decoded.payload.size());
      } else if (decoded.control.has_keyframe_request()) {
        ++keyframe_requests;
      }
    }
  }
  void close_with_error(uint32_t code, std::string_view) override { closed_code = code; }

  std::vector<std::size_t> media_sizes;
  int keyframe_requests = 0;
  uint32_t closed_code = 0;
};

class RoomQueueTest : public ::testing::Test {
 protected:
  RoomQueueTest() : room_("demo", [this] { return now_; }) {}

  void join(Endpoint& endpoint, uint64_t id) {
    JoinRequest request;
    request.identity = Identity{id, "p" + std::to_string(id), v1::PARTICIPANT_ROLE_PARTICIPANT};
    request.session_id = id;
    room_.join(endpoint, request);
  }

  // Track 1 is the microphone, 2 the camera, 3 the screen; each is published before its media.
  static uint32_t track_for(v1::MediaKind kind) {
    return kind == v1::MEDIA_KIND_AUDIO ? 1 : kind == v1::MEDIA_KIND_VIDEO ? 2 : 3;
  }
  void publish(uint64_t from, v1::MediaKind kind) {
    const uint64_t key = from * 4 + track_for(kind);
    if (std::find(published_.begin(), published_.end(), key) != published_.end()) return;
    published_.push_back(key);
    v1::Control control;
    v1::Track* track = control.mutable_publish_track()->mutable_track();
    track->set_track_id(track_for(kind));
    track->set_kind(kind);
    track->set_source(kind == v1::MEDIA_KIND_AUDIO   ? v1::TRACK_SOURCE_MICROPHONE
                      : kind == v1::MEDIA_KIND_VIDEO ? v1::TRACK_SOURCE_CAMERA
                                                     : v1::TRACK_SOURCE_SCREEN);
    room_.on_control(from, control);
  }

  void send(uint64_t from, v1::MediaKind kind, bool keyframe, std::size_t bytes) {
    publish(from, kind);
    v1::MediaHeader header;
    header.set_kind(kind);
    header.set_track_id(track_for(kind));
    header.set_keyframe(keyframe);
    const std::string payload(bytes, 'm');
    room_.on_media(from, header,
                   {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
  }

  // Advances virtual time like the registry's timer tick does.
  void advance(std::chrono::milliseconds step) {
    now_ += step;
    if (auto deadline = room_.next_deadline(); deadline && *deadline <= now_) room_.on_timer();
  }

  TimePoint now_{};
  std::vector<uint64_t> published_;
  Room room_;
};

TEST_F(RoomQueueTest, OversizedAudioIsDroppedAndCountedAndTheSenderStays) {
  DrainingEndpoint publisher, receiver;
  join(publisher, 1);
  join(receiver, 2);
  send(1, v1::MEDIA_KIND_AUDIO, false, limits::kMaxAudioEnvelopeBytes);
  send(1, v1::MEDIA_KIND_AUDIO, false, 160);
  ASSERT_EQ(receiver.media_sizes.size(), 1u);
  EXPECT_EQ(receiver.media_sizes[0], 160u);
  EXPECT_EQ(room_.stats().oversized_audio_dropped, 1u);
  EXPECT_EQ(publisher.closed_code, 0u);
}

TEST_F(RoomQueueTest, KeyframeOfNineHundredKibIsDelivered) {
  DrainingEndpoint publisher, receiver;
  join(publisher, 1);
  join(receiver, 2);
  send(1, v1::MEDIA_KIND_VIDEO, true, 900u << 10);
  ASSERT_EQ(receiver.media_sizes.size(), 1u);
  EXPECT_EQ(receiver.media_sizes[0], 900u << 10);
  EXPECT_EQ(publisher.keyframe_requests, 0);
}

TEST_F(RoomQueueTest, ReceiverThatKeepsLosingKeyframesCausesNoRequestStorm) {
  DrainingEndpoint publisher;
  // Every keyframe is larger than this receiver's video lane: each one is lost again.
  DrainingEndpoint lossy(SendQueueLimits{.video_bytes = 1000});
  join(publisher, 1);
  join(lossy, 2);
  // A keyframe every 100 ms for a minute.
  for (int i = 0; i < 600; ++i) {
    send(1, v1::MEDIA_KIND_VIDEO, true, 2000);
    advance(std::chrono::milliseconds(100));
  }
  // Backoff 0.5, 1, 2, 4, then every 8 s: about a dozen requests, not one per coalesce window.
  EXPECT_GE(publisher.keyframe_requests, 8);
  EXPECT_LE(publisher.keyframe_requests, 12);
  EXPECT_GT(room_.stats().keyframe_requests_backed_off, 500u);
}

TEST_F(RoomQueueTest, DeferredRequestIsDroppedOnceTheReceiverHasItsKeyframe) {
  DrainingEndpoint publisher;
  DrainingEndpoint receiver(SendQueueLimits{.video_bytes = 1000});
  join(publisher, 1);
  join(receiver, 2);
  send(1, v1::MEDIA_KIND_VIDEO, true, 2000);  // lost: request 1
  send(1, v1::MEDIA_KIND_VIDEO, true, 2000);  // lost again: deferred
  EXPECT_EQ(publisher.keyframe_requests, 1);
  send(1, v1::MEDIA_KIND_VIDEO, true, 500);  // fits: the track recovers
  for (int i = 0; i < 20; ++i) advance(std::chrono::milliseconds(100));
  EXPECT_EQ(publisher.keyframe_requests, 1) << "no retry for a track that recovered";
}

TEST(KeyframeRetry, BacksOffExponentiallyUpToTheCapAndResetsAfterQuiet) {
  using namespace std::chrono_literals;
  KeyframeRetry retry;
  const KeyframeNeed need{1, 0, 2};
  KeyframeRetry::TimePoint t{};
  EXPECT_TRUE(retry.admit(need, t));
  EXPECT_FALSE(retry.admit(need, t + 100ms));
  EXPECT_TRUE(retry.take_due(t + 499ms).empty());
  std::vector<std::chrono::milliseconds> gaps;
  KeyframeRetry::TimePoint last = t;
  for (auto now = t; now < t + 40s; now += 10ms) {
    if (!retry.take_due(now).empty()) {
      gaps.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(now - last));
      last = now;
    }
    EXPECT_FALSE(retry.admit(need, now)) << "the receiver keeps losing it: deferred";
  }
  ASSERT_GE(gaps.size(), 6u);
  EXPECT_EQ(gaps[0], 500ms);
  EXPECT_EQ(gaps[1], 1000ms);
  EXPECT_EQ(gaps[2], 2000ms);
  EXPECT_EQ(gaps[3], 4000ms);
  EXPECT_EQ(gaps[4], 8000ms);
  EXPECT_EQ(gaps[5], 8000ms) << "capped";
  EXPECT_TRUE(retry.admit(need, last + limits::kKeyframeRetryReset)) << "reset after quiet";
}

TEST(KeyframeRetry, TracksAreBoundedAndTheOldestIsForgotten) {
  using namespace std::chrono_literals;
  KeyframeRetry retry;
  KeyframeRetry::TimePoint t{};
  for (uint32_t track = 0; track <= limits::kMaxKeyframeRetryTracks; ++track) {
    EXPECT_TRUE(retry.admit(KeyframeNeed{1, track, 2}, t + track * 1ms));
  }
  // Track 0 was evicted, so it counts as new; the most recent one is still backed off.
  EXPECT_TRUE(retry.admit(KeyframeNeed{1, 0, 2}, t + 100ms));
  EXPECT_FALSE(retry.admit(
      KeyframeNeed{1, static_cast<uint32_t>(limits::kMaxKeyframeRetryTracks), 2}, t + 100ms));
}

}  // namespace
}  // namespace vc::room
