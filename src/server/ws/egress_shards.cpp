#include "server/ws/egress_shards.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <mutex>
#include <system_error>
#include <thread>

#include "common/limits.hpp"

namespace vc::ws {

namespace {

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// sendmsg is writev with flags: never blocks, never raises SIGPIPE.
ssize_t send_vectored(int fd, const iovec* iov, int count) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(iov);
  message.msg_iovlen = static_cast<std::size_t>(count);
  return ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

// One egress thread: an epoll loop over its wake-up eventfd and the sockets that wait for
// writability. The relay thread talks to it only through enqueue() and take_completions().
class EgressShard {
 public:
  explicit EgressShard(std::function<void()> completions_ready)
      : completions_ready_(std::move(completions_ready)) {
    epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) throw_errno("epoll_create1");
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) {
      ::close(epoll_fd_);
      throw_errno("eventfd");
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = nullptr;  // the wake-up
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
      close_fds();
      throw_errno("epoll_ctl");
    }
    thread_ = std::thread([this] { run(); });
  }

  ~EgressShard() {
    stop();
    close_fds();
  }

  // Relay thread: appends this turn's submissions (leaves `work` empty) and wakes the shard if
  // it sleeps.
  void enqueue(std::vector<EgressChannel*>& work) {
    bool wake = false;
    {
      const std::lock_guard lock(mutex_);
      if (inbox_.empty()) {
        inbox_.swap(work);  // hands back the inbox's spare capacity: no allocation per turn
      } else {
        inbox_.insert(inbox_.end(), work.begin(), work.end());
      }
      wake = std::exchange(sleeping_, false);
    }
    work.clear();
    if (wake) wake_up();
  }

  // Relay thread: the channels this shard is done with since the last call.
  void take_completions(std::vector<EgressChannel*>& out) {
    out.clear();
    const std::lock_guard lock(mutex_);
    out.swap(completions_);
  }

  void stop() {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      sleeping_ = false;
    }
    wake_up();
    if (thread_.joinable()) thread_.join();
  }

  EgressShardTotals totals() const {
    return {batches_.load(std::memory_order_relaxed), blocked_.load(std::memory_order_relaxed),
            write_failures_.load(std::memory_order_relaxed),
            wakeups_.load(std::memory_order_relaxed)};
  }

 private:
  void run() {
    for (;;) {
      bool stop = false;
      {
        const std::lock_guard lock(mutex_);
        work_.swap(inbox_);
        stop = stopping_;
        if (work_.empty() && !stop) sleeping_ = true;
      }
      if (stop) return;  // what is left is closed by EgressShards' destructor
      if (work_.empty()) {
        wait_for_events(-1);
      } else {
        for (EgressChannel* channel : work_) handle(*channel);
        work_.clear();
        wait_for_events(0);  // sockets that became writable meanwhile
      }
      publish_completions();
    }
  }

  void handle(EgressChannel& channel) {
    if (channel.release_now_) return release(channel);
    flush(channel);
  }

  void flush(EgressChannel& channel) {
    const int fd = channel.fd_;
    const FlushResult result = channel.batch_.flush(
        [fd](const iovec* iov, int count) { return send_vectored(fd, iov, count); });
    if (result == FlushResult::kBlocked) {
      blocked_.fetch_add(1, std::memory_order_relaxed);
      if (watch_writable(channel)) return;
      channel.batch_.clear();
      channel.result_ = FlushResult::kFailed;
      write_failures_.fetch_add(1, std::memory_order_relaxed);
    } else if (result == FlushResult::kFailed) {
      channel.batch_.clear();
      channel.result_ = FlushResult::kFailed;
      write_failures_.fetch_add(1, std::memory_order_relaxed);
    } else {
      channel.result_ = FlushResult::kDone;
      batches_.fetch_add(1, std::memory_order_relaxed);
    }
    done_.push_back(&channel);
  }

  // One-shot: the event disarms itself, so a socket is only watched while a batch waits on it.
  bool watch_writable(EgressChannel& channel) {
    epoll_event event{};
    event.events = EPOLLOUT | EPOLLONESHOT;
    event.data.ptr = &channel;
    const int op = channel.watched_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(epoll_fd_, op, channel.fd_, &event) != 0) return false;
    channel.watched_ = true;
    return true;
  }

  void release(EgressChannel& channel) {
    if (channel.watched_) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, channel.fd_, nullptr);
    channel.watched_ = false;
    channel.batch_.clear();
    ::close(channel.fd_);
    channel.fd_ = -1;
    channel.released_ = true;
    done_.push_back(&channel);
  }

  void wait_for_events(int timeout_ms) {
    std::array<epoll_event, limits::kEgressShardEpollEvents> events{};
    const int count =
        ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    for (int i = 0; i < count; ++i) {
      auto* channel = static_cast<EgressChannel*>(events[static_cast<std::size_t>(i)].data.ptr);
      if (channel == nullptr) {
        uint64_t ignored = 0;
        [[maybe_unused]] const ssize_t n = ::read(wake_fd_, &ignored, sizeof ignored);
        continue;
      }
      flush(*channel);  // writable, or an error that the write will report
    }
  }

  void publish_completions() {
    if (done_.empty()) return;
    bool was_empty = false;
    {
      const std::lock_guard lock(mutex_);
      was_empty = completions_.empty();
      if (was_empty) {
        completions_.swap(done_);
      } else {
        completions_.insert(completions_.end(), done_.begin(), done_.end());
      }
    }
    done_.clear();
    if (was_empty) completions_ready_();  // the relay drains everything queued by then
  }

  void wake_up() {
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof one);
  }

  void close_fds() {
    if (wake_fd_ >= 0) ::close(wake_fd_);
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    wake_fd_ = epoll_fd_ = -1;
  }

  std::function<void()> completions_ready_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::vector<EgressChannel*> inbox_;        // mutex_
  std::vector<EgressChannel*> completions_;  // mutex_
  bool sleeping_ = false;                    // mutex_: about to wait, needs a wake-up
  bool stopping_ = false;                    // mutex_
  std::vector<EgressChannel*> work_;         // shard thread
  std::vector<EgressChannel*> done_;         // shard thread
  std::atomic<uint64_t> batches_{0};
  std::atomic<uint64_t> blocked_{0};
  std::atomic<uint64_t> write_failures_{0};
  std::atomic<uint64_t> wakeups_{0};
  std::thread thread_;  // last: starts after everything above exists
};

EgressShards::EgressShards(boost::asio::io_context& relay_io, std::size_t count)
    : relay_io_(relay_io), outboxes_(count), alive_(std::make_shared<bool>(true)) {
  shards_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    // Runs on shard i's thread; asio::post is thread-safe.
    shards_.push_back(std::make_unique<EgressShard>([this, i, alive = alive_] {
      boost::asio::post(relay_io_, [this, i, alive] {
        if (*alive) on_completions(*shards_[i]);
      });
    }));
  }
}

EgressShards::~EgressShards() {
  stop();
  *alive_ = false;
  for (auto& [raw, channel] : channels_) {
    if (!channel->released_) ::close(channel->fd_);
  }
}

void EgressShards::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& shard : shards_) shard->stop();
}

EgressChannel* EgressShards::attach(int fd, EgressOwner& owner) {
  if (shards_.empty()) return nullptr;
  // Weighted round-robin: each shard takes kEgressShardWeight receivers for each one the relay
  // thread keeps, since the relay thread also reads, routes and hands off for all of them.
  const std::size_t slot = next_assignment_++ % (limits::kEgressShardWeight * shards_.size() + 1);
  if (slot == 0 || stopped_) return nullptr;  // the relay thread's share
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return nullptr;
  auto channel = std::unique_ptr<EgressChannel>(
      new EgressChannel(copy, owner, (slot - 1) / limits::kEgressShardWeight));
  EgressChannel* raw = channel.get();
  channels_.emplace(raw, std::move(channel));
  return raw;
}

void EgressShards::submit(EgressChannel& channel) {
  if (stopped_ || channel.in_flight_) return;
  channel.in_flight_ = true;
  outboxes_[channel.shard_index_].push_back(&channel);
  if (!publish_posted_) {
    publish_posted_ = true;
    boost::asio::post(relay_io_, [this, alive = alive_] {
      if (*alive) publish();
    });
  }
}

void EgressShards::write_this_turn(std::weak_ptr<EgressOwner> owner) {
  turn_writers_.push_back(std::move(owner));
  if (!turn_posted_) {
    turn_posted_ = true;
    boost::asio::post(relay_io_, [this, alive = alive_] {
      if (*alive) write_turn();
    });
  }
}

void EgressShards::write_turn() {
  turn_posted_ = false;
  // Swapped out first: a write may ask for the next turn.
  turn_writing_.swap(turn_writers_);
  for (const auto& weak : turn_writing_) {
    if (const auto owner = weak.lock()) owner->on_write_turn();
  }
  turn_writing_.clear();  // keeps its capacity: no allocation per turn
}

void EgressShards::release(EgressChannel& channel) {
  channel.owner_ = nullptr;
  if (channel.in_flight_) {
    channel.release_asked_ = true;  // released when the shard hands it back
    return;
  }
  if (stopped_) return;  // closed by the destructor
  channel.release_now_ = true;
  submit(channel);
}

void EgressShards::publish() {
  publish_posted_ = false;
  for (std::size_t i = 0; i < shards_.size(); ++i) {
    if (!outboxes_[i].empty()) shards_[i]->enqueue(outboxes_[i]);
  }
}

void EgressShards::on_completions(EgressShard& shard) {
  shard.take_completions(completed_);
  for (EgressChannel* channel : completed_) {
    channel->in_flight_ = false;
    if (channel->released_) {
      channels_.erase(channel);
    } else if (channel->release_asked_) {
      release(*channel);
    } else if (channel->owner_ != nullptr) {
      channel->owner_->on_egress_done(channel->result_);
    }
  }
  completed_.clear();
}

EgressShardTotals EgressShards::totals() const {
  EgressShardTotals sum;
  for (const auto& shard : shards_) {
    const EgressShardTotals one = shard->totals();
    sum.batches += one.batches;
    sum.blocked += one.blocked;
    sum.write_failures += one.write_failures;
    sum.wakeups += one.wakeups;
  }
  return sum;
}

}  // namespace vc::ws
