#include "net/quic/send_streams.hpp"

#include <algorithm>

namespace vc::quic {

SendStream* SendStreams::find(int64_t stream_id) {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : &it->second;
}

const SendStream* SendStreams::find(int64_t stream_id) const {
  auto it = streams_.find(stream_id);
  return it == streams_.end() ? nullptr : &it->second;
}

SendStream& SendStreams::get(int64_t stream_id) {
  auto [it, added] = streams_.try_emplace(stream_id);
  if (added) order_stale_ = true;
  return it->second;
}

void SendStreams::set_priority(int64_t stream_id, uint8_t priority) {
  SendStream& stream = get(stream_id);
  if (stream.priority == priority) return;
  stream.priority = priority;
  order_stale_ = true;
}

void SendStreams::erase(int64_t stream_id) {
  if (streams_.erase(stream_id) > 0) order_stale_ = true;
}

SendStream* SendStreams::pick(int64_t& stream_id) {
  if (order_stale_) rebuild_order();
  for (const Ordered& entry : order_) {
    if (entry.stream->wants_write()) {
      stream_id = entry.stream_id;
      return entry.stream;
    }
  }
  stream_id = -1;
  return nullptr;
}

void SendStreams::rebuild_order() {
  order_stale_ = false;
  order_.clear();
  for (auto& [id, stream] : streams_) order_.push_back({stream.priority, id, &stream});
  std::sort(order_.begin(), order_.end(), [](const Ordered& a, const Ordered& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.stream_id < b.stream_id;
  });
}

}  // namespace vc::quic
