#include "protocol/envelope.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <cstring>

namespace vc {

namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;

constexpr uint32_t kEnvelopeMediaField = 1;
constexpr uint32_t kEnvelopeControlField = 2;
constexpr uint32_t kMediaHeaderField = 1;
constexpr uint32_t kMediaPayloadField = 2;

// Reads a length-delimited field's bytes as a view into `base`.
bool read_length_delimited(CodedInputStream& in, const uint8_t* base, std::size_t base_size,
                           std::span<const uint8_t>& out) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return false;
  const int offset = in.CurrentPosition();
  if (offset < 0 || static_cast<std::size_t>(offset) + length > base_size) return false;
  out = {base + offset, length};
  return in.Skip(static_cast<int>(length));
}

bool is_length_delimited(uint32_t tag) {
  return WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
}

// Splits a Media message into its header bytes and payload view.
bool split_media(std::span<const uint8_t> media, std::span<const uint8_t>& header,
                 std::span<const uint8_t>& payload, bool& has_header) {
  CodedInputStream in(media.data(), static_cast<int>(media.size()));
  while (uint32_t tag = in.ReadTag()) {
    const uint32_t field = WireFormatLite::GetTagFieldNumber(tag);
    if (field == kMediaHeaderField && is_length_delimited(tag)) {
      // Repeated embedded messages merge in protobuf; we keep it strict and simple: last wins.
      if (!read_length_delimited(in, media.data(), media.size(), header)) return false;
      has_header = true;
    } else if (field == kMediaPayloadField && is_length_delimited(tag)) {
      if (!read_length_delimited(in, media.data(), media.size(), payload)) return false;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

std::size_t varint_size(std::size_t value) {
  return CodedOutputStream::VarintSize64(static_cast<uint64_t>(value));
}

uint8_t* write_length_delimited_header(uint32_t field, std::size_t length, uint8_t* out) {
  out = CodedOutputStream::WriteTagToArray(
      WireFormatLite::MakeTag(static_cast<int>(field), WireFormatLite::WIRETYPE_LENGTH_DELIMITED),
      out);
  return CodedOutputStream::WriteVarint64ToArray(static_cast<uint64_t>(length), out);
}

}  // namespace

std::string_view to_string(EnvelopeError error) {
  switch (error) {
    case EnvelopeError::kNone:
      return "ok";
    case EnvelopeError::kEmpty:
      return "empty envelope";
    case EnvelopeError::kTooLarge:
      return "envelope exceeds the size limit";
    case EnvelopeError::kMalformed:
      return "malformed protobuf envelope";
    case EnvelopeError::kNoBody:
      return "envelope has neither media nor control";
    case EnvelopeError::kBadHeader:
      return "media envelope has a missing or invalid header";
  }
  return "unknown envelope error";
}

Lane lane_for_kind(v1::MediaKind kind) {
  return kind == v1::MEDIA_KIND_AUDIO ? Lane::kAudio : Lane::kVideo;
}

EnvelopeError decode_envelope(std::span<const uint8_t> wire, std::size_t max_bytes,
                              DecodedEnvelope& out) {
  if (wire.empty()) return EnvelopeError::kEmpty;
  if (wire.size() > max_bytes) return EnvelopeError::kTooLarge;

  std::span<const uint8_t> media;
  std::span<const uint8_t> control;
  enum class Seen { kNone, kMedia, kControl } seen = Seen::kNone;

  CodedInputStream in(wire.data(), static_cast<int>(wire.size()));
  while (uint32_t tag = in.ReadTag()) {
    const uint32_t field = WireFormatLite::GetTagFieldNumber(tag);
    if (field == kEnvelopeMediaField && is_length_delimited(tag)) {
      if (!read_length_delimited(in, wire.data(), wire.size(), media)) {
        return EnvelopeError::kMalformed;
      }
      seen = Seen::kMedia;  // oneof: the last member on the wire wins
    } else if (field == kEnvelopeControlField && is_length_delimited(tag)) {
      if (!read_length_delimited(in, wire.data(), wire.size(), control)) {
        return EnvelopeError::kMalformed;
      }
      seen = Seen::kControl;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return EnvelopeError::kMalformed;
    }
  }
  if (!in.ConsumedEntireMessage()) return EnvelopeError::kMalformed;

  switch (seen) {
    case Seen::kNone:
      return EnvelopeError::kNoBody;
    case Seen::kControl:
      out.body = DecodedEnvelope::Body::kControl;
      out.control.Clear();
      if (!out.control.ParseFromArray(control.data(), static_cast<int>(control.size()))) {
        return EnvelopeError::kMalformed;
      }
      return EnvelopeError::kNone;
    case Seen::kMedia: {
      std::span<const uint8_t> header_bytes;
      std::span<const uint8_t> payload;
      bool has_header = false;
      if (!split_media(media, header_bytes, payload, has_header)) return EnvelopeError::kMalformed;
      if (!has_header) return EnvelopeError::kBadHeader;
      out.body = DecodedEnvelope::Body::kMedia;
      out.header.Clear();
      if (!out.header.ParseFromArray(header_bytes.data(), static_cast<int>(header_bytes.size()))) {
        return EnvelopeError::kMalformed;
      }
      const auto kind = out.header.kind();
      if (kind != v1::MEDIA_KIND_AUDIO && kind != v1::MEDIA_KIND_VIDEO &&
          kind != v1::MEDIA_KIND_SCREEN) {
        return EnvelopeError::kBadHeader;
      }
      out.payload = payload;
      return EnvelopeError::kNone;
    }
  }
  return EnvelopeError::kMalformed;
}

FrameRef encode_media(const v1::MediaHeader& header, std::span<const uint8_t> payload) {
  const std::size_t header_size = header.ByteSizeLong();
  const std::size_t media_size =
      1 + varint_size(header_size) + header_size + 1 + varint_size(payload.size()) + payload.size();
  const std::size_t total = 1 + varint_size(media_size) + media_size;

  FrameMeta meta;
  meta.lane = lane_for_kind(header.kind());
  meta.keyframe = header.keyframe();
  meta.publisher_id = header.sender_participant_id();
  meta.track_id = header.track_id();
  meta.media_kind = static_cast<uint32_t>(header.kind());
  meta.spatial_layer = static_cast<uint8_t>(std::min<uint32_t>(header.spatial_layer(), 255));
  meta.temporal_layer = static_cast<uint8_t>(std::min<uint32_t>(header.temporal_layer(), 255));
  meta.audio_level = static_cast<uint8_t>(std::min<uint32_t>(header.audio_level(), 127));

  FrameRef frame = Frame::allocate(total, meta);
  uint8_t* out = frame.mutable_frame()->mutable_bytes().data();
  out = write_length_delimited_header(kEnvelopeMediaField, media_size, out);
  out = write_length_delimited_header(kMediaHeaderField, header_size, out);
  out = header.SerializeWithCachedSizesToArray(out);
  out = write_length_delimited_header(kMediaPayloadField, payload.size(), out);
  if (!payload.empty()) std::memcpy(out, payload.data(), payload.size());
  return frame;
}

FrameRef encode_control(const v1::Control& control) {
  const std::size_t control_size = control.ByteSizeLong();
  const std::size_t total = 1 + varint_size(control_size) + control_size;
  FrameRef frame = Frame::allocate(total, FrameMeta{});
  uint8_t* out = frame.mutable_frame()->mutable_bytes().data();
  out = write_length_delimited_header(kEnvelopeControlField, control_size, out);
  control.SerializeWithCachedSizesToArray(out);
  return frame;
}

}  // namespace vc
