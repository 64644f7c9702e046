#include "server/room/send_queue.hpp"

#include <algorithm>

namespace vc::room {

namespace {

KeyframeNeed need_for(const FrameMeta& meta) {
  return KeyframeNeed{meta.publisher_id, meta.track_id, meta.media_kind};
}

void add_unique(std::vector<KeyframeNeed>& needs, const KeyframeNeed& need) {
  if (std::find(needs.begin(), needs.end(), need) == needs.end()) needs.push_back(need);
}

}  // namespace

PushResult SendQueue::push(FrameRef frame) {
  switch (frame->meta().lane) {
    case Lane::kControl: {
      control_bytes_ += frame->size();
      control_.push_back(std::move(frame));
      ++stats_.queued;
      return control_bytes_ > limits_.control_bytes ? PushResult::kReceiverTooSlow
                                                    : PushResult::kQueued;
    }
    case Lane::kAudio:
      return push_audio(std::move(frame));
    case Lane::kVideo:
      return push_video(std::move(frame));
  }
  return PushResult::kDropped;
}

PushResult SendQueue::push_audio(FrameRef frame) {
  PushResult result = PushResult::kQueued;
  if (audio_.size() >= limits_.audio_frames) {
    // Audio frames decode independently: losing the oldest costs least.
    audio_bytes_ -= audio_.front()->size();
    audio_.pop_front();
    ++stats_.dropped_audio;
    ++stats_.overflows;
    result = PushResult::kDropped;
  }
  audio_bytes_ += frame->size();
  audio_.push_back(std::move(frame));
  ++stats_.queued;
  return result;
}

PushResult SendQueue::push_video(FrameRef frame) {
  const FrameMeta& meta = frame->meta();
  if (awaiting_keyframe(meta)) {
    if (!meta.keyframe) {
      ++stats_.dropped_video;
      return PushResult::kDropped;
    }
    clear_awaiting_keyframe(meta);
  }

  if (video_bytes_ + frame->size() > limits_.video_bytes) {
    // Overflow. Queued video frames depend on one another, so a partial drop would leave
    // undecodable frames behind: drop all queued video and restart every affected track at its
    // next keyframe.
    ++stats_.overflows;
    for (const FrameRef& dropped : video_) mark_awaiting_keyframe(dropped->meta());
    stats_.dropped_video += video_.size();
    video_.clear();
    video_bytes_ = 0;
    if (!meta.keyframe || frame->size() > limits_.video_bytes) {
      mark_awaiting_keyframe(meta);
      ++stats_.dropped_video;
      return PushResult::kDropped;
    }
    // This keyframe restarts its own track: no request needed for it.
    clear_awaiting_keyframe(meta);
    const KeyframeNeed own = need_for(meta);
    new_needs_.erase(std::remove(new_needs_.begin(), new_needs_.end(), own), new_needs_.end());
  }
  video_bytes_ += frame->size();
  video_.push_back(std::move(frame));
  ++stats_.queued;
  return PushResult::kQueued;
}

FrameRef SendQueue::pop() {
  std::deque<FrameRef>* lane = !control_.empty() ? &control_
                               : !audio_.empty() ? &audio_
                               : !video_.empty() ? &video_
                                                 : nullptr;
  if (lane == nullptr) return {};
  FrameRef frame = std::move(lane->front());
  lane->pop_front();
  const std::size_t size = frame->size();
  if (lane == &control_) {
    control_bytes_ -= size;
  } else if (lane == &audio_) {
    audio_bytes_ -= size;
  } else {
    video_bytes_ -= size;
  }
  ++stats_.sent;
  return frame;
}

std::vector<KeyframeNeed> SendQueue::take_keyframe_needs() {
  std::vector<KeyframeNeed> needs;
  needs.swap(new_needs_);
  return needs;
}

bool SendQueue::awaiting_keyframe(const FrameMeta& meta) const {
  const KeyframeNeed need = need_for(meta);
  return std::find(awaiting_.begin(), awaiting_.end(), need) != awaiting_.end();
}

void SendQueue::mark_awaiting_keyframe(const FrameMeta& meta) {
  const KeyframeNeed need = need_for(meta);
  if (std::find(awaiting_.begin(), awaiting_.end(), need) != awaiting_.end()) return;
  awaiting_.push_back(need);
  add_unique(new_needs_, need);
}

void SendQueue::clear_awaiting_keyframe(const FrameMeta& meta) {
  const KeyframeNeed need = need_for(meta);
  awaiting_.erase(std::remove(awaiting_.begin(), awaiting_.end(), need), awaiting_.end());
}

}  // namespace vc::room
