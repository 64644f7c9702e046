#include "videocall/event_loop.hpp"

namespace vc::client {

EventLoop::EventLoop(unsigned threads) : work_(boost::asio::make_work_guard(context_)) {
  if (threads == 0) threads = 1;
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { context_.run(); });
}

EventLoop::~EventLoop() {
  stop();
}

void EventLoop::drain() {
  work_.reset();
  for (auto& thread : threads_) {
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  }
  threads_.clear();
}

void EventLoop::stop() {
  work_.reset();
  context_.stop();
  for (auto& thread : threads_) {
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  }
  threads_.clear();
}

}  // namespace vc::client
