#include "server/room/send_queue.hpp"

#include <gtest/gtest.h>

namespace vc::room {
namespace {

FrameRef frame(Lane lane, std::size_t size, uint64_t publisher = 1, bool keyframe = false,
               uint32_t track = 0) {
  FrameMeta meta;
  meta.lane = lane;
  meta.publisher_id = publisher;
  meta.keyframe = keyframe;
  meta.track_id = track;
  meta.media_kind = lane == Lane::kAudio ? 1 : 2;
  return Frame::allocate(size, meta);
}

TEST(SendQueue, DrainsControlThenAudioThenVideo) {
  SendQueue queue;
  queue.push(frame(Lane::kVideo, 10));
  queue.push(frame(Lane::kAudio, 10));
  queue.push(frame(Lane::kControl, 10));
  queue.push(frame(Lane::kAudio, 11));
  EXPECT_EQ(queue.pop()->meta().lane, Lane::kControl);
  EXPECT_EQ(queue.pop()->meta().lane, Lane::kAudio);
  EXPECT_EQ(queue.pop()->size(), 11u);
  EXPECT_EQ(queue.pop()->meta().lane, Lane::kVideo);
  EXPECT_FALSE(queue.pop());
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.queued_bytes(), 0u);
}

TEST(SendQueue, VideoOverflowDropsUntilKeyframeAndAsksOnce) {
  SendQueue queue(SendQueueLimits{.video_bytes = 100, .audio_frames = 8, .control_bytes = 1000});
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 60, 1, true)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 30, 2)), PushResult::kQueued);
  // Overflow: everything queued is dropped, and both publishers need a keyframe.
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 30, 1)), PushResult::kDropped);
  EXPECT_TRUE(queue.empty());
  auto needs = queue.take_keyframe_needs();
  ASSERT_EQ(needs.size(), 2u);
  EXPECT_TRUE(queue.take_keyframe_needs().empty()) << "each need is reported once";

  // Delta frames keep being dropped; no new requests pile up.
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 1)), PushResult::kDropped);
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 2)), PushResult::kDropped);
  EXPECT_FALSE(queue.has_keyframe_needs());

  // A keyframe restarts only its own publisher.
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 1, true)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 1)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 2)), PushResult::kDropped);
  EXPECT_EQ(queue.stats().dropped_video, 6u);
}

TEST(SendQueue, KeyframeThatCausesOverflowRestartsItsTrackWithoutARequest) {
  SendQueue queue(SendQueueLimits{.video_bytes = 100, .audio_frames = 8, .control_bytes = 1000});
  queue.push(frame(Lane::kVideo, 90, 1));
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 50, 1, true)), PushResult::kQueued);
  EXPECT_FALSE(queue.has_keyframe_needs());
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 1)), PushResult::kQueued);
}

TEST(SendQueue, AudioOverflowEvictsOldest) {
  SendQueue queue(SendQueueLimits{.video_bytes = 100, .audio_frames = 2, .control_bytes = 1000});
  queue.push(frame(Lane::kAudio, 1));
  queue.push(frame(Lane::kAudio, 2));
  EXPECT_EQ(queue.push(frame(Lane::kAudio, 3)), PushResult::kDropped);
  EXPECT_EQ(queue.pop()->size(), 2u);
  EXPECT_EQ(queue.pop()->size(), 3u);
  EXPECT_EQ(queue.stats().dropped_audio, 1u);
}

TEST(SendQueue, ControlIsNeverDroppedButReportsASlowReceiver) {
  SendQueue queue(SendQueueLimits{.video_bytes = 100, .audio_frames = 2, .control_bytes = 25});
  EXPECT_EQ(queue.push(frame(Lane::kControl, 10)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kControl, 10)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kControl, 10)), PushResult::kReceiverTooSlow);
  int count = 0;
  while (queue.pop()) ++count;
  EXPECT_EQ(count, 3);
}

}  // namespace
}  // namespace vc::room
