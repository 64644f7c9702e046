// Outgoing bytes of one QUIC stream, kept until the peer acknowledges them (ngtcp2 does not copy
// stream data). Media records reference the shared Frame (prefix bytes inline + FrameRef), so a
// frame fanned out to many receivers is never copied; small H3 bytes are copied once into a Frame.
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>

#include "protocol/frame.hpp"

namespace vc::quic {

using ByteView = std::span<const uint8_t>;

class SendStream {
 public:
  static constexpr std::size_t kMaxInlineBytes = 16;

  // Queues `prefix` (copied inline, at most kMaxInlineBytes) followed by the frame's bytes.
  void append(ByteView prefix, FrameRef frame);
  // Queues a copy of `bytes`.
  void append_copy(ByteView bytes);
  void request_fin() { fin_requested_ = true; }

  // Fills up to `max` vectors with unsent bytes starting at the send offset; returns the count.
  std::size_t unsent_vectors(ngtcp2_vec* vectors, std::size_t max) const;
  // ngtcp2 took `bytes` from the front of the unsent data.
  void mark_sent(std::size_t bytes);
  // The peer acknowledged everything before `offset`: release those chunks.
  void acknowledge_until(uint64_t offset);

  bool has_unsent() const { return sent_offset_ < end_offset_; }
  bool fin_pending() const { return fin_requested_ && !fin_sent_; }
  bool wants_write() const { return !blocked && !shut && (has_unsent() || fin_pending()); }
  // True when everything queued (and the FIN) would be in the next write of all unsent bytes.
  bool fin_requested() const { return fin_requested_; }
  void mark_fin_sent() { fin_sent_ = true; }
  // Bytes queued and not yet acknowledged (the stream's memory footprint).
  uint64_t buffered_bytes() const { return end_offset_ - acked_offset_; }
  // Bytes queued and not yet handed to ngtcp2 (the backlog that backpressure looks at).
  uint64_t unsent_bytes() const { return end_offset_ - sent_offset_; }

  bool blocked = false;  // flow-control blocked until extend_max_stream_data
  bool shut = false;     // reset, stopped or closed: nothing more will be sent
  uint8_t priority = 0;  // 0 is most urgent

 private:
  struct Chunk {
    FrameRef frame;  // owns the payload bytes
    uint8_t inline_bytes[kMaxInlineBytes];
    uint8_t inline_size = 0;
    uint64_t size() const { return inline_size + (frame ? frame->size() : 0); }
  };

  std::deque<Chunk> chunks_;
  uint64_t chunks_start_ = 0;  // stream offset of chunks_.front()
  uint64_t acked_offset_ = 0;
  uint64_t sent_offset_ = 0;
  uint64_t end_offset_ = 0;
  // Cursor: the chunk containing sent_offset_ and that chunk's start offset, so building the next
  // packet's vectors does not rescan chunks already sent.
  std::size_t cursor_index_ = 0;
  uint64_t cursor_start_ = 0;
  bool fin_requested_ = false;
  bool fin_sent_ = false;
};

}  // namespace vc::quic
