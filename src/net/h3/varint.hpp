// QUIC variable-length integers (RFC 9000 §16): the length encoding under every HTTP/3 frame,
// stream header, capsule and WebTransport record. Header-only, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace vc::h3 {

inline constexpr uint64_t kMaxVarint = (uint64_t{1} << 62) - 1;
inline constexpr std::size_t kMaxVarintBytes = 8;

// Bytes needed to encode `value` (which must be <= kMaxVarint) in the shortest form.
constexpr std::size_t varint_size(uint64_t value) {
  if (value < (uint64_t{1} << 6)) return 1;
  if (value < (uint64_t{1} << 14)) return 2;
  if (value < (uint64_t{1} << 30)) return 4;
  return 8;
}

// Writes the shortest encoding of `value` into `out` (at least varint_size(value) bytes) and
// returns the number of bytes written.
constexpr std::size_t encode_varint(uint64_t value, uint8_t* out) {
  const std::size_t size = varint_size(value);
  for (std::size_t i = 0; i < size; ++i) {
    out[size - 1 - i] = static_cast<uint8_t>(value >> (8 * i));
  }
  constexpr uint8_t kLengthBits[9] = {0, 0x00, 0x40, 0, 0x80, 0, 0, 0, 0xc0};
  out[0] |= kLengthBits[size];
  return size;
}

struct VarintResult {
  uint64_t value = 0;
  std::size_t size = 0;  // bytes consumed; 0 means the input ends inside the varint
  bool complete() const { return size != 0; }
};

// Decodes the varint at the start of `in`. Every byte sequence long enough is a valid varint, so
// the only failure is truncation (size == 0).
constexpr VarintResult decode_varint(std::span<const uint8_t> in) {
  if (in.empty()) return {};
  const std::size_t size = std::size_t{1} << (in[0] >> 6);
  if (in.size() < size) return {};
  uint64_t value = in[0] & 0x3f;
  for (std::size_t i = 1; i < size; ++i) value = (value << 8) | in[i];
  return {value, size};
}

// Appends a varint to any byte container with push_back-style insert at the end.
template <typename Bytes>
void append_varint(Bytes& out, uint64_t value) {
  uint8_t buffer[kMaxVarintBytes];
  const std::size_t size = encode_varint(value, buffer);
  for (std::size_t i = 0; i < size; ++i) out.push_back(buffer[i]);
}

}  // namespace vc::h3
