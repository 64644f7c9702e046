#include "net/h3/varint.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace vc::h3 {
namespace {

TEST(Varint, EncodesRfc9000Examples) {
  // RFC 9000 Appendix A.1 examples.
  const struct {
    uint64_t value;
    std::vector<uint8_t> bytes;
  } cases[] = {
      {151288809941952652ull, {0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c}},
      {494878333, {0x9d, 0x7f, 0x3e, 0x7d}},
      {15293, {0x7b, 0xbd}},
      {37, {0x25}},
  };
  for (const auto& c : cases) {
    std::vector<uint8_t> out;
    append_varint(out, c.value);
    EXPECT_EQ(out, c.bytes) << c.value;
    const VarintResult decoded = decode_varint(c.bytes);
    EXPECT_EQ(decoded.value, c.value);
    EXPECT_EQ(decoded.size, c.bytes.size());
  }
}

TEST(Varint, DecodesNonMinimalEncoding) {
  const std::vector<uint8_t> two_byte_37 = {0x40, 0x25};
  const VarintResult decoded = decode_varint(two_byte_37);
  EXPECT_EQ(decoded.value, 37u);
  EXPECT_EQ(decoded.size, 2u);
}

TEST(Varint, TruncatedInputIsIncomplete) {
  const std::vector<uint8_t> truncated = {0x9d, 0x7f, 0x3e};
  EXPECT_FALSE(decode_varint(truncated).complete());
  EXPECT_FALSE(decode_varint({}).complete());
}

TEST(Varint, SizeBoundaries) {
  EXPECT_EQ(varint_size(63), 1u);
  EXPECT_EQ(varint_size(64), 2u);
  EXPECT_EQ(varint_size(16383), 2u);
  EXPECT_EQ(varint_size(16384), 4u);
  EXPECT_EQ(varint_size(1073741823), 4u);
  EXPECT_EQ(varint_size(1073741824), 8u);
  std::vector<uint8_t> out;
  append_varint(out, kMaxVarint);
  EXPECT_EQ(decode_varint(out).value, kMaxVarint);
}

}  // namespace
}  // namespace vc::h3
