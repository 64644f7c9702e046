#include "server/app/shutdown_watchdog.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace vc::app {
namespace {

using namespace std::chrono_literals;

TEST(ShutdownWatchdog, StopsALoopThatNeverRunsOutOfWork) {
  boost::asio::io_context io;
  // Stands for an operation nobody cancels: without the watchdog run() would wait an hour.
  boost::asio::steady_timer forgotten(io, std::chrono::hours(1));
  forgotten.async_wait([](boost::system::error_code) {});
  ShutdownWatchdog watchdog(io, 50ms);
  boost::asio::post(io, [&] { watchdog.arm(); });
  io.run();
  watchdog.disarm();
  EXPECT_TRUE(watchdog.fired());
}

TEST(ShutdownWatchdog, LeavesALoopThatFinishesAlone) {
  boost::asio::io_context io;
  ShutdownWatchdog watchdog(io, std::chrono::hours(1));
  bool ran = false;
  boost::asio::post(io, [&] {
    watchdog.arm();
    boost::asio::post(io, [&] { ran = true; });  // work after arm() still runs
  });
  io.run();
  watchdog.disarm();  // returns at once: the hour is not waited for
  EXPECT_TRUE(ran);
  EXPECT_FALSE(watchdog.fired());
}

}  // namespace
}  // namespace vc::app
