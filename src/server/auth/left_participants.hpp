// Participants that left on purpose (Control.leave). Their room tokens stay valid until they
// expire, so without this a leaked or kept token could be refreshed forever after the person left.
// Remembered until any token issued before the Leave has expired; bounded (oldest forgotten first).
// Used on the relay thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>

namespace vc::auth {

class LeftParticipants {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit LeftParticipants(std::size_t capacity) : capacity_(capacity) {}

  // `until`: when every token issued so far for this participant has expired.
  void remember(uint64_t participant_id, TimePoint until, TimePoint now);
  bool has_left(uint64_t participant_id, TimePoint now) const;
  std::size_t size() const { return until_.size(); }

 private:
  void forget_oldest();

  std::size_t capacity_;
  std::unordered_map<uint64_t, TimePoint> until_;
  // In order of remember() calls, which is expiry order: every entry gets the same lifetime.
  std::deque<std::pair<TimePoint, uint64_t>> order_;
};

}  // namespace vc::auth
