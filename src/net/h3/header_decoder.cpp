#include "net/h3/header_decoder.hpp"

#include <nghttp3/nghttp3.h>

namespace vc::h3 {

HeaderDecoder::HeaderDecoder(std::size_t max_field_section_bytes)
    : max_field_section_bytes_(max_field_section_bytes) {
  // A null nghttp3_mem crashes inside nghttp3 0.8: always pass the default allocator.
  if (nghttp3_qpack_decoder_new(&decoder_, 0, 0, nghttp3_mem_default()) != 0) decoder_ = nullptr;
}

HeaderDecoder::~HeaderDecoder() {
  if (decoder_ != nullptr) nghttp3_qpack_decoder_del(decoder_);
}

namespace {

struct StreamContext {
  nghttp3_qpack_stream_context* context = nullptr;
  StreamContext(int64_t stream_id) {
    if (nghttp3_qpack_stream_context_new(&context, stream_id, nghttp3_mem_default()) != 0) {
      context = nullptr;
    }
  }
  ~StreamContext() {
    if (context != nullptr) nghttp3_qpack_stream_context_del(context);
  }
};

std::string_view view(nghttp3_rcbuf* buffer) {
  const nghttp3_vec vec = nghttp3_rcbuf_get_buf(buffer);
  return {reinterpret_cast<const char*>(vec.base), vec.len};
}

void store(RequestHeaders& out, std::string_view name, std::string_view value) {
  std::string* field = nullptr;
  if (name == ":method")
    field = &out.method;
  else if (name == ":protocol")
    field = &out.protocol;
  else if (name == ":scheme")
    field = &out.scheme;
  else if (name == ":authority")
    field = &out.authority;
  else if (name == ":path")
    field = &out.path;
  else if (name == "origin")
    field = &out.origin;
  else if (name == ":status")
    field = &out.status;
  if (field != nullptr) field->assign(value);
}

}  // namespace

H3Error HeaderDecoder::decode(int64_t stream_id, ByteView field_section, RequestHeaders& out) {
  if (decoder_ == nullptr) return H3Error::kInternalError;
  StreamContext stream(stream_id);
  if (stream.context == nullptr) return H3Error::kInternalError;
  const uint8_t* input = field_section.data();
  std::size_t remaining = field_section.size();
  std::size_t decoded_bytes = 0;
  for (;;) {
    nghttp3_qpack_nv field;
    uint8_t flags = 0;
    const nghttp3_ssize consumed = nghttp3_qpack_decoder_read_request(
        decoder_, stream.context, &field, &flags, input, remaining, /*fin=*/1);
    if (consumed < 0) return H3Error::kQpackDecompressionFailed;
    input += consumed;
    remaining -= static_cast<std::size_t>(consumed);
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
      const std::string_view name = view(field.name);
      const std::string_view value = view(field.value);
      decoded_bytes += name.size() + value.size() + 32;  // RFC 9114 §4.2.2 field size
      if (decoded_bytes <= max_field_section_bytes_) store(out, name, value);
      nghttp3_rcbuf_decref(field.name);
      nghttp3_rcbuf_decref(field.value);
      if (decoded_bytes > max_field_section_bytes_) return H3Error::kExcessiveLoad;
    }
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) break;
    if (flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) return H3Error::kQpackDecompressionFailed;
    if (consumed == 0 && remaining == 0) return H3Error::kQpackDecompressionFailed;
  }
  return remaining == 0 ? H3Error::kNone : H3Error::kQpackDecompressionFailed;
}

}  // namespace vc::h3
