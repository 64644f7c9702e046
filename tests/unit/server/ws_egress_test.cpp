// WebSocket direct egress (src/server/ws/ws_egress.hpp): frame headers per RFC 6455 §5.2, and a
// batch written over a real socketpair whose reader is slower than the writer, so short writes and
// EAGAIN happen; every frame arrives whole, unmasked and in order, and nothing is written twice.
#include "server/ws/ws_egress.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace vc::ws {
namespace {

std::vector<uint8_t> header_of(uint8_t opcode, uint64_t size) {
  std::array<uint8_t, 10> out{};
  return {out.begin(), out.begin() + static_cast<long>(encode_frame_header(opcode, size, out))};
}

TEST(WsEgress, HeaderLengthForms) {
  EXPECT_EQ(header_of(kOpcodeBinary, 0), (std::vector<uint8_t>{0x82, 0}));
  EXPECT_EQ(header_of(kOpcodeBinary, 125), (std::vector<uint8_t>{0x82, 125}));
  EXPECT_EQ(header_of(kOpcodeBinary, 126), (std::vector<uint8_t>{0x82, 126, 0, 126}));
  EXPECT_EQ(header_of(kOpcodeBinary, 65535), (std::vector<uint8_t>{0x82, 126, 0xff, 0xff}));
  EXPECT_EQ(header_of(kOpcodeBinary, 65536),
            (std::vector<uint8_t>{0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(header_of(kOpcodePing, 0), (std::vector<uint8_t>{0x89, 0}));
}

FrameRef frame_of(std::size_t size, uint8_t fill) {
  FrameRef frame = Frame::allocate(size, FrameMeta{});
  auto bytes = frame.mutable_frame()->mutable_bytes();
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>(fill + i);
  return frame;
}

struct Parsed {
  uint8_t first = 0;
  std::vector<uint8_t> payload;
};

// Parses unmasked server frames; fails the test on a masked or truncated one.
std::vector<Parsed> parse(const std::vector<uint8_t>& stream) {
  std::vector<Parsed> frames;
  std::size_t at = 0;
  while (at < stream.size()) {
    EXPECT_GE(stream.size() - at, 2u);
    const uint8_t first = stream[at];
    EXPECT_EQ(stream[at + 1] & 0x80, 0) << "server frames are unmasked";
    uint64_t size = stream[at + 1] & 0x7f;
    at += 2;
    const int extra = size == 126 ? 2 : size == 127 ? 8 : 0;
    if (extra) {
      size = 0;
      for (int i = 0; i < extra; ++i) size = (size << 8) | stream[at++];
    }
    EXPECT_LE(at + size, stream.size()) << "truncated frame";
    if (at + size > stream.size()) break;
    frames.push_back(
        {first,
         {stream.begin() + static_cast<long>(at), stream.begin() + static_cast<long>(at + size)}});
    at += size;
  }
  return frames;
}

ssize_t send_iov(int fd, const iovec* iov, int count) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(iov);
  message.msg_iovlen = static_cast<std::size_t>(count);
  return ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
}

TEST(WsEgress, ShortWritesResumeWhereTheyStoppedAndFramesArriveWholeInOrder) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const int small = 4096;
  ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  ::setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ::fcntl(fds[1], F_SETFL, O_NONBLOCK);

  // Sizes around every header form, larger than the socket buffers together.
  const std::vector<std::size_t> sizes = {0, 1, 125, 126, 127, 1000, 65535, 65536, 70000, 3};
  std::vector<FrameRef> sent;
  WsWriteBatch batch;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    sent.push_back(frame_of(sizes[i], static_cast<uint8_t>(i * 7)));
    ASSERT_TRUE(batch.add(sent.back()));
  }
  ASSERT_TRUE(batch.add_ping());
  EXPECT_EQ(batch.frame_count(), sizes.size());

  std::vector<uint8_t> received;
  int blocked = 0;
  FlushResult result = FlushResult::kBlocked;
  while ((result = batch.flush([&](const iovec* iov, int n) {
           return send_iov(fds[0], iov, n);
         })) == FlushResult::kBlocked) {
    ++blocked;
    uint8_t chunk[3000];  // a slow reader: a little per turn
    const ssize_t n = ::read(fds[1], chunk, sizeof chunk);
    if (n > 0) received.insert(received.end(), chunk, chunk + n);
    ASSERT_LT(blocked, 100000) << "no progress";
  }
  ASSERT_EQ(result, FlushResult::kDone);
  EXPECT_GT(blocked, 0) << "the test must exercise short writes";
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.frame_count(), 0u) << "a finished batch is reset";
  for (;;) {
    uint8_t chunk[65536];
    const ssize_t n = ::read(fds[1], chunk, sizeof chunk);
    if (n <= 0) break;
    received.insert(received.end(), chunk, chunk + n);
  }

  const auto frames = parse(received);
  ASSERT_EQ(frames.size(), sizes.size() + 1);
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(frames[i].first, 0x82) << "frame " << i;
    const auto bytes = sent[i]->bytes();
    EXPECT_EQ(frames[i].payload, std::vector<uint8_t>(bytes.begin(), bytes.end())) << "frame " << i;
  }
  EXPECT_EQ(frames.back().first, 0x89);
  EXPECT_TRUE(frames.back().payload.empty());
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(WsEgress, FullByFramesOrBytesAndReleasesFramesWhenDone) {
  WsWriteBatch batch;
  FrameRef big = frame_of(limits::kWsWritevMaxBytes, 1);
  ASSERT_TRUE(batch.add(big));
  EXPECT_TRUE(batch.full());
  EXPECT_FALSE(batch.add(frame_of(1, 1))) << "full by bytes";
  batch.clear();
  for (std::size_t i = 0; i < limits::kWsWritevMaxFrames; ++i)
    ASSERT_TRUE(batch.add(frame_of(1, 1)));
  EXPECT_FALSE(batch.add(frame_of(1, 1))) << "full by frames";
  EXPECT_TRUE(batch.add_ping()) << "a ping still fits";

  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_EQ(batch.flush([&](const iovec* iov, int n) { return send_iov(fds[0], iov, n); }),
            FlushResult::kDone);
  EXPECT_TRUE(batch.add(frame_of(1, 1))) << "reusable after a flush";
  ::close(fds[1]);
  EXPECT_EQ(batch.flush([&](const iovec* iov, int n) { return send_iov(fds[0], iov, n); }),
            FlushResult::kFailed)
      << "a peer that is gone fails the flush";
  batch.clear();
  ::close(fds[0]);
}

}  // namespace
}  // namespace vc::ws
