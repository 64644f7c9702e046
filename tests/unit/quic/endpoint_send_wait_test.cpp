// A full UDP socket buffer (sendmmsg: EAGAIN) makes the endpoint wait for writability and send
// what it had, in order, instead of dropping packets and leaving QUIC to resend them as if the
// network had lost them. The socket buffer is faked (every other send call finds it full); the
// rest is a real endpoint and a real client on loopback.
#include <gtest/gtest.h>

#include <cerrno>

#include "endpoint_harness.hpp"

namespace vc::quic {
namespace {

using testing::Client;
using testing::EndpointHarness;

constexpr std::size_t kStreamBytes = 300 * 1024;  // a few hundred packets, many batches

uint8_t pattern(std::size_t offset) {
  return static_cast<uint8_t>((offset * 7 + offset / 251) & 0xff);
}

// Sends one stream of kStreamBytes, then FIN, as soon as the handshake completes.
class StreamSender final : public testing::NullApplication {
 public:
  explicit StreamSender(ConnectionHandle& handle) : handle_(handle) {}
  void on_handshake_completed() override {
    std::vector<uint8_t> bytes(kStreamBytes);
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = pattern(i);
    const int64_t stream = handle_.quic().open_stream(/*bidirectional=*/false, 0);
    ASSERT_GE(stream, 0);
    ASSERT_TRUE(handle_.quic().write_stream(stream, bytes, /*fin=*/true));
    handle_.request_flush();
  }

 private:
  ConnectionHandle& handle_;
};

struct Receiver final : testing::NullApplication {
  bool handshake = false;
  bool fin = false;
  std::vector<uint8_t> bytes;
  void on_handshake_completed() override { handshake = true; }
  void on_stream_data(int64_t, ByteView data, bool last) override {
    bytes.insert(bytes.end(), data.begin(), data.end());
    fin = fin || last;
  }
};

TEST(EndpointSendWait, FullSocketBufferDelaysPacketsAndDropsNone) {
  int calls = 0;
  int refused_calls = 0;
  EndpointConfig config;
  config.send_messages = [&](int fd, mmsghdr* messages, unsigned count) {
    if (++calls % 2 == 0) {  // every other call finds the buffer full
      ++refused_calls;
      errno = EAGAIN;
      return -1;
    }
    return ::sendmmsg(fd, messages, count, MSG_DONTWAIT);
  };
  EndpointHarness harness(std::move(config), [](ConnectionHandle& handle) {
    return std::make_unique<StreamSender>(handle);
  });
  Client client(harness.server, harness.certificate);
  ASSERT_TRUE(client.connection);
  Receiver receiver;
  client.connection->set_events(&receiver);
  ASSERT_TRUE(harness.wait_until([&] { return receiver.fin; }, {&client}))
      << "received " << receiver.bytes.size() << " of " << kStreamBytes << " bytes";
  ASSERT_EQ(receiver.bytes.size(), kStreamBytes);
  for (std::size_t i = 0; i < kStreamBytes; ++i) {
    ASSERT_EQ(receiver.bytes[i], pattern(i)) << "at offset " << i;
  }
  const EndpointStats& stats = harness.endpoint->stats();
  EXPECT_GT(refused_calls, 0);
  EXPECT_GT(stats.send_waits, 0u) << "the endpoint waited for writability";
  EXPECT_EQ(stats.packets_refused_by_kernel, 0u) << "and dropped nothing";
}

}  // namespace
}  // namespace vc::quic
