// Fuzzes the envelope decoder; anything it accepts must re-encode and decode to the same header.
#include <cstdint>
#include <cstdlib>

#include "common/limits.hpp"
#include "protocol/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static vc::DecodedEnvelope decoded;
  const auto error = vc::decode_envelope({data, size}, vc::limits::kMaxEnvelopeBytes, decoded);
  if (error != vc::EnvelopeError::kNone) return 0;
  if (decoded.body == vc::DecodedEnvelope::Body::kMedia) {
    vc::FrameRef frame = vc::encode_media(decoded.header, decoded.payload);
    vc::DecodedEnvelope again;
    if (vc::decode_envelope(frame->bytes(), SIZE_MAX, again) != vc::EnvelopeError::kNone) abort();
    if (again.payload.size() != decoded.payload.size()) abort();
    if (again.header.sequence() != decoded.header.sequence()) abort();
  } else {
    vc::FrameRef frame = vc::encode_control(decoded.control);
    vc::DecodedEnvelope again;
    if (vc::decode_envelope(frame->bytes(), SIZE_MAX, again) != vc::EnvelopeError::kNone) abort();
  }
  return 0;
}
