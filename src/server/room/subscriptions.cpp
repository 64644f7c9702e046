#include "server/room/subscriptions.hpp"

#include <algorithm>

#include "common/limits.hpp"

namespace vc::room {

bool Subscriptions::apply(const v1::UpdateSubscriptions& update) {
  for (const v1::TrackRef& ref : update.remove()) {
    explicit_.erase(TrackKey{ref.publisher_participant_id(), ref.track_id()});
  }
  bool within_bound = true;
  for (const v1::TrackSubscription& sub : update.set()) {
    const TrackKey key{sub.track().publisher_participant_id(), sub.track().track_id()};
    if (key.publisher_id == 0 || key.track_id == 0) continue;
    auto it = explicit_.find(key);
    if (it == explicit_.end() && explicit_.size() >= limits::kMaxSubscriptionsPerReceiver) {
      within_bound = false;
      continue;
    }
    explicit_[key] = Want{sub.paused(), sub.max_height()};
  }
  if (update.has_defaults()) {
    defaults_ = update.defaults();
    defaults_.set_last_n(std::min<uint32_t>(defaults_.last_n(), limits::kMaxLastN));
  }
  return within_bound;
}

void Subscriptions::forget_publisher(uint64_t publisher_id) {
  std::erase_if(explicit_,
                [&](const auto& entry) { return entry.first.publisher_id == publisher_id; });
}

Want Subscriptions::resolve(const TrackKey& key, v1::MediaKind kind, v1::TrackSource source,
                            bool recent_speaker) const {
  if (auto it = explicit_.find(key); it != explicit_.end()) return it->second;
  if (kind == v1::MEDIA_KIND_AUDIO) return Want{};
  if (recent_speaker && source == v1::TRACK_SOURCE_CAMERA) {
    return Want{false, defaults_.last_n_max_height()};
  }
  switch (defaults_.video()) {
    case v1::VIDEO_DEFAULT_PAUSED:
      return Want{true, 0};
    case v1::VIDEO_DEFAULT_MAX_HEIGHT:
      return Want{false, defaults_.video_max_height()};
    default:
      return Want{};
  }
}

}  // namespace vc::room
