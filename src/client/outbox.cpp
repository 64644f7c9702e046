#include "outbox.hpp"

namespace vc::client {

namespace {

// The server's drop policy with the application's lane sizes. The client bounds each lane; the
// whole-queue cap only has to hold what the lanes allow.
SendQueueLimits send_queue_limits(const ClientConfig& config) {
  SendQueueLimits out;
  out.video_bytes = config.send_queue_video_bytes;
  out.audio_frames = config.send_queue_audio_frames;
  out.total_bytes = out.video_bytes + out.audio_bytes + out.control_bytes;
  return out;
}

// Our own tracks carry publisher id 0 until the server stamps them.
KeyframeNeed own_track(uint32_t media_kind, uint32_t track_id) {
  return KeyframeNeed{0, track_id, media_kind};
}

}  // namespace

Outbox::Outbox(const ClientConfig& config) : queue_(send_queue_limits(config)) {}

Outbox::Push Outbox::push_control(FrameRef frame) {
  const PushResult result = queue_.push(std::move(frame));
  publish_queued_bytes();
  return result == PushResult::kReceiverTooSlow ? Push::kNotDraining : Push::kOk;
}

Outbox::Push Outbox::push_media(
    FrameRef frame, bool joined,
    const std::function<void(v1::MediaKind, uint32_t)>& on_video_dropped) {
  const FrameMeta meta = frame->meta();
  const bool video = meta.lane == Lane::kVideo;
  if (video) remember_video_track(meta.media_kind, meta.track_id);
  if (!joined) {
    count_dropped(video);
    if (video) queue_.require_keyframe(own_track(meta.media_kind, meta.track_id));
    return Push::kOk;
  }
  const SendQueueStats before = queue_.stats();
  const Push result = push_control(std::move(frame));  // same queue, media lanes
  const SendQueueStats& after = queue_.stats();
  media_sent_.fetch_add(after.queued - before.queued, std::memory_order_relaxed);
  audio_dropped_.fetch_add(after.dropped_audio - before.dropped_audio, std::memory_order_relaxed);
  video_dropped_.fetch_add(after.dropped_video - before.dropped_video, std::memory_order_relaxed);
  for (const KeyframeNeed& need : queue_.take_keyframe_needs()) {
    if (on_video_dropped)
      on_video_dropped(static_cast<v1::MediaKind>(need.media_kind), need.track_id);
  }
  return result;
}

void Outbox::count_dropped(bool video) {
  (video ? video_dropped_ : audio_dropped_).fetch_add(1, std::memory_order_relaxed);
}

FrameRef Outbox::pop() {
  FrameRef frame = queue_.pop();
  if (frame) {
    bytes_sent_.fetch_add(frame->size(), std::memory_order_relaxed);
    publish_queued_bytes();
  }
  return frame;
}

void Outbox::reset_for_new_connection() {
  clear();
  for (const auto& [kind, track] : video_tracks_) queue_.require_keyframe(own_track(kind, track));
}

void Outbox::clear() {
  queue_.clear();
  publish_queued_bytes();
}

void Outbox::fill(ClientStats& out) const {
  out.media_sent = media_sent_.load(std::memory_order_relaxed);
  out.bytes_sent = bytes_sent_.load(std::memory_order_relaxed);
  out.audio_dropped = audio_dropped_.load(std::memory_order_relaxed);
  out.video_dropped = video_dropped_.load(std::memory_order_relaxed);
  out.send_queue_bytes = queued_bytes_.load(std::memory_order_relaxed);
}

void Outbox::remember_video_track(uint32_t kind, uint32_t track) {
  for (const auto& known : video_tracks_) {
    if (known.first == kind && known.second == track) return;
  }
  video_tracks_.emplace_back(kind, track);
}

}  // namespace vc::client
