// ShutdownWatchdog: bounds the end of a shutdown. Once the server has closed every session,
// the relay io_context should run out of work at once (no io.stop(): every handler still runs).
// If something still holds the loop (a bug: an operation nobody cancels), the watchdog stops it
// after `limit` and logs it, so the process exits instead of hanging forever (main.cpp then
// exits without destructors: handlers left on the stopped loop may refer to destroyed objects).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace vc::app {

class ShutdownWatchdog {
 public:
  ShutdownWatchdog(boost::asio::io_context& io, std::chrono::milliseconds limit)
      : io_(io), limit_(limit) {}
  ~ShutdownWatchdog() { disarm(); }
  ShutdownWatchdog(const ShutdownWatchdog&) = delete;
  ShutdownWatchdog& operator=(const ShutdownWatchdog&) = delete;

  // The shutdown has closed everything: from now on the loop has `limit` to run out of work.
  // Called on the relay thread; later calls do nothing.
  void arm();
  // io.run() has returned: ends the watch (joins its thread).
  void disarm();
  // True when the loop had to be stopped.
  bool fired() const;

 private:
  boost::asio::io_context& io_;
  const std::chrono::milliseconds limit_;
  mutable std::mutex mutex_;
  std::condition_variable finished_changed_;
  bool finished_ = false;
  bool fired_ = false;
  std::thread watcher_;
};

}  // namespace vc::app
