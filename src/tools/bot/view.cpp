#include "view.hpp"

#include <algorithm>
#include <limits>

namespace vc::tools {

std::optional<v1::SubscriptionDefaults> view_hello_defaults(const BotOptions& options) {
  if (options.view <= 0) return std::nullopt;
  v1::SubscriptionDefaults defaults = client::video_defaults(0, /*paused=*/true);
  if (options.view_mode == "speaker") {
    defaults.set_last_n(static_cast<uint32_t>(options.view));
    defaults.set_last_n_max_height(static_cast<uint32_t>(options.view_height));
  }
  return defaults;
}

bool uses_explicit_view(const BotOptions& options) {
  return options.view > 0 && options.view_mode != "speaker";
}

void apply_view(const BotOptions& options, Participant& p,
                const std::vector<uint64_t>& room_publishers, std::size_t start, bool measure) {
  std::set<uint64_t> next;
  const std::size_t count = room_publishers.size();
  for (std::size_t k = 0; k < count && next.size() < static_cast<std::size_t>(options.view); ++k) {
    const uint64_t id = room_publishers[(start + k) % count];
    if (id != p.participant_id) next.insert(id);
  }
  v1::UpdateSubscriptions update;
  const auto now = Clock::now();
  {
    std::lock_guard lock(p.receive_mutex);
    for (uint64_t id : next) {
      if (p.viewed.contains(id)) continue;
      *update.add_set() = client::track_subscription(id, client::kCameraTrackId,
                                                     static_cast<uint32_t>(options.view_height));
      if (measure) p.awaiting_first_frame[id] = now;
      // Its sequence resumes wherever the publisher is now: not a gap.
      auto it = p.streams.find({id, v1::MEDIA_KIND_VIDEO, client::kCameraTrackId});
      if (it != p.streams.end()) it->second.fresh = true;
    }
    for (uint64_t id : p.viewed) {
      if (next.contains(id)) continue;
      *update.add_set() =
          client::track_subscription(id, client::kCameraTrackId, 0, /*paused=*/true);
      p.awaiting_first_frame.erase(id);
    }
    p.viewed = std::move(next);
    p.explicit_view = true;
  }
  if (update.set_size() > 0) p.client->update_subscriptions(update);
}

void on_frame_received(Participant& p, const v1::MediaHeader& header, uint64_t now_wall_us) {
  const bool video = header.kind() != v1::MEDIA_KIND_AUDIO;
  std::lock_guard lock(p.receive_mutex);
  StreamStats& stats = p.streams[{header.sender_participant_id(),
                                  static_cast<uint32_t>(header.kind()), header.track_id()}];
  const uint32_t layer =
      std::min<uint32_t>(header.spatial_layer(), limits::kMaxSimulcastLayers - 1);
  if (!stats.fresh && layer != stats.layer) {
    ++stats.layer_switches;
  } else if (!stats.fresh) {
    const uint32_t expected = stats.last_sequence + 1;
    if (header.sequence() > expected) {
      stats.lost += header.sequence() - expected;
    } else if (header.sequence() < expected) {
      ++stats.out_of_order;
    }
  }
  stats.fresh = false;
  stats.layer = layer;
  stats.last_sequence = header.sequence();
  ++stats.received;
  ++stats.by_layer[layer];
  if (video && p.explicit_view && header.track_id() == client::kCameraTrackId) {
    const uint64_t sender = header.sender_participant_id();
    if (!p.viewed.contains(sender)) ++p.unviewed_video;
    if (auto it = p.awaiting_first_frame.find(sender); it != p.awaiting_first_frame.end()) {
      const auto waited =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - it->second);
      p.first_frame_us.push_back(static_cast<uint32_t>(
          std::min<int64_t>(waited.count(), std::numeric_limits<uint32_t>::max())));
      p.awaiting_first_frame.erase(it);
    }
  }
  const uint64_t latency =
      now_wall_us > header.capture_time_us() ? now_wall_us - header.capture_time_us() : 0;
  auto& samples = video ? p.video_latency_us : p.audio_latency_us;
  samples.push_back(static_cast<uint32_t>(std::min<uint64_t>(latency, UINT32_MAX)));
}

}  // namespace vc::tools
