// QPACK field-section decoding through nghttp3's standalone decoder (the only part of nghttp3 we
// use). Our SETTINGS advertise a zero-capacity dynamic table, so every field section decodes
// completely from the HEADERS frame alone; a section that would block is an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "net/h3/wire.hpp"

struct nghttp3_qpack_decoder;

namespace vc::h3 {

// The request pseudo-headers and headers an extended CONNECT needs; others are ignored.
struct RequestHeaders {
  std::string method;
  std::string protocol;
  std::string scheme;
  std::string authority;
  std::string path;
  std::string origin;
  std::string status;  // responses only
};

class HeaderDecoder {
 public:
  explicit HeaderDecoder(std::size_t max_field_section_bytes);
  ~HeaderDecoder();
  HeaderDecoder(const HeaderDecoder&) = delete;
  HeaderDecoder& operator=(const HeaderDecoder&) = delete;

  bool valid() const { return decoder_ != nullptr; }

  // Decodes one complete field section (a HEADERS frame payload) received on `stream_id`.
  // Returns kNone, kQpackDecompressionFailed (bad encoding, or a dynamic-table reference) or
  // kExcessiveLoad (decoded fields larger than the limit).
  H3Error decode(int64_t stream_id, ByteView field_section, RequestHeaders& out);

 private:
  nghttp3_qpack_decoder* decoder_ = nullptr;
  std::size_t max_field_section_bytes_;
};

}  // namespace vc::h3
