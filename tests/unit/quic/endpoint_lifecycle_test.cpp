// The endpoint outlives its connections safely. The sequence that ended the process: the idle
// timer fires, service() tells the application the connection closed, the application asks for a
// flush (queued, holding a weak_ptr), destroy() erases the connection but keeps the object alive
// until the end of the turn; the queued flush then locked the weak_ptr, serviced the dead
// connection and destroy()ed it again: std::out_of_range from connections_.at() out of
// io_context::run().
#include <gtest/gtest.h>

#include "endpoint_harness.hpp"

namespace vc::quic {
namespace {

using testing::Client;
using testing::EndpointHarness;

// Requests a flush from on_connection_closed(), as an application releasing its room membership
// may (anything it wakes can write to this connection).
class FlushOnClose final : public testing::NullApplication {
 public:
  FlushOnClose(ConnectionHandle& handle, int& closed) : handle_(handle), closed_(closed) {}
  void on_connection_closed() override {
    ++closed_;
    handle_.request_flush();
  }

 private:
  ConnectionHandle& handle_;
  int& closed_;
};

struct Lifecycle : ::testing::Test {
  int closed = 0;
  EndpointHarness harness{
      [] {
        EndpointConfig config;
        config.transport.idle_timeout_ms = 200;
        return config;
      }(),
      [this](ConnectionHandle& handle) { return std::make_unique<FlushOnClose>(handle, closed); }};
};

TEST_F(Lifecycle, FlushRequestedWhileIdleTimeoutDestroysTheConnectionIsIgnored) {
  Client client(harness.server, harness.certificate);
  ASSERT_TRUE(client.connection);
  ASSERT_TRUE(harness.wait_until(
      [&] { return client.events.handshake && harness.endpoint->connection_count() == 1; },
      {&client}));
  // The client goes silent: the server's idle timer closes and destroys the connection while the
  // application's flush request is queued.
  harness.endpoint->stop_accepting();  // the socket closes with the last connection: run() ends
  EXPECT_NO_THROW(harness.io.run());
  EXPECT_EQ(closed, 1);
  EXPECT_EQ(harness.endpoint->connection_count(), 0u);
  EXPECT_EQ(harness.endpoint->stats().connections_closed, 1u);
}

}  // namespace
}  // namespace vc::quic
