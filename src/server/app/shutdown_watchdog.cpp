#include "server/app/shutdown_watchdog.hpp"

#include "common/log.hpp"

namespace vc::app {

void ShutdownWatchdog::arm() {
  if (watcher_.joinable()) return;
  watcher_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    if (finished_changed_.wait_for(lock, limit_, [this] { return finished_; })) return;
    fired_ = true;
    VC_LOG_ERROR("event=shutdown_stuck after_ms={} action=stop_relay_loop", limit_.count());
    io_.stop();
  });
}

bool ShutdownWatchdog::fired() const {
  std::lock_guard lock(mutex_);
  return fired_;
}

void ShutdownWatchdog::disarm() {
  {
    std::lock_guard lock(mutex_);
    finished_ = true;
  }
  finished_changed_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace vc::app
