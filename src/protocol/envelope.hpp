// Envelope codec: the one place that turns wire bytes into routing facts and back.
// Decoding never copies a media payload: it returns a view into the input. Errors are values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "proto/videocall.pb.h"
#include "protocol/frame.hpp"

namespace vc {

namespace v1 = ::videocall::v1;

enum class EnvelopeError : uint8_t {
  kNone = 0,
  kEmpty,      // zero bytes
  kTooLarge,   // over the configured limit
  kMalformed,  // not valid protobuf wire format
  kNoBody,     // neither media nor control set
  kBadHeader,  // media without a header, or an unknown media kind
};

std::string_view to_string(EnvelopeError error);

struct DecodedEnvelope {
  enum class Body : uint8_t { kMedia, kControl };
  Body body = Body::kControl;
  v1::MediaHeader header;            // valid when body == kMedia
  std::span<const uint8_t> payload;  // view into the decoded input, valid when body == kMedia
  v1::Control control;               // valid when body == kControl
};

// Decodes one envelope. `out` is reused between calls to avoid per-packet allocation.
// Unknown fields are skipped at every level.
EnvelopeError decode_envelope(std::span<const uint8_t> wire, std::size_t max_bytes,
                              DecodedEnvelope& out);

// Encodes a media envelope into one shared Frame (lane from the header's kind).
FrameRef encode_media(const v1::MediaHeader& header, std::span<const uint8_t> payload);

// Encodes a control envelope into one shared Frame (control lane).
FrameRef encode_control(const v1::Control& control);

// Lane for a media kind: audio rides the audio lane, video and screen the video lane.
Lane lane_for_kind(v1::MediaKind kind);

}  // namespace vc
