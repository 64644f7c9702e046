// Egress shards: threads that write WebSocket frames for the receivers assigned to them, so one
// room's fan-out spreads over every core. Rooms, sessions, reads and the drop policy stay on the
// relay thread; what moves is each receiver's socket write, the kernel's TCP send path, which is
// most of a fan-out's CPU (docs/BENCHMARKS.md).
//
// Hand-off: a receiver on a shard owns an EgressChannel (a dup of its socket and one WsWriteBatch).
// The relay thread fills the batch from the receiver's SendQueue while the channel is idle and
// submits it; the shard writes it (waiting for writability if the socket is full) and reports it
// done. One batch per receiver is in flight at a time, so frames keep their order, and while a
// shard is behind, new frames wait in the SendQueue under its drop policy: that is the
// back-pressure. Submissions of one relay loop turn reach a shard together (one lock, at most one
// wake-up); a shard returns its completions the same way.
//
// Threads: everything here is called on the relay thread except where a member says otherwise.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/ws/ws_egress.hpp"

namespace boost::asio {
class io_context;
}

namespace vc::ws {

class EgressShard;

// The session a channel writes for; told on the relay thread when a submitted batch is done.
class EgressOwner {
 public:
  virtual ~EgressOwner() = default;
  // kDone: the whole batch is written. kFailed: the connection is broken; the batch is dropped.
  virtual void on_egress_done(FlushResult result) = 0;
  // The relay loop turn in which write_this_turn() was asked has run its other handlers: write
  // what is queued now.
  virtual void on_write_turn() = 0;
};

// One receiver's socket on a shard. The batch belongs to the relay thread while the channel is
// idle and to the shard while it is in flight.
class EgressChannel {
 public:
  WsWriteBatch& batch() { return batch_; }
  bool in_flight() const { return in_flight_; }

 private:
  friend class EgressShard;
  friend class EgressShards;
  EgressChannel(int fd, EgressOwner& owner, std::size_t shard_index)
      : fd_(fd), owner_(&owner), shard_index_(shard_index) {}

  int fd_;              // dup of the session's socket: valid until the shard releases it
  EgressOwner* owner_;  // relay thread; null once released
  std::size_t shard_index_;
  bool in_flight_ = false;      // relay thread: submitted, not yet reported back
  bool release_asked_ = false;  // relay thread: released while in flight
  bool release_now_ = false;    // set before the submission that asks the shard to close fd_
  // Shard thread: the outcome of the last flush, and whether the socket is in its epoll set.
  FlushResult result_ = FlushResult::kDone;
  bool watched_ = false;
  bool released_ = false;  // the shard closed fd_: the relay thread may delete this
  WsWriteBatch batch_;
};

// Summed over the shards for /metrics (each counter is written by one shard thread).
struct EgressShardTotals {
  uint64_t batches = 0;         // batches written completely
  uint64_t blocked = 0;         // times a batch waited for writability
  uint64_t write_failures = 0;  // batches dropped because the connection broke
  uint64_t wakeups = 0;         // times a sleeping shard was woken for new work
};

class EgressShards {
 public:
  // Starts `count` shard threads (0: the relay thread writes everything). Completions run on
  // `relay_io`. Throws std::system_error when a thread or its epoll cannot be created.
  EgressShards(boost::asio::io_context& relay_io, std::size_t count);
  // Stops and joins the shards, then closes every channel still open.
  ~EgressShards();
  EgressShards(const EgressShards&) = delete;
  EgressShards& operator=(const EgressShards&) = delete;

  std::size_t shard_count() const { return shards_.size(); }

  // Assigns a receiver's socket, weighted round-robin over the relay thread and the shards: a
  // channel on a shard (its socket is dup'ed), or null when the relay thread writes this receiver
  // itself (also when dup fails).
  EgressChannel* attach(int fd, EgressOwner& owner);
  // Hands the channel's batch to its shard. The channel must be idle and its batch non-empty; the
  // owner hears on_egress_done() later, never from inside this call.
  void submit(EgressChannel& channel);
  // Calls owner.on_write_turn() once this relay loop turn's other handlers have run (one task per
  // turn for every owner asked), so frames routed to a receiver from several senders in one turn
  // leave in one write, as the kernel-floor relay does. The caller asks at most once per turn. An
  // owner gone by then is skipped (held weakly: this never keeps a session alive).
  void write_this_turn(std::weak_ptr<EgressOwner> owner);
  // The owner is going away: no more callbacks. The shard closes the dup'ed socket once no batch
  // of it is in flight; the channel is deleted after that.
  void release(EgressChannel& channel);

  EgressShardTotals totals() const;
  std::size_t open_channels() const { return channels_.size(); }
  // Stops the shards (they finish what is in their hands first) and joins them. Later submissions
  // are dropped; the destructor calls this.
  void stop();

 private:
  void publish();                           // the relay turn's submissions, per shard
  void write_turn();                        // the relay turn's deferred writes
  void on_completions(EgressShard& shard);  // relay thread

  boost::asio::io_context& relay_io_;
  std::vector<std::unique_ptr<EgressShard>> shards_;
  std::vector<std::vector<EgressChannel*>> outboxes_;     // per shard, this turn's submissions
  std::vector<EgressChannel*> completed_;                 // reused by on_completions
  std::vector<std::weak_ptr<EgressOwner>> turn_writers_;  // asked this turn
  std::vector<std::weak_ptr<EgressOwner>> turn_writing_;  // being written (reused)
  bool turn_posted_ = false;
  std::unordered_map<EgressChannel*, std::unique_ptr<EgressChannel>> channels_;
  std::size_t next_assignment_ = 0;
  bool publish_posted_ = false;
  bool stopped_ = false;
  // Posted handlers check it: a completion may be queued on relay_io after we are gone.
  std::shared_ptr<bool> alive_;
};

}  // namespace vc::ws
