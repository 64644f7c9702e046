#include "protocol/send_queue.hpp"

#include <algorithm>

namespace vc {

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
      const PushResult result = append(control_, control_bytes_, std::move(frame));
      if (result != PushResult::kQueued) return result;
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

PushResult SendQueue::append(std::deque<FrameRef>& lane, std::size_t& lane_bytes, FrameRef frame) {
  const std::size_t size = frame->size();
  // Over the process cap, a receiver that is already behind is the one to go; one that keeps up
  // (empty queue) still gets the frame, so the overshoot is at most a frame per connection.
  if (budget_ != nullptr && !empty() && budget_->held_bytes_ + size > budget_->limit_bytes_) {
    ++stats_.over_cap;
    ++budget_->totals_.over_process_cap;
    return PushResult::kReceiverTooSlow;
  }
  lane_bytes += size;
  if (budget_ != nullptr) budget_->held_bytes_ += size;
  lane.push_back(std::move(frame));
  ++stats_.queued;
  if (queued_bytes() > limits_.total_bytes) {
    ++stats_.over_cap;
    if (budget_ != nullptr) ++budget_->totals_.over_connection_cap;
    return PushResult::kReceiverTooSlow;
  }
  return PushResult::kQueued;
}

void SendQueue::release(std::size_t& lane_bytes, std::size_t size) {
  lane_bytes -= size;
  if (budget_ != nullptr) budget_->held_bytes_ -= size;
}

void SendQueue::count_dropped_audio() {
  ++stats_.dropped_audio;
  if (budget_ != nullptr) ++budget_->totals_.dropped_audio;
}

void SendQueue::count_dropped_video(std::size_t frames) {
  stats_.dropped_video += frames;
  if (budget_ != nullptr) budget_->totals_.dropped_video += frames;
}

PushResult SendQueue::push_audio(FrameRef frame) {
  const std::size_t size = frame->size();
  if (size > limits_.audio_bytes) {
    // Could never fit: evicting all queued audio for it would only lose good frames.
    count_dropped_audio();
    return PushResult::kDropped;
  }
  bool evicted = false;
  while (!audio_.empty() &&
         (audio_.size() >= limits_.audio_frames || audio_bytes_ + size > limits_.audio_bytes)) {
    // Audio frames decode independently: losing the oldest costs least.
    release(audio_bytes_, audio_.front()->size());
    audio_.pop_front();
    count_dropped_audio();
    evicted = true;
  }
  if (evicted) ++stats_.overflows;  // the evicted frames are counted in dropped_audio
  return append(audio_, audio_bytes_, std::move(frame));
}

PushResult SendQueue::push_video(FrameRef frame) {
  const FrameMeta& meta = frame->meta();
  if (awaiting_keyframe(need_for(meta))) {
    if (!meta.keyframe) {
      count_dropped_video(1);
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
    count_dropped_video(video_.size());
    video_.clear();
    release(video_bytes_, video_bytes_);
    if (!meta.keyframe || frame->size() > limits_.video_bytes) {
      mark_awaiting_keyframe(meta);
      count_dropped_video(1);
      return PushResult::kDropped;
    }
    // This keyframe restarts its own track: no request needed for it.
    clear_awaiting_keyframe(meta);
    const KeyframeNeed own = need_for(meta);
    new_needs_.erase(std::remove(new_needs_.begin(), new_needs_.end(), own), new_needs_.end());
  }
  return append(video_, video_bytes_, std::move(frame));
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
    release(control_bytes_, size);
  } else if (lane == &audio_) {
    release(audio_bytes_, size);
  } else {
    release(video_bytes_, size);
  }
  drained_bytes_ += size;
  ++stats_.sent;
  return frame;
}

void SendQueue::clear() {
  control_.clear();
  audio_.clear();
  video_.clear();
  release(control_bytes_, control_bytes_);
  release(audio_bytes_, audio_bytes_);
  release(video_bytes_, video_bytes_);
}

void SendQueue::clear_media() {
  audio_.clear();
  video_.clear();
  release(audio_bytes_, audio_bytes_);
  release(video_bytes_, video_bytes_);
}

std::vector<KeyframeNeed> SendQueue::take_keyframe_needs() {
  std::vector<KeyframeNeed> needs;
  needs.swap(new_needs_);
  return needs;
}

bool SendQueue::awaiting_keyframe(const KeyframeNeed& need) const {
  return std::find(awaiting_.begin(), awaiting_.end(), need) != awaiting_.end();
}

void SendQueue::require_keyframe(const KeyframeNeed& need) {
  if (awaiting_keyframe(need)) return;
  if (awaiting_.size() >= limits::kMaxAwaitingKeyframeTracks) {
    // Publishers choose track ids, so this set must not grow with them. A forgotten track resumes
    // with frames the receiver's decoder drops until the next keyframe: harmless.
    awaiting_.erase(awaiting_.begin());
  }
  awaiting_.push_back(need);
}

void SendQueue::mark_awaiting_keyframe(const FrameMeta& meta) {
  const KeyframeNeed need = need_for(meta);
  if (awaiting_keyframe(need)) return;
  require_keyframe(need);
  if (new_needs_.size() < limits::kMaxAwaitingKeyframeTracks) add_unique(new_needs_, need);
}

void SendQueue::clear_awaiting_keyframe(const FrameMeta& meta) {
  const KeyframeNeed need = need_for(meta);
  awaiting_.erase(std::remove(awaiting_.begin(), awaiting_.end(), need), awaiting_.end());
}

}  // namespace vc
