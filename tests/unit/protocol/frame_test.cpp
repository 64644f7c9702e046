#include "protocol/frame.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace vc {
namespace {

TEST(Frame, SharedByEveryCopyWithoutCopyingBytes) {
  FrameMeta meta;
  meta.lane = Lane::kVideo;
  meta.publisher_id = 7;
  FrameRef a = Frame::allocate(4, meta);
  std::memcpy(a.mutable_frame()->mutable_bytes().data(), "abcd", 4);
  FrameRef b = a;
  FrameRef c = std::move(b);
  EXPECT_FALSE(b);
  EXPECT_EQ(a->bytes().data(), c->bytes().data());
  EXPECT_EQ(c->meta().publisher_id, 7u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(c->bytes().data()), 4), "abcd");
}

}  // namespace
}  // namespace vc
