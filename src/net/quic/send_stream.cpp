#include "net/quic/send_stream.hpp"

#include <cstring>

namespace vc::quic {

void SendStream::append(ByteView prefix, FrameRef frame) {
  Chunk chunk;
  chunk.inline_size =
      static_cast<uint8_t>(prefix.size() < kMaxInlineBytes ? prefix.size() : kMaxInlineBytes);
  if (chunk.inline_size > 0) std::memcpy(chunk.inline_bytes, prefix.data(), chunk.inline_size);
  chunk.frame = std::move(frame);
  const uint64_t size = chunk.size();
  if (size == 0) return;
  end_offset_ += size;
  chunks_.push_back(std::move(chunk));
}

void SendStream::append_copy(ByteView bytes) {
  if (bytes.empty()) return;
  if (bytes.size() <= kMaxInlineBytes) return append(bytes, {});
  FrameRef copy = Frame::allocate(bytes.size(), FrameMeta{});
  std::memcpy(copy.mutable_frame()->mutable_bytes().data(), bytes.data(), bytes.size());
  append({}, std::move(copy));
}

std::size_t SendStream::unsent_vectors(ngtcp2_vec* vectors, std::size_t max) const {
  std::size_t count = 0;
  uint64_t chunk_start = cursor_start_;
  for (std::size_t i = cursor_index_; i < chunks_.size() && count < max; ++i) {
    const Chunk& chunk = chunks_[i];
    const uint64_t skip = sent_offset_ > chunk_start ? sent_offset_ - chunk_start : 0;
    // The inline part, then the frame part, each minus what was already sent.
    if (skip < chunk.inline_size) {
      vectors[count++] = {const_cast<uint8_t*>(chunk.inline_bytes) + skip,
                          static_cast<std::size_t>(chunk.inline_size - skip)};
    }
    if (chunk.frame && count < max) {
      const uint64_t frame_skip = skip > chunk.inline_size ? skip - chunk.inline_size : 0;
      const auto bytes = chunk.frame->bytes();
      if (frame_skip < bytes.size()) {
        vectors[count++] = {const_cast<uint8_t*>(bytes.data()) + frame_skip,
                            static_cast<std::size_t>(bytes.size() - frame_skip)};
      }
    }
    chunk_start += chunk.size();
  }
  return count;
}

void SendStream::mark_sent(std::size_t bytes) {
  sent_offset_ += bytes;
  while (cursor_index_ < chunks_.size() &&
         cursor_start_ + chunks_[cursor_index_].size() <= sent_offset_) {
    cursor_start_ += chunks_[cursor_index_].size();
    ++cursor_index_;
  }
}

void SendStream::acknowledge_until(uint64_t offset) {
  if (offset > acked_offset_) acked_offset_ = offset;
  while (!chunks_.empty() && chunks_start_ + chunks_.front().size() <= acked_offset_ &&
         cursor_index_ > 0) {
    chunks_start_ += chunks_.front().size();
    chunks_.pop_front();
    --cursor_index_;
  }
}

}  // namespace vc::quic
