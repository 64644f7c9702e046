// Incremental parsers for the two framed byte streams of HTTP/3 that we read:
//  - FrameReader: HTTP/3 frames on the control stream and the CONNECT (request) stream. Known
//    frames are buffered whole (bounded); DATA payloads are streamed out in chunks; unknown and
//    GREASE frame types are skipped without buffering; HTTP/2-reserved types are errors.
//  - CapsuleReader: capsules inside DATA payloads of the CONNECT stream. CLOSE and DRAIN are
//    handed out; unknown (and GREASE) capsules are skipped without buffering.
// Errors are H3Error values; after an error the reader must not be fed again.
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/h3/varint.hpp"
#include "net/h3/wire.hpp"

namespace vc::h3 {

class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // A complete non-DATA frame of a type this endpoint knows.
  virtual H3Error on_frame(uint64_t type, ByteView payload) = 0;
  // The start of a DATA frame of `length` bytes, then its payload in chunks.
  virtual H3Error on_data_start(uint64_t length) = 0;
  virtual H3Error on_data(ByteView chunk) = 0;
};

class FrameReader {
 public:
  explicit FrameReader(std::size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}
  H3Error feed(ByteView data, FrameSink& sink);
  // True between frames (no partial frame consumed): where a stream may legally end.
  bool at_frame_boundary() const { return state_ == State::kHeader && header_size_ == 0; }
  uint64_t frames_seen() const { return frames_seen_; }

 private:
  enum class State : uint8_t { kHeader, kPayload, kSkip, kData };
  H3Error begin_frame(const FrameHeader& header, FrameSink& sink);

  std::size_t max_frame_bytes_;
  State state_ = State::kHeader;
  uint8_t header_[2 * kMaxVarintBytes] = {};
  std::size_t header_size_ = 0;
  uint64_t type_ = 0;
  uint64_t remaining_ = 0;  // payload bytes of the current frame not yet consumed
  Bytes payload_;           // partial payload of a known frame
  uint64_t frames_seen_ = 0;
};

class CapsuleSink {
 public:
  virtual ~CapsuleSink() = default;
  virtual H3Error on_close_session(const CloseSession& close) = 0;
  virtual H3Error on_drain_session() = 0;
};

class CapsuleReader {
 public:
  explicit CapsuleReader(std::size_t max_capsule_bytes) : max_capsule_bytes_(max_capsule_bytes) {}
  // H3_MESSAGE_ERROR for a malformed CLOSE/DRAIN capsule or one over the size limit.
  H3Error feed(ByteView data, CapsuleSink& sink);
  bool at_capsule_boundary() const { return buffer_.empty() && skip_ == 0; }

 private:
  std::size_t max_capsule_bytes_;
  Bytes buffer_;
  uint64_t skip_ = 0;
};

}  // namespace vc::h3
