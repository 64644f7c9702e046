// Outgoing envelope queue of one client connection, bounded, with an explicit drop policy:
// - control is never dropped;
// - audio goes out ahead of video; when the audio queue is full the oldest audio is dropped
//   (fresh audio is worth more than stale audio);
// - video over its byte budget is dropped, and then every following frame of that track up to the
//   next keyframe (the decoder could not use them). The caller asks its encoder for a keyframe.
// Sans-I/O: no sockets, no timers, so tests drive it directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "common/frame.hpp"

namespace vc::client {

class SendQueue {
 public:
  enum class PushResult : uint8_t {
    kQueued,
    kDroppedOldAudio,      // queued; the oldest audio frame was dropped to make room
    kDroppedWaitKeyframe,  // video dropped: its track waits for a keyframe
    kDroppedOverBudget,    // video dropped: over budget; track now waits for a keyframe
  };

  SendQueue(std::size_t video_budget_bytes, std::size_t audio_budget_frames)
      : video_budget_bytes_(video_budget_bytes), audio_budget_frames_(audio_budget_frames) {}

  PushResult push(FrameRef frame);
  // Next frame to write: control, then audio, then video. Empty FrameRef when idle.
  FrameRef pop();
  // After a disconnect: queued media is stale. Control is kept; video tracks wait for keyframes.
  void drop_media();
  void clear();
  // Drops this track's video up to its next keyframe (e.g. after a reconnect).
  void require_keyframe(uint32_t media_kind, uint32_t track_id) {
    set_waiting({media_kind, track_id}, true);
  }

  bool empty() const { return control_.empty() && audio_.empty() && video_.empty(); }
  std::size_t video_bytes() const { return video_bytes_; }
  std::size_t audio_frames() const { return audio_.size(); }
  std::size_t control_frames() const { return control_.size(); }

 private:
  struct TrackKey {
    uint32_t kind;
    uint32_t track;
    bool operator==(const TrackKey&) const = default;
  };
  bool waiting_for_keyframe(const TrackKey& key) const;
  void set_waiting(const TrackKey& key, bool waiting);

  std::size_t video_budget_bytes_;
  std::size_t audio_budget_frames_;
  std::deque<FrameRef> control_;
  std::deque<FrameRef> audio_;
  std::deque<FrameRef> video_;
  std::size_t video_bytes_ = 0;
  std::vector<TrackKey> waiting_keyframe_;  // a handful of tracks at most
};

}  // namespace vc::client
