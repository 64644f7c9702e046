// EventLoop: an io_context and the threads that run it. Many Clients may share one loop (the bot
// runs hundreds on two threads); each Client serialises its own work on a strand.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace vc::client {

class EventLoop {
 public:
  explicit EventLoop(unsigned threads = 1);
  ~EventLoop();  // stops and joins
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  boost::asio::io_context& context() { return context_; }
  // Stops the loop (pending handlers are abandoned) and joins the threads. Call after the
  // clients on it have closed (on_closed), e.g. after leave().
  void stop();
  // Lets outstanding work (closing handshakes) finish, then joins the threads. Every client on
  // the loop must have closed first, or this waits for it.
  void drain();

 private:
  boost::asio::io_context context_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

}  // namespace vc::client
