#include "protocol/send_queue.hpp"

#include <gtest/gtest.h>

namespace vc {
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
  // The new frame is queued (and counted as forwarded by the room); the evicted one is a drop.
  EXPECT_EQ(queue.push(frame(Lane::kAudio, 3)), PushResult::kQueued);
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

// ---- Queues and memory: every lane and every queue bounded in bytes (issue 9 item 3) ----

TEST(SendQueue, AudioLaneIsBoundedInBytesNotJustFrames) {
  SendQueue queue(SendQueueLimits{.audio_frames = 256, .audio_bytes = 100});
  for (int i = 0; i < 10; ++i) queue.push(frame(Lane::kAudio, 30));
  EXPECT_LE(queue.queued_bytes(), 100u);
  EXPECT_EQ(queue.stats().dropped_audio, 7u) << "the oldest audio goes first";
}

TEST(SendQueue, AudioFrameLargerThanTheLaneIsDroppedAndKeepsQueuedAudio) {
  SendQueue queue(SendQueueLimits{.audio_frames = 256, .audio_bytes = 100});
  EXPECT_EQ(queue.push(frame(Lane::kAudio, 40)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kAudio, 101)), PushResult::kDropped);
  EXPECT_EQ(queue.queued_bytes(), 40u);
  EXPECT_EQ(queue.stats().dropped_audio, 1u);
}

TEST(SendQueue, ConnectionCapOverAllLanesReportsASlowReceiver) {
  SendQueue queue(SendQueueLimits{.video_bytes = 100,
                                  .audio_frames = 8,
                                  .control_bytes = 1000,
                                  .audio_bytes = 100,
                                  .total_bytes = 150});
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 90, 1, true)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kAudio, 50)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kControl, 20)), PushResult::kReceiverTooSlow);
  EXPECT_EQ(queue.stats().over_cap, 1u);
}

TEST(SendQueue, ProcessBudgetClosesTheReceiverThatIsBehindNotTheOneKeepingUp) {
  SendQueueBudget budget(200);
  SendQueue behind(SendQueueLimits{}, &budget);
  SendQueue keeping_up(SendQueueLimits{}, &budget);
  EXPECT_EQ(behind.push(frame(Lane::kVideo, 150, 1, true)), PushResult::kQueued);
  // Over the cap, but this receiver has nothing queued: it still gets the frame.
  EXPECT_EQ(keeping_up.push(frame(Lane::kVideo, 100, 1, true)), PushResult::kQueued);
  EXPECT_EQ(budget.held_bytes(), 250u);
  EXPECT_EQ(behind.push(frame(Lane::kAudio, 10)), PushResult::kReceiverTooSlow);
  EXPECT_EQ(budget.totals().over_process_cap, 1u);
  EXPECT_EQ(behind.queued_bytes(), 150u) << "the refused frame is not queued";
  keeping_up.pop();
  EXPECT_EQ(budget.held_bytes(), 150u);
  behind.clear();
  EXPECT_EQ(budget.held_bytes(), 0u);
}

TEST(SendQueue, BudgetFollowsEveryLaneAndIsReturnedWhenTheQueueGoes) {
  SendQueueBudget budget;
  {
    SendQueue queue(SendQueueLimits{.video_bytes = 100}, &budget);
    queue.push(frame(Lane::kControl, 10));
    queue.push(frame(Lane::kAudio, 20));
    queue.push(frame(Lane::kVideo, 60, 1, true));
    queue.push(frame(Lane::kVideo, 60, 1));  // overflow: all video dropped
    EXPECT_EQ(budget.held_bytes(), queue.queued_bytes());
    EXPECT_EQ(budget.held_bytes(), 30u);
    EXPECT_EQ(budget.totals().dropped_video, 2u);
  }
  EXPECT_EQ(budget.held_bytes(), 0u);
}

TEST(SendQueue, TracksAwaitingAKeyframeAreBoundedWhateverTrackIdsPublishersUse) {
  SendQueue queue(SendQueueLimits{.video_bytes = 100});
  for (uint32_t track = 0; track < 1000; ++track)
    queue.push(frame(Lane::kVideo, 60, 1, false, track));
  std::size_t needs = queue.take_keyframe_needs().size();
  EXPECT_LE(needs, limits::kMaxAwaitingKeyframeTracks);
  EXPECT_FALSE(queue.awaiting_keyframe(KeyframeNeed{1, 0, 2})) << "the oldest was forgotten";
  EXPECT_TRUE(queue.awaiting_keyframe(KeyframeNeed{1, 998, 2}));
}

// Issue 9 item 8: an envelope that passes the size limit fits the lane it goes to.
TEST(SendQueue, MaximumSizeKeyframeFitsTheVideoLane) {
  SendQueue queue;
  EXPECT_EQ(queue.push(frame(Lane::kVideo, limits::kMaxEnvelopeBytes, 1, true)),
            PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 1000, 1)), PushResult::kQueued);
  EXPECT_FALSE(queue.has_keyframe_needs());
}

// The bandwidth estimator reads these: drained bytes only grow, and only by what pop() hands out.
TEST(SendQueue, CountsDrainedBytesAndQueuedMediaBytes) {
  SendQueue queue(SendQueueLimits{.video_bytes = 100, .audio_frames = 8, .control_bytes = 1000});
  queue.push(frame(Lane::kControl, 5));
  queue.push(frame(Lane::kAudio, 10));
  queue.push(frame(Lane::kVideo, 60, 1, true));
  EXPECT_EQ(queue.queued_media_bytes(), 70u);
  EXPECT_EQ(queue.queued_bytes(), 75u);
  EXPECT_EQ(queue.drained_bytes(), 0u);
  queue.pop();  // control
  EXPECT_EQ(queue.drained_bytes(), 5u);
  EXPECT_EQ(queue.queued_media_bytes(), 70u);
  queue.pop();  // audio
  EXPECT_EQ(queue.drained_bytes(), 15u);
  EXPECT_EQ(queue.queued_media_bytes(), 60u);
  // Overflow drops the queued video: dropped bytes were never drained.
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 60, 1)), PushResult::kDropped);
  EXPECT_EQ(queue.queued_media_bytes(), 0u);
  EXPECT_EQ(queue.drained_bytes(), 15u);
  queue.push(frame(Lane::kAudio, 20));
  queue.clear();
  EXPECT_EQ(queue.drained_bytes(), 15u);
  queue.push(frame(Lane::kAudio, 20));
  queue.pop();
  EXPECT_EQ(queue.drained_bytes(), 35u);
}

// ---- What libvideocall relies on (the same queue, its own frames) ----

TEST(SendQueue, RequiredKeyframeDropsDeltasWithoutReportingANeed) {
  SendQueue queue;
  queue.require_keyframe(KeyframeNeed{0, 5, 2});
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 0, false, 5)), PushResult::kDropped);
  EXPECT_FALSE(queue.has_keyframe_needs()) << "the caller asks its encoder itself";
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 0, false, 6)), PushResult::kQueued)
      << "other tracks are not held back";
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 0, true, 5)), PushResult::kQueued);
  EXPECT_EQ(queue.push(frame(Lane::kVideo, 10, 0, false, 5)), PushResult::kQueued);
  EXPECT_EQ(queue.stats().dropped_video, 1u);
}

TEST(SendQueue, ClearMediaKeepsControlInOrder) {
  SendQueue queue;
  queue.push(frame(Lane::kControl, 1));
  queue.push(frame(Lane::kVideo, 50, 0, true));
  queue.push(frame(Lane::kAudio, 20));
  queue.push(frame(Lane::kControl, 2));
  queue.clear_media();
  EXPECT_EQ(queue.queued_media_bytes(), 0u);
  EXPECT_EQ(queue.pop()->size(), 1u);
  EXPECT_EQ(queue.pop()->size(), 2u);
  EXPECT_TRUE(queue.empty());
}

}  // namespace
}  // namespace vc
