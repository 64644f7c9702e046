#include "net/h3/record_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vc::h3 {
namespace {

Bytes records(const std::vector<std::string>& payloads) {
  Bytes out;
  for (const std::string& payload : payloads) {
    const RecordPrefix prefix = record_prefix(payload.size());
    out.insert(out.end(), prefix.bytes, prefix.bytes + prefix.size);
    out.insert(out.end(), payload.begin(), payload.end());
  }
  return out;
}

TEST(RecordReader, ReassemblesAcrossEveryFragmentation) {
  const std::vector<std::string> payloads = {"a", std::string(100, 'b'), std::string(20000, 'c'),
                                             "d"};
  const Bytes stream = records(payloads);
  for (const std::size_t chunk :
       {std::size_t{1}, std::size_t{2}, std::size_t{7}, std::size_t{999}, stream.size()}) {
    RecordReader reader(1 << 20);
    std::vector<std::string> got;
    for (std::size_t i = 0; i < stream.size(); i += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - i);
      const bool fin = i + n == stream.size();
      ASSERT_EQ(reader.feed(ByteView(stream).subspan(i, n), fin,
                            [&](ByteView record) {
                              got.emplace_back(record.begin(), record.end());
                              return true;
                            }),
                RecordStatus::kOk);
    }
    EXPECT_EQ(got, payloads) << "chunk " << chunk;
    EXPECT_EQ(reader.buffered_bytes(), 0u);
  }
}

TEST(RecordReader, WholeRecordsAreViewsIntoTheInput) {
  const Bytes stream = records({"xyz"});
  RecordReader reader(100);
  const uint8_t* seen = nullptr;
  reader.feed(stream, false, [&](ByteView record) {
    seen = record.data();
    return true;
  });
  EXPECT_EQ(seen, stream.data() + 1);
}

TEST(RecordReader, RejectsOversizedEmptyAndTruncatedRecords) {
  const auto ignore = [](ByteView) { return true; };
  RecordReader small(10);
  EXPECT_EQ(small.feed(records({std::string(11, 'x')}), false, ignore), RecordStatus::kTooLarge);
  RecordReader empty(10);
  EXPECT_EQ(empty.feed(Bytes{0x00}, false, ignore), RecordStatus::kEmptyRecord);
  RecordReader truncated(10);
  Bytes partial = records({"hello"});
  partial.pop_back();
  EXPECT_EQ(truncated.feed(partial, true, ignore), RecordStatus::kTruncated);
  // The size limit applies before buffering: a huge declared length is refused at once.
  RecordReader limit(1000);
  Bytes huge_prefix;
  append_varint(huge_prefix, 1u << 30);
  EXPECT_EQ(limit.feed(huge_prefix, false, ignore), RecordStatus::kTooLarge);
  // ... also when the length prefix itself arrives split, the last byte together with FIN.
  RecordReader split_limit(1000);
  EXPECT_EQ(split_limit.feed(ByteView(huge_prefix).first(2), false, ignore), RecordStatus::kOk);
  EXPECT_EQ(split_limit.feed(ByteView(huge_prefix).subspan(2), true, ignore),
            RecordStatus::kTooLarge);
}

}  // namespace
}  // namespace vc::h3
