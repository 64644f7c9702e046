// SendBatch on a full socket buffer: EAGAIN keeps the unsent packets, in order, and the batch
// takes nothing new until a flush gets through; other errors drop one message and go on.
#include "net/quic/udp_batch.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "endpoint_harness.hpp"

namespace vc::quic {
namespace {

SocketAddress peer(uint16_t port) {
  return testing::ipv4(0x7f000001, port);
}

// A fake socket: accepts `room` messages per call (then EAGAIN) or fails with `error`.
struct FakeSocket {
  std::size_t room = SIZE_MAX;
  int error = 0;
  std::vector<std::string> sent;  // each message's first payload byte, as a one-letter name
  int send(mmsghdr* messages, unsigned count) {
    if (error != 0) {
      errno = error;
      return -1;
    }
    if (room == 0) {
      errno = EAGAIN;
      return -1;
    }
    const unsigned taken = static_cast<unsigned>(std::min<std::size_t>(room, count));
    for (unsigned i = 0; i < taken; ++i) {
      const auto* bytes = static_cast<const char*>(messages[i].msg_hdr.msg_iov[0].iov_base);
      sent.emplace_back(1, bytes[0]);
    }
    room -= taken;
    return static_cast<int>(taken);
  }
};

void add(SendBatch& batch, char name, uint16_t port) {
  const auto buffer = batch.reserve(1200);
  ASSERT_EQ(buffer.size(), 1200u);
  std::memset(buffer.data(), name, 100);
  batch.commit(peer(port), 100);
}

TEST(SendBatch, FullSocketBufferKeepsTheRestInOrderUntilItDrains) {
  FakeSocket socket;
  SendBatch batch(/*use_gso=*/false);
  batch.set_send_function([&](int, mmsghdr* m, unsigned n) { return socket.send(m, n); });
  for (char name : std::string("abcde")) add(batch, name, 4000);
  socket.room = 2;
  EXPECT_EQ(batch.flush(-1), 0u) << "nothing is dropped";
  EXPECT_TRUE(batch.blocked());
  EXPECT_EQ(batch.blocked_count(), 1u);
  EXPECT_EQ(socket.sent, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(batch.reserve(1200).empty()) << "no new packets while blocked";

  socket.room = SIZE_MAX;  // the buffer drained
  EXPECT_EQ(batch.flush(-1), 0u);
  EXPECT_FALSE(batch.blocked());
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(socket.sent, (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  EXPECT_EQ(batch.packets_sent(), 5u);
  add(batch, 'f', 4000);  // takes packets again
  EXPECT_EQ(batch.flush(-1), 0u);
  EXPECT_EQ(socket.sent.back(), "f");
}

TEST(SendBatch, BlockedBeforeTheFirstMessageKeepsEverything) {
  FakeSocket socket;
  SendBatch batch(false);
  batch.set_send_function([&](int, mmsghdr* m, unsigned n) { return socket.send(m, n); });
  add(batch, 'a', 4000);
  add(batch, 'b', 4001);
  socket.room = 0;
  EXPECT_EQ(batch.flush(-1), 0u);
  EXPECT_TRUE(batch.blocked());
  EXPECT_TRUE(socket.sent.empty());
  socket.room = SIZE_MAX;
  EXPECT_EQ(batch.flush(-1), 0u);
  EXPECT_EQ(socket.sent, (std::vector<std::string>{"a", "b"}));
}

TEST(SendBatch, OtherErrorsDropOneMessageAtATimeAndGoOn) {
  FakeSocket socket;
  SendBatch batch(false);
  batch.set_send_function([&](int, mmsghdr* m, unsigned n) { return socket.send(m, n); });
  add(batch, 'a', 4000);
  add(batch, 'b', 4001);
  socket.error = EHOSTUNREACH;
  EXPECT_EQ(batch.flush(-1), 2u) << "both refused";
  EXPECT_FALSE(batch.blocked());
  EXPECT_TRUE(batch.empty());
}

}  // namespace
}  // namespace vc::quic
