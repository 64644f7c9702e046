#include "subscriptions.hpp"

#include "common/limits.hpp"
#include "videocall/client.hpp"

namespace vc::client {

void SubscriptionBook::apply(const v1::UpdateSubscriptions& update) {
  // The server's order: remove, then set (an entry in both ends up set), then defaults.
  for (const v1::TrackRef& ref : update.remove()) {
    explicit_.erase({ref.publisher_participant_id(), ref.track_id()});
  }
  for (const v1::TrackSubscription& sub : update.set()) {
    const std::pair key{sub.track().publisher_participant_id(), sub.track().track_id()};
    if (key.first == 0 || key.second == 0) continue;  // the server ignores these
    // Beyond the server's bound an entry is refused there, so it is not replayed either.
    if (!explicit_.contains(key) && explicit_.size() >= limits::kMaxSubscriptionsPerReceiver) {
      continue;
    }
    explicit_[key] = sub;
  }
  if (update.has_defaults()) defaults_ = update.defaults();
}

void SubscriptionBook::forget_publisher(uint64_t publisher_id) {
  const auto first = explicit_.lower_bound({publisher_id, 0});
  const auto last = explicit_.lower_bound({publisher_id + 1, 0});
  explicit_.erase(first, last);
}

std::optional<v1::UpdateSubscriptions> SubscriptionBook::replay() const {
  if (explicit_.empty()) return std::nullopt;
  v1::UpdateSubscriptions update;
  update.mutable_set()->Reserve(static_cast<int>(explicit_.size()));
  for (const auto& entry : explicit_) *update.add_set() = entry.second;
  return update;
}

v1::TrackSubscription track_subscription(uint64_t publisher_participant_id, uint32_t track_id,
                                         uint32_t max_height, bool paused) {
  v1::TrackSubscription sub;
  sub.mutable_track()->set_publisher_participant_id(publisher_participant_id);
  sub.mutable_track()->set_track_id(track_id);
  sub.set_max_height(max_height);
  sub.set_paused(paused);
  return sub;
}

v1::SubscriptionDefaults video_defaults(uint32_t max_height, bool paused) {
  v1::SubscriptionDefaults defaults;
  defaults.set_video(paused           ? v1::VIDEO_DEFAULT_PAUSED
                     : max_height > 0 ? v1::VIDEO_DEFAULT_MAX_HEIGHT
                                      : v1::VIDEO_DEFAULT_ALL);
  defaults.set_video_max_height(paused ? 0 : max_height);
  return defaults;
}

}  // namespace vc::client
