// SendStreams: a connection's send streams and the order they are written in, the lowest priority
// value first (control 0 > audio 1 > video 2 > screen 3), then the older stream. The order is
// rebuilt only when a stream appears, goes or changes priority, so the per-packet pick walks the
// streams in that order and stops at the first with something to write (before, every packet
// scanned the whole map).
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "net/quic/send_stream.hpp"

namespace vc::quic {

class SendStreams {
 public:
  SendStream* find(int64_t stream_id);
  const SendStream* find(int64_t stream_id) const;
  // The stream, added (priority 0) when it is not there yet: peer-initiated streams appear here.
  SendStream& get(int64_t stream_id);
  void set_priority(int64_t stream_id, uint8_t priority);
  void erase(int64_t stream_id);
  // The first stream in priority order that wants to write, or nullptr; `stream_id` is its id
  // (-1 when none).
  SendStream* pick(int64_t& stream_id);

 private:
  struct Ordered {
    uint8_t priority;
    int64_t stream_id;
    SendStream* stream;  // node-based map: stable until that stream is erased
  };
  void rebuild_order();

  std::unordered_map<int64_t, SendStream> streams_;
  std::vector<Ordered> order_;
  bool order_stale_ = false;
};

}  // namespace vc::quic
