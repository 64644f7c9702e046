// SendQueue: one receiver's bounded outbound queue with the priority drop policy.
//
// Three lanes, drained in order control > audio > video:
//  - control is never dropped; if a receiver lets kReceiverControlQueueBytes pile up it is too slow
//    to stay connected, and push() reports that so the room can close it;
//  - audio frames are independent, so on overflow the oldest audio frame is dropped;
//  - video frames depend on each other, so on overflow all queued video is dropped, each affected
//    (publisher, track) then drops until its next keyframe, and one keyframe request per affected
//    publisher track is reported for the room to send.
// Sans-I/O and single-threaded: the owner's event loop calls push() and pop().
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/frame.hpp"
#include "common/limits.hpp"

namespace vc::room {

struct SendQueueLimits {
  std::size_t video_bytes = limits::kReceiverVideoQueueBytes;
  std::size_t audio_frames = limits::kReceiverAudioQueueFrames;
  std::size_t control_bytes = limits::kReceiverControlQueueBytes;
};

// A publisher track whose video this receiver lost; the room asks the publisher for a keyframe.
struct KeyframeNeed {
  uint64_t publisher_id = 0;
  uint32_t track_id = 0;
  uint32_t media_kind = 0;
  bool operator==(const KeyframeNeed&) const = default;
};

enum class PushResult : uint8_t {
  kQueued,
  kDropped,          // dropped by policy (waiting for a keyframe, or oldest audio evicted)
  kReceiverTooSlow,  // control backlog over its limit: disconnect this receiver
};

struct SendQueueStats {
  uint64_t queued = 0;
  uint64_t sent = 0;
  uint64_t dropped_video = 0;
  uint64_t dropped_audio = 0;
  uint64_t overflows = 0;
};

class SendQueue {
 public:
  explicit SendQueue(SendQueueLimits limits = {}) : limits_(limits) {}

  PushResult push(FrameRef frame);

  // The next frame by priority, or an empty FrameRef when nothing is queued.
  FrameRef pop();

  // The lane pop() would take from next (meaningless when empty()). Lets a transport with one
  // stream per lane leave frames here, under the drop policy, while that lane's stream is backed up.
  Lane next_lane() const {
    return !control_.empty() ? Lane::kControl : !audio_.empty() ? Lane::kAudio : Lane::kVideo;
  }

  bool empty() const { return control_.empty() && audio_.empty() && video_.empty(); }
  std::size_t queued_bytes() const { return control_bytes_ + video_bytes_ + audio_bytes_; }

  // Keyframe needs recorded since the last call (each once); the caller sends the requests.
  std::vector<KeyframeNeed> take_keyframe_needs();
  bool has_keyframe_needs() const { return !new_needs_.empty(); }

  const SendQueueStats& stats() const { return stats_; }

 private:
  PushResult push_video(FrameRef frame);
  PushResult push_audio(FrameRef frame);
  bool awaiting_keyframe(const FrameMeta& meta) const;
  void mark_awaiting_keyframe(const FrameMeta& meta);
  void clear_awaiting_keyframe(const FrameMeta& meta);

  SendQueueLimits limits_;
  std::deque<FrameRef> control_;
  std::deque<FrameRef> audio_;
  std::deque<FrameRef> video_;
  std::size_t control_bytes_ = 0;
  std::size_t audio_bytes_ = 0;
  std::size_t video_bytes_ = 0;
  std::vector<KeyframeNeed> awaiting_;   // tracks dropping until their next keyframe
  std::vector<KeyframeNeed> new_needs_;  // not yet reported through take_keyframe_needs()
  SendQueueStats stats_;
};

}  // namespace vc::room
