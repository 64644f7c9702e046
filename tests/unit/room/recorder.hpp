// A room Endpoint for unit tests that records everything the room sends to it, decoded.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/room/room.hpp"

namespace vc::room::test {

class Recorder : public Endpoint {
 public:
  void on_queue_ready() override {
    while (FrameRef frame = queue().pop()) {
      DecodedEnvelope decoded;
      ASSERT_EQ(decode_envelope(frame->bytes(), SIZE_MAX, decoded), EnvelopeError::kNone);
      if (decoded.body == DecodedEnvelope::Body::kMedia) {
        media.push_back(decoded.header);
        payloads.emplace_back(reinterpret_cast<const char*>(decoded.payload.data()),
                              decoded.payload.size());
      } else {
        control.push_back(decoded.control);
      }
    }
  }
  void close_with_error(uint32_t code, std::string_view) override { closed_code = code; }

  int count(v1::Control::MessageCase which) const {
    int n = 0;
    for (const auto& c : control) n += c.message_case() == which ? 1 : 0;
    return n;
  }
  template <typename Pred>
  int count_control(Pred pred) const {
    int n = 0;
    for (const auto& c : control) n += pred(c) ? 1 : 0;
    return n;
  }
  const v1::Control& last() const { return control.back(); }

  std::vector<v1::MediaHeader> media;
  std::vector<std::string> payloads;
  std::vector<v1::Control> control;
  uint32_t closed_code = 0;
};

}  // namespace vc::room::test
