// Subscriptions: what one receiver wants of each track (docs/PROTOCOL.md §11.3). Sans-I/O and
// bounded: at most limits::kMaxSubscriptionsPerReceiver explicit entries.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "protocol/envelope.hpp"

namespace vc::room {

// A (publisher, track) pair packed into one key.
struct TrackKey {
  uint64_t publisher_id = 0;
  uint32_t track_id = 0;
  bool operator==(const TrackKey&) const = default;
};

struct TrackKeyHash {
  std::size_t operator()(const TrackKey& key) const {
    return std::hash<uint64_t>{}(key.publisher_id * 0x9E3779B97F4A7C15ull ^ key.track_id);
  }
};

// The resolved wish for one track: nothing, or frames up to a height (0 = the highest layer).
struct Want {
  bool paused = false;
  uint32_t max_height = 0;
  bool operator==(const Want&) const = default;
};

class Subscriptions {
 public:
  // No Hello.subscriptions: every track at its highest layer (clients before tracks).
  Subscriptions() = default;
  explicit Subscriptions(const v1::SubscriptionDefaults& defaults) : defaults_(defaults) {}

  // Applies one UpdateSubscriptions. Returns false (and applies nothing of `set` beyond the bound)
  // when the explicit entries would exceed limits::kMaxSubscriptionsPerReceiver.
  bool apply(const v1::UpdateSubscriptions& update);
  // The publisher's track is gone: its explicit entry goes too.
  void forget(const TrackKey& key) { explicit_.erase(key); }
  void forget_publisher(uint64_t publisher_id);

  // `recent_speaker`: the publisher is among this receiver's last_n most recent speakers.
  Want resolve(const TrackKey& key, v1::MediaKind kind, v1::TrackSource source,
               bool recent_speaker) const;

  uint32_t last_n() const { return defaults_.last_n(); }
  std::size_t explicit_count() const { return explicit_.size(); }

 private:
  v1::SubscriptionDefaults defaults_;
  std::unordered_map<TrackKey, Want, TrackKeyHash> explicit_;
};

}  // namespace vc::room
