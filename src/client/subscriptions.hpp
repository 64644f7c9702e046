// SubscriptionBook: the receiver's side of docs/PROTOCOL.md §11.3, kept so that a new connection
// (resume or rejoin) gets the same subscriptions. The server resets a reconnected member to the
// defaults of its new Hello, so the client states the defaults there and re-sends its explicit
// entries right behind it, as it does for published tracks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>

#include "proto/videocall.pb.h"

namespace vc {
namespace v1 = ::videocall::v1;
}  // namespace vc

namespace vc::client {

class SubscriptionBook {
 public:
  // `defaults` absent: Hello carries none (every track at its highest layer).
  explicit SubscriptionBook(std::optional<v1::SubscriptionDefaults> defaults)
      : defaults_(std::move(defaults)) {}

  // Mirrors what the server does with the same update (remove, then set, then defaults).
  void apply(const v1::UpdateSubscriptions& update);
  // The publisher left: the server dropped its entries too.
  void forget_publisher(uint64_t publisher_id);

  // The defaults to put in Hello, if any.
  const std::optional<v1::SubscriptionDefaults>& defaults() const { return defaults_; }
  // The explicit entries to re-send behind Hello; nullopt when there are none.
  std::optional<v1::UpdateSubscriptions> replay() const;
  std::size_t explicit_count() const { return explicit_.size(); }

 private:
  std::optional<v1::SubscriptionDefaults> defaults_;
  std::map<std::pair<uint64_t, uint32_t>, v1::TrackSubscription> explicit_;
};

}  // namespace vc::client
