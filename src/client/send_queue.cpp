#include "send_queue.hpp"

#include <algorithm>

namespace vc::client {

bool SendQueue::waiting_for_keyframe(const TrackKey& key) const {
  return std::find(waiting_keyframe_.begin(), waiting_keyframe_.end(), key) !=
         waiting_keyframe_.end();
}

void SendQueue::set_waiting(const TrackKey& key, bool waiting) {
  const auto it = std::find(waiting_keyframe_.begin(), waiting_keyframe_.end(), key);
  if (waiting && it == waiting_keyframe_.end()) waiting_keyframe_.push_back(key);
  if (!waiting && it != waiting_keyframe_.end()) waiting_keyframe_.erase(it);
}

SendQueue::PushResult SendQueue::push(FrameRef frame) {
  const FrameMeta& meta = frame->meta();
  switch (meta.lane) {
    case Lane::kControl:
      control_.push_back(std::move(frame));
      return PushResult::kQueued;
    case Lane::kAudio: {
      bool dropped = false;
      while (audio_budget_frames_ > 0 && audio_.size() >= audio_budget_frames_) {
        audio_.pop_front();
        dropped = true;
      }
      audio_.push_back(std::move(frame));
      return dropped ? PushResult::kDroppedOldAudio : PushResult::kQueued;
    }
    case Lane::kVideo: {
      const TrackKey key{meta.media_kind, meta.track_id};
      if (meta.keyframe) {
        set_waiting(key, false);
      } else if (waiting_for_keyframe(key)) {
        return PushResult::kDroppedWaitKeyframe;
      }
      if (video_bytes_ + frame->size() > video_budget_bytes_) {
        if (!meta.keyframe) {
          set_waiting(key, true);
          return PushResult::kDroppedOverBudget;
        }
        // A keyframe makes this track's queued frames useless: drop them to make room.
        std::erase_if(video_, [&](const FrameRef& queued) {
          const bool same =
              queued->meta().media_kind == key.kind && queued->meta().track_id == key.track;
          if (same) video_bytes_ -= queued->size();
          return same;
        });
      }
      video_bytes_ += frame->size();
      video_.push_back(std::move(frame));
      return PushResult::kQueued;
    }
  }
  return PushResult::kQueued;
}

FrameRef SendQueue::pop() {
  FrameRef out;
  if (!control_.empty()) {
    out = std::move(control_.front());
    control_.pop_front();
  } else if (!audio_.empty()) {
    out = std::move(audio_.front());
    audio_.pop_front();
  } else if (!video_.empty()) {
    out = std::move(video_.front());
    video_.pop_front();
    video_bytes_ -= out->size();
  }
  return out;
}

void SendQueue::drop_media() {
  for (const FrameRef& frame : video_) {
    set_waiting({frame->meta().media_kind, frame->meta().track_id}, true);
  }
  audio_.clear();
  video_.clear();
  video_bytes_ = 0;
}

void SendQueue::clear() {
  control_.clear();
  drop_media();
}

}  // namespace vc::client
