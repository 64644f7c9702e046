#include "protocol/envelope.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vc {
namespace {

std::span<const uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

v1::Envelope media_envelope(const std::string& payload) {
  v1::Envelope envelope;
  auto* header = envelope.mutable_media()->mutable_header();
  header->set_kind(v1::MEDIA_KIND_VIDEO);
  header->set_track_id(3);
  header->set_sequence(42);
  header->set_capture_time_us(1'700'000'000'000'000ull);
  header->set_keyframe(true);
  header->set_temporal_layer(1);
  header->set_audio_level(30);
  header->set_codec(v1::CODEC_VP9);
  envelope.mutable_media()->set_payload(payload);
  return envelope;
}

TEST(Envelope, DecodesMediaWithoutCopyingPayload) {
  const std::string wire = media_envelope("frame-bytes").SerializeAsString();
  DecodedEnvelope out;
  ASSERT_EQ(decode_envelope(as_span(wire), 1 << 20, out), EnvelopeError::kNone);
  ASSERT_EQ(out.body, DecodedEnvelope::Body::kMedia);
  EXPECT_EQ(out.header.sequence(), 42u);
  EXPECT_TRUE(out.header.keyframe());
  EXPECT_EQ(out.header.codec(), v1::CODEC_VP9);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.payload.data()), out.payload.size()),
            "frame-bytes");
  // The payload is a view into the wire buffer.
  EXPECT_GE(out.payload.data(), reinterpret_cast<const uint8_t*>(wire.data()));
  EXPECT_LE(out.payload.data() + out.payload.size(),
            reinterpret_cast<const uint8_t*>(wire.data()) + wire.size());
}

TEST(Envelope, EncodeMediaRoundTripsThroughProtobuf) {
  v1::MediaHeader header = media_envelope("").media().header();
  header.set_sender_participant_id(99);
  header.set_sender_session_id(5);
  const std::string payload(5000, 'x');
  FrameRef frame = encode_media(header, as_span(payload));
  EXPECT_EQ(frame->meta().lane, Lane::kVideo);
  EXPECT_TRUE(frame->meta().keyframe);
  EXPECT_EQ(frame->meta().publisher_id, 99u);

  v1::Envelope parsed;
  ASSERT_TRUE(parsed.ParseFromArray(frame->bytes().data(), static_cast<int>(frame->size())));
  EXPECT_EQ(parsed.media().header().sender_participant_id(), 99u);
  EXPECT_EQ(parsed.media().header().sequence(), 42u);
  EXPECT_EQ(parsed.media().payload(), payload);
}

TEST(Envelope, ControlRoundTrip) {
  v1::Control control;
  control.mutable_error()->set_code(4401);
  control.mutable_error()->set_message("bad token");
  FrameRef frame = encode_control(control);
  EXPECT_EQ(frame->meta().lane, Lane::kControl);
  DecodedEnvelope out;
  ASSERT_EQ(decode_envelope(frame->bytes(), 1 << 20, out), EnvelopeError::kNone);
  ASSERT_EQ(out.body, DecodedEnvelope::Body::kControl);
  EXPECT_EQ(out.control.error().code(), 4401u);
}

TEST(Envelope, ToleratesUnknownFieldsAtEveryLevel) {
  std::string wire = media_envelope("p").SerializeAsString();
  // Unknown top-level varint field 50 and unknown length-delimited field 51.
  wire += std::string("\x90\x03\x07", 3);
  wire += std::string("\x9a\x03\x02hi", 5);
  DecodedEnvelope out;
  ASSERT_EQ(decode_envelope(as_span(wire), 1 << 20, out), EnvelopeError::kNone);
  EXPECT_EQ(out.header.track_id(), 3u);
}

TEST(Envelope, RejectsBadInputWithDistinctErrors) {
  DecodedEnvelope out;
  EXPECT_EQ(decode_envelope({}, 1 << 20, out), EnvelopeError::kEmpty);

  const std::string big = media_envelope(std::string(2000, 'x')).SerializeAsString();
  EXPECT_EQ(decode_envelope(as_span(big), 1000, out), EnvelopeError::kTooLarge);

  const std::string garbage("\x0a\xff\xff\xff\xff\x0f", 6);  // length far beyond the buffer
  EXPECT_EQ(decode_envelope(as_span(garbage), 1 << 20, out), EnvelopeError::kMalformed);

  const std::string truncated = big.substr(0, big.size() / 2);
  EXPECT_EQ(decode_envelope(as_span(truncated), 1 << 20, out), EnvelopeError::kMalformed);

  const std::string no_body("\x90\x03\x07", 3);
  EXPECT_EQ(decode_envelope(as_span(no_body), 1 << 20, out), EnvelopeError::kNoBody);

  v1::Envelope headerless;
  headerless.mutable_media()->set_payload("x");
  EXPECT_EQ(decode_envelope(as_span(headerless.SerializeAsString()), 1 << 20, out),
            EnvelopeError::kBadHeader);

  v1::Envelope bad_kind = media_envelope("x");
  bad_kind.mutable_media()->mutable_header()->set_kind(v1::MEDIA_KIND_UNSPECIFIED);
  EXPECT_EQ(decode_envelope(as_span(bad_kind.SerializeAsString()), 1 << 20, out),
            EnvelopeError::kBadHeader);
}

}  // namespace
}  // namespace vc
