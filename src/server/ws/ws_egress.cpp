#include "server/ws/ws_egress.hpp"

namespace vc::ws {

std::size_t encode_frame_header(uint8_t opcode, uint64_t payload_bytes,
                                std::array<uint8_t, 10>& out) {
  out[0] = static_cast<uint8_t>(0x80 | opcode);  // FIN, no extensions
  if (payload_bytes < 126) {
    out[1] = static_cast<uint8_t>(payload_bytes);  // no mask bit: server frames are unmasked
    return 2;
  }
  if (payload_bytes <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payload_bytes >> 8);
    out[3] = static_cast<uint8_t>(payload_bytes);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_bytes >> (56 - 8 * i));
  return 10;
}

bool WsWriteBatch::add(FrameRef frame) {
  if (!frame || full() || slots_ == kMaxSlots) return false;
  const auto payload = frame->bytes();
  const std::size_t header_bytes =
      encode_frame_header(kOpcodeBinary, payload.size(), headers_[slots_]);
  iov_[iov_count_++] = {headers_[slots_].data(), header_bytes};
  // The payload is read-only here; iovec just wants a non-const pointer.
  iov_[iov_count_++] = {const_cast<uint8_t*>(payload.data()), payload.size()};
  owners_[slots_++] = std::move(frame);
  ++frames_;
  bytes_ += header_bytes + payload.size();
  payload_bytes_ += payload.size();
  return true;
}

bool WsWriteBatch::add_ping() {
  if (has_ping_) return true;
  if (slots_ == kMaxSlots) return false;
  const std::size_t header_bytes = encode_frame_header(kOpcodePing, 0, headers_[slots_]);
  iov_[iov_count_++] = {headers_[slots_].data(), header_bytes};
  ++slots_;
  bytes_ += header_bytes;
  has_ping_ = true;
  return true;
}

bool WsWriteBatch::advance(std::size_t written) {
  while (written > 0 && next_iov_ < iov_count_) {
    iovec& part = iov_[next_iov_];
    if (written < part.iov_len) {
      part.iov_base = static_cast<uint8_t*>(part.iov_base) + written;
      part.iov_len -= written;
      return false;
    }
    written -= part.iov_len;
    ++next_iov_;
  }
  return next_iov_ == iov_count_;
}

void WsWriteBatch::clear() {
  for (std::size_t i = 0; i < slots_; ++i) owners_[i] = FrameRef();
  slots_ = iov_count_ = next_iov_ = frames_ = bytes_ = payload_bytes_ = 0;
  has_ping_ = false;
}

}  // namespace vc::ws
