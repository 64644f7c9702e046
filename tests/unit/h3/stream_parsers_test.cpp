#include "net/h3/stream_parsers.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "net/h3/varint.hpp"

namespace vc::h3 {
namespace {

struct RecordingFrameSink : FrameSink {
  std::vector<std::pair<uint64_t, Bytes>> frames;
  Bytes data;
  std::vector<uint64_t> data_starts;
  H3Error on_frame(uint64_t type, ByteView payload) override {
    frames.emplace_back(type, Bytes(payload.begin(), payload.end()));
    return H3Error::kNone;
  }
  H3Error on_data_start(uint64_t length) override {
    data_starts.push_back(length);
    return H3Error::kNone;
  }
  H3Error on_data(ByteView chunk) override {
    data.insert(data.end(), chunk.begin(), chunk.end());
    return H3Error::kNone;
  }
};

Bytes sample_stream() {
  Bytes stream;
  const Bytes settings = {0x33, 0x01};
  append_frame(stream, frame_type::kSettings, settings);
  const Bytes grease(300, 0xaa);
  append_frame(stream, 0x21 + 0x1f * 7, grease);  // GREASE frame type, skipped
  const Bytes body = {'h', 'e', 'l', 'l', 'o'};
  append_frame(stream, frame_type::kData, body);
  append_frame(stream, frame_type::kGoaway, Bytes{0x04});
  return stream;
}

void expect_sample(const RecordingFrameSink& sink) {
  ASSERT_EQ(sink.frames.size(), 2u);
  EXPECT_EQ(sink.frames[0].first, frame_type::kSettings);
  EXPECT_EQ(sink.frames[0].second, (Bytes{0x33, 0x01}));
  EXPECT_EQ(sink.frames[1].first, frame_type::kGoaway);
  EXPECT_EQ(sink.data, (Bytes{'h', 'e', 'l', 'l', 'o'}));
  EXPECT_EQ(sink.data_starts, (std::vector<uint64_t>{5}));
}

TEST(FrameReader, WholeInputSkipsGreaseFrames) {
  FrameReader reader(1024);
  RecordingFrameSink sink;
  ASSERT_EQ(reader.feed(sample_stream(), sink), H3Error::kNone);
  expect_sample(sink);
  EXPECT_TRUE(reader.at_frame_boundary());
  EXPECT_EQ(reader.frames_seen(), 4u);
}

TEST(FrameReader, ByteAtATimeGivesTheSameFrames) {
  FrameReader reader(1024);
  RecordingFrameSink sink;
  const Bytes stream = sample_stream();
  for (const uint8_t byte : stream) {
    ASSERT_EQ(reader.feed(ByteView(&byte, 1), sink), H3Error::kNone);
  }
  expect_sample(sink);
  EXPECT_TRUE(reader.at_frame_boundary());
}

TEST(FrameReader, Http2ReservedTypeIsUnexpected) {
  FrameReader reader(1024);
  RecordingFrameSink sink;
  Bytes stream;
  append_frame(stream, 0x06, Bytes{0});  // HTTP/2 PING
  EXPECT_EQ(reader.feed(stream, sink), H3Error::kFrameUnexpected);
}

TEST(FrameReader, OversizedKnownFrameIsExcessiveLoad) {
  FrameReader reader(16);
  RecordingFrameSink sink;
  Bytes stream;
  append_frame_header(stream, frame_type::kHeaders, 17);
  EXPECT_EQ(reader.feed(stream, sink), H3Error::kExcessiveLoad);
}

TEST(FrameReader, HugeUnknownFrameIsSkippedWithoutBuffering) {
  FrameReader reader(16);
  RecordingFrameSink sink;
  Bytes stream;
  append_frame_header(stream, 0x21, 1u << 20);
  ASSERT_EQ(reader.feed(stream, sink), H3Error::kNone);
  const Bytes chunk(64 << 10, 0);
  for (int i = 0; i < 16; ++i) ASSERT_EQ(reader.feed(chunk, sink), H3Error::kNone);
  EXPECT_TRUE(reader.at_frame_boundary());
  EXPECT_TRUE(sink.frames.empty());
}

struct RecordingCapsuleSink : CapsuleSink {
  std::vector<std::pair<uint32_t, std::string>> closes;
  int drains = 0;
  H3Error on_close_session(const CloseSession& close) override {
    closes.emplace_back(close.code, std::string(close.reason));
    return H3Error::kNone;
  }
  H3Error on_drain_session() override {
    ++drains;
    return H3Error::kNone;
  }
};

Bytes capsule(uint64_t type, const Bytes& payload) {
  Bytes out;
  append_varint(out, type);
  append_varint(out, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

TEST(CapsuleReader, SkipsGreaseAndReportsDrainThenClose) {
  Bytes stream = capsule(0x29 * 3 + 0x17, Bytes(50, 1));  // GREASE capsule type
  const Bytes drain = capsule(capsule_type::kDrainWebTransportSession, {});
  stream.insert(stream.end(), drain.begin(), drain.end());
  const Bytes close =
      capsule(capsule_type::kCloseWebTransportSession, {0, 0, 0, 42, 'b', 'y', 'e'});
  stream.insert(stream.end(), close.begin(), close.end());
  for (const std::size_t chunk_size : {stream.size(), std::size_t{1}, std::size_t{3}}) {
    CapsuleReader reader(2048);
    RecordingCapsuleSink sink;
    for (std::size_t i = 0; i < stream.size(); i += chunk_size) {
      const std::size_t n = std::min(chunk_size, stream.size() - i);
      ASSERT_EQ(reader.feed(ByteView(stream).subspan(i, n), sink), H3Error::kNone);
    }
    EXPECT_EQ(sink.drains, 1);
    ASSERT_EQ(sink.closes.size(), 1u);
    EXPECT_EQ(sink.closes[0].first, 42u);
    EXPECT_EQ(sink.closes[0].second, "bye");
    EXPECT_TRUE(reader.at_capsule_boundary());
  }
}

TEST(CapsuleReader, MalformedKnownCapsulesAreMessageErrors) {
  RecordingCapsuleSink sink;
  CapsuleReader short_close(2048);
  EXPECT_EQ(short_close.feed(capsule(capsule_type::kCloseWebTransportSession, {0, 0}), sink),
            H3Error::kMessageError);
  CapsuleReader drain_with_payload(2048);
  EXPECT_EQ(drain_with_payload.feed(capsule(capsule_type::kDrainWebTransportSession, {1}), sink),
            H3Error::kMessageError);
  CapsuleReader oversized(16);
  EXPECT_EQ(oversized.feed(capsule(capsule_type::kCloseWebTransportSession, Bytes(17, 0)), sink),
            H3Error::kMessageError);
  EXPECT_TRUE(sink.closes.empty());
}

}  // namespace
}  // namespace vc::h3
