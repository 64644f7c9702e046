// RoomRegistry: meeting id -> live Room on the relay thread. Rooms are created on first join and
// dropped on the timer tick once empty; sessions hold a shared_ptr so a room outlives its last
// reference safely even after the registry forgot it.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

#include "server/room/room.hpp"

namespace vc::core {

class RoomRegistry {
 public:
  explicit RoomRegistry(room::NowFn now, room::RoomObserver* observer = nullptr)
      : now_(std::move(now)), observer_(observer) {}

  // Rooms created from now on report to `observer` (the cross-node bus); set it before the first.
  void set_observer(room::RoomObserver* observer) { observer_ = observer; }
  // Rooms created from now on give each member this control budget.
  void set_control_rate(room::ControlRate rate) { control_rate_ = rate; }
  void set_forwarding(room::ForwardingConfig forwarding) { forwarding_ = forwarding; }
  // Rooms created from now on persist host actions through `observer` (the store).
  void set_moderation_observer(room::ModerationObserver* observer) { moderation_ = observer; }

  // The store's moderation state of a meeting (from a join API call, or after a host action).
  // A room created later starts from it; a live room that has not learnt its state yet takes it
  // (a live room that has is ahead of the store: its own actions are still being written), as
  // does an ended live room the store says is open again (the host came back).
  // At most limits::kMaxCachedModerationStates meetings are remembered.
  void remember_moderation(const std::string& meeting_id, const room::ModerationState& state);

  std::shared_ptr<room::Room> get_or_create(const std::string& meeting_id);
  room::Room* find(const std::string& meeting_id) const;

  // Ends expired reconnect grace periods and forgets empty rooms.
  void tick();

  std::size_t room_count() const { return rooms_.size(); }
  std::size_t participant_count() const;
  // Totals over live rooms plus rooms already dropped.
  room::RoomStats total_stats() const;

  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [id, r] : rooms_) fn(*r);
  }

 private:
  room::NowFn now_;
  room::RoomObserver* observer_;
  room::ControlRate control_rate_;
  room::ForwardingConfig forwarding_;
  room::ModerationObserver* moderation_ = nullptr;
  std::unordered_map<std::string, room::ModerationState> moderation_cache_;
  std::deque<std::string> moderation_order_;  // oldest first, for eviction
  std::unordered_map<std::string, std::shared_ptr<room::Room>> rooms_;
  room::RoomStats retired_;
};

}  // namespace vc::core
