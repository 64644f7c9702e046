#include "session.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>

namespace vc::tools {

namespace asio = boost::asio;

int run_client_session(client::EventLoop& loop, const std::shared_ptr<client::Client>& client,
                       StopLatch& latch, double duration_s,
                       const std::function<void()>& before_leave) {
  asio::signal_set signals(loop.context(), SIGINT, SIGTERM);
  asio::steady_timer deadline(loop.context());
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) latch.stop(kExitOk);
  });
  if (duration_s > 0) {
    deadline.expires_after(std::chrono::milliseconds(static_cast<int64_t>(duration_s * 1000)));
    deadline.async_wait([&](boost::system::error_code ec) {
      if (!ec) latch.stop(kExitOk);
    });
  }
  client->start();
  const int code = latch.wait();
  if (before_leave) before_leave();
  client->leave();
  asio::post(loop.context(), [&] {
    signals.cancel();
    deadline.cancel();
  });
  loop.drain();
  return code;
}

}  // namespace vc::tools
