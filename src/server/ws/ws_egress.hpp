// WebSocket egress at the kernel floor (plain TCP): every frame queued for a receiver goes out in
// one writev per loop turn, straight on the socket. Server-to-client WebSocket frames are unmasked,
// so a frame's header depends only on its length: 2-10 bytes built here, the payload is the shared
// Frame's bytes (no copy). A short write keeps the rest (and the FrameRefs that own it) until the
// socket is writable again; everything not yet popped stays in the SendQueue under its drop policy.
//
// Sans-I/O apart from the write call, which is injected: tests drive it over a socketpair.
#pragma once

#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/limits.hpp"
#include "protocol/frame.hpp"

namespace vc::ws {

// RFC 6455 §5.2 header of an unmasked, final frame of `opcode` carrying `payload_bytes`; returns
// its length (2, 4 or 10).
std::size_t encode_frame_header(uint8_t opcode, uint64_t payload_bytes,
                                std::array<uint8_t, 10>& out);

inline constexpr uint8_t kOpcodeBinary = 0x2;
inline constexpr uint8_t kOpcodePing = 0x9;

enum class FlushResult : uint8_t {
  kDone,     // everything in the batch is written
  kBlocked,  // the socket took part (or none) of it: wait for writability, then flush again
  kFailed,   // the connection is broken (errno other than EAGAIN/EINTR)
};

class WsWriteBatch {
 public:
  // Appends one binary frame (also while a flush is blocked: it goes after what is pending); false
  // when the batch is full by frames or bytes.
  bool add(FrameRef frame);
  // Appends an empty ping (liveness); at most one per batch.
  bool add_ping();

  bool empty() const { return next_iov_ == iov_count_; }
  bool full() const {
    return frames_ == limits::kWsWritevMaxFrames || bytes_ >= limits::kWsWritevMaxBytes;
  }
  // Frames and envelope bytes (WebSocket headers excluded) in the batch: for the metrics.
  std::size_t frame_count() const { return frames_; }
  std::size_t payload_bytes() const { return payload_bytes_; }

  // Writes what the socket takes with `writev_fn(iov, count)` (a writev(2) on a non-blocking
  // socket: bytes written, or -1 with errno). On kDone the batch is reset for reuse.
  template <class Writev>
  FlushResult flush(Writev&& writev_fn);

  // Drops everything (the connection is gone).
  void clear();

 private:
  // Accounts `written` bytes from next_iov_ on; returns whether the batch is now complete.
  bool advance(std::size_t written);

  static constexpr std::size_t kMaxSlots = limits::kWsWritevMaxFrames + 1;  // + a ping
  // Counters first: with hundreds of receivers a batch is cold, and one frame touches only the
  // first cache lines.
  std::size_t slots_ = 0;
  std::size_t iov_count_ = 0;
  std::size_t next_iov_ = 0;  // first iovec not completely written
  std::size_t frames_ = 0;
  std::size_t bytes_ = 0;  // headers + payloads
  std::size_t payload_bytes_ = 0;
  bool has_ping_ = false;
  std::array<iovec, 2 * kMaxSlots> iov_{};
  std::array<FrameRef, kMaxSlots> owners_;
  std::array<std::array<uint8_t, 10>, kMaxSlots> headers_{};
};

template <class Writev>
FlushResult WsWriteBatch::flush(Writev&& writev_fn) {
  while (!empty()) {
    const std::size_t count = std::min<std::size_t>(iov_count_ - next_iov_, IOV_MAX);
    const ssize_t written = writev_fn(&iov_[next_iov_], static_cast<int>(count));
    if (written < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return FlushResult::kBlocked;
      return FlushResult::kFailed;
    }
    if (advance(static_cast<std::size_t>(written))) {
      clear();
      return FlushResult::kDone;
    }
    if (written == 0) return FlushResult::kBlocked;
  }
  clear();
  return FlushResult::kDone;
}

}  // namespace vc::ws
