// SendQueue: one connection's bounded outbound queue with the priority drop policy. The one
// implementation of that policy: the server keeps one per receiver, libvideocall one per client
// connection (its own frames, publisher id 0).
//
// Three lanes, drained in order control > audio > video, each bounded in bytes:
//  - control is never dropped; if a receiver lets kReceiverControlQueueBytes pile up it is too slow
//    to stay connected, and push() reports that so the room can close it;
//  - audio frames are independent, so on overflow (frames or bytes) the oldest audio is dropped;
//    a frame larger than the whole audio lane is dropped itself;
//  - video frames depend on each other, so on overflow all queued video is dropped, each affected
//    (publisher, track) then drops until its next keyframe, and one keyframe request per affected
//    publisher track is reported for the room to send.
// Memory: all lanes together stay under SendQueueLimits::total_bytes, and every queue of the
// process under its SendQueueBudget; over either, push() reports kReceiverTooSlow.
// Sans-I/O and single-threaded: the owner's event loop calls push() and pop(). The browser cannot
// take frames back once handed to its transport, so web/ drops before sending (video-encoding.ts)
// under the same rules: control never, audio oldest first, video until the next keyframe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/limits.hpp"
#include "protocol/frame.hpp"

namespace vc {

struct SendQueueLimits {
  std::size_t video_bytes = limits::kReceiverVideoQueueBytes;
  std::size_t audio_frames = limits::kReceiverAudioQueueFrames;
  std::size_t control_bytes = limits::kReceiverControlQueueBytes;
  std::size_t audio_bytes = limits::kReceiverAudioQueueBytes;
  std::size_t total_bytes = limits::kReceiverQueueBytes;
};

// Process-wide totals over every SendQueue that shares one budget (for /metrics).
struct SendQueueTotals {
  uint64_t dropped_audio = 0;
  uint64_t dropped_video = 0;
  uint64_t over_connection_cap = 0;  // receivers reported too slow by their own queue's cap
  uint64_t over_process_cap = 0;     // receivers reported too slow by the process cap
};

// The bytes held by all send queues of one process, against one cap. Single-threaded (the relay
// thread); must outlive every SendQueue that uses it.
class SendQueueBudget {
 public:
  explicit SendQueueBudget(std::size_t limit_bytes = limits::kSendQueueProcessBytes)
      : limit_bytes_(limit_bytes) {}
  SendQueueBudget(const SendQueueBudget&) = delete;
  SendQueueBudget& operator=(const SendQueueBudget&) = delete;

  std::size_t held_bytes() const { return held_bytes_; }
  std::size_t limit_bytes() const { return limit_bytes_; }
  const SendQueueTotals& totals() const { return totals_; }

 private:
  friend class SendQueue;
  std::size_t limit_bytes_;
  std::size_t held_bytes_ = 0;
  SendQueueTotals totals_;
};

// A publisher track whose video this queue dropped; the owner asks that publisher (the room) or
// its own encoder (a client) for a keyframe.
struct KeyframeNeed {
  uint64_t publisher_id = 0;
  uint32_t track_id = 0;
  uint32_t media_kind = 0;
  bool operator==(const KeyframeNeed&) const = default;
};

enum class PushResult : uint8_t {
  kQueued,           // this frame is queued (older audio may have been evicted for it)
  kDropped,          // this frame was dropped by policy (waiting for a keyframe, or too big)
  kReceiverTooSlow,  // control backlog, connection or process cap exceeded: disconnect receiver
};

struct SendQueueStats {
  uint64_t queued = 0;
  uint64_t sent = 0;
  uint64_t dropped_video = 0;
  uint64_t dropped_audio = 0;
  uint64_t overflows = 0;
  uint64_t over_cap = 0;  // pushes refused or reported by the connection or process cap
};

class SendQueue {
 public:
  explicit SendQueue(SendQueueLimits limits = {}, SendQueueBudget* budget = nullptr)
      : limits_(limits), budget_(budget) {}
  ~SendQueue() { clear(); }
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  PushResult push(FrameRef frame);

  // Drops everything queued (a closed receiver's backlog) and returns its bytes to the budget.
  void clear();
  // Drops queued audio and video only: a receiver closed by a host action still gets the control
  // queued before the close (why it ends), within the control lane's bound.
  void clear_media();

  // The next frame by priority, or an empty FrameRef when nothing is queued.
  FrameRef pop();

  // The lane pop() would take from next (meaningless when empty()). Lets a transport with one
  // stream per lane leave frames here, under the drop policy, while that lane's stream is backed
  // up.
  Lane next_lane() const {
    return !control_.empty() ? Lane::kControl : !audio_.empty() ? Lane::kAudio : Lane::kVideo;
  }

  bool empty() const { return control_.empty() && audio_.empty() && video_.empty(); }
  std::size_t queued_bytes() const { return control_bytes_ + video_bytes_ + audio_bytes_; }
  // Audio and video bytes waiting (control excluded): what the bandwidth estimator calls queued.
  std::size_t queued_media_bytes() const { return audio_bytes_ + video_bytes_; }
  // Bytes handed to the transport by pop() since construction, all lanes; only ever increases
  // (clear() and drops do not count). The bandwidth estimator's delivery rate is its slope.
  uint64_t drained_bytes() const { return drained_bytes_; }

  // Keyframe needs recorded since the last call (each once); the caller sends the requests.
  std::vector<KeyframeNeed> take_keyframe_needs();
  bool has_keyframe_needs() const { return !new_needs_.empty(); }
  // Whether video of need's track is still being dropped until its next keyframe.
  bool awaiting_keyframe(const KeyframeNeed& need) const;
  // Drops need's video up to its next keyframe without reporting it: the caller asks for that
  // keyframe itself (a client after a reconnect, whose earlier frames never reached the server).
  void require_keyframe(const KeyframeNeed& need);

  const SendQueueStats& stats() const { return stats_; }

 private:
  PushResult push_video(FrameRef frame);
  PushResult push_audio(FrameRef frame);
  // Appends to a lane unless the process cap refuses it, then applies the connection cap.
  PushResult append(std::deque<FrameRef>& lane, std::size_t& lane_bytes, FrameRef frame);
  void release(std::size_t& lane_bytes, std::size_t size);
  void count_dropped_audio();
  void count_dropped_video(std::size_t frames);
  void mark_awaiting_keyframe(const FrameMeta& meta);
  void clear_awaiting_keyframe(const FrameMeta& meta);

  SendQueueLimits limits_;
  SendQueueBudget* budget_;  // null: no process-wide cap (tests)
  std::deque<FrameRef> control_;
  std::deque<FrameRef> audio_;
  std::deque<FrameRef> video_;
  std::size_t control_bytes_ = 0;
  std::size_t audio_bytes_ = 0;
  std::size_t video_bytes_ = 0;
  std::vector<KeyframeNeed> awaiting_;   // tracks dropping until their next keyframe
  std::vector<KeyframeNeed> new_needs_;  // not yet reported through take_keyframe_needs()
  SendQueueStats stats_;
  uint64_t drained_bytes_ = 0;
};

}  // namespace vc
