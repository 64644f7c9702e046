#include "net/quic/send_stream.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace vc::quic {
namespace {

FrameRef frame_of(const std::string& text) {
  FrameRef frame = Frame::allocate(text.size(), FrameMeta{});
  std::memcpy(frame.mutable_frame()->mutable_bytes().data(), text.data(), text.size());
  return frame;
}

std::string unsent(const SendStream& stream) {
  ngtcp2_vec vectors[16];
  const std::size_t count = stream.unsent_vectors(vectors, 16);
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out.append(reinterpret_cast<const char*>(vectors[i].base), vectors[i].len);
  }
  return out;
}

TEST(SendStream, RecordsAreSentFromTheSharedFrameWithoutCopy) {
  SendStream stream;
  const FrameRef frame = frame_of("payload");
  const uint8_t prefix[] = {0x07};
  stream.append(prefix, frame);
  ngtcp2_vec vectors[4];
  ASSERT_EQ(stream.unsent_vectors(vectors, 4), 2u);
  EXPECT_EQ(vectors[1].base, frame->bytes().data());  // the frame's own bytes
  EXPECT_EQ(unsent(stream), "\x07payload");
}

TEST(SendStream, PartialSendsResumeMidChunkAndAcksReleaseMemory) {
  SendStream stream;
  const std::string text = "0123456789abcdefXYZ";  // longer than the inline limit: one copy
  stream.append_copy({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  const uint8_t prefix[] = {0x03};
  stream.append(prefix, frame_of("abc"));
  EXPECT_EQ(stream.unsent_bytes(), 23u);
  stream.mark_sent(5);
  EXPECT_EQ(unsent(stream),
            "56789abcdefXYZ\x03"
            "abc");
  stream.mark_sent(15);  // into the second chunk's frame part
  EXPECT_EQ(unsent(stream), "abc");
  EXPECT_EQ(stream.buffered_bytes(), 23u);  // nothing acknowledged yet: all kept
  stream.acknowledge_until(19);             // first chunk acknowledged
  EXPECT_EQ(stream.buffered_bytes(), 4u);
  EXPECT_EQ(unsent(stream), "abc");
  stream.mark_sent(3);
  EXPECT_FALSE(stream.has_unsent());
  stream.acknowledge_until(23);
  EXPECT_EQ(stream.buffered_bytes(), 0u);
}

TEST(SendStream, FinAndBlockedStateGateWrites) {
  SendStream stream;
  EXPECT_FALSE(stream.wants_write());
  stream.request_fin();
  EXPECT_TRUE(stream.wants_write());  // a FIN-only frame is pending
  stream.blocked = true;
  EXPECT_FALSE(stream.wants_write());
  stream.blocked = false;
  stream.mark_fin_sent();
  EXPECT_FALSE(stream.wants_write());
}

}  // namespace
}  // namespace vc::quic
