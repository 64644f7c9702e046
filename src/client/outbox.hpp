// Outbox: what a client has to send, in the one drop policy (protocol/send_queue.hpp) with the
// application's lane sizes, and the counters an application reads from another thread.
//
// Used from the client's strand; the counters (stats()) and the dropped-frame counts a caller may
// add before posting to the strand are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "protocol/frame.hpp"
#include "protocol/send_queue.hpp"
#include "videocall/client.hpp"

namespace vc::client {

class Outbox {
 public:
  explicit Outbox(const ClientConfig& config);

  enum class Push : uint8_t {
    kOk,           // queued, or dropped by the policy (counted)
    kNotDraining,  // the control lane or the whole queue passed its cap: drop the connection
  };
  // Control, in order behind what is queued (any envelope: the lane is in its FrameMeta).
  Push push_control(FrameRef frame);
  // One of our own audio or video frames. Not joined: dropped and counted (video then waits for
  // a keyframe). `on_video_dropped` is told each track the policy left waiting for a keyframe, so
  // the encoder makes one.
  Push push_media(FrameRef frame, bool joined,
                  const std::function<void(v1::MediaKind, uint32_t track_id)>& on_video_dropped);
  // A frame that never reached the queue (it did not encrypt): counted as dropped.
  void count_dropped(bool video);

  // Next envelope for the transport, or an empty FrameRef.
  FrameRef pop();
  // Nothing queued survives a connection: the next one starts with Hello, and every video track
  // we have sent starts again at a keyframe.
  void reset_for_new_connection();
  void clear();

  // (kind, track) of every video track we have sent: each needs a keyframe after a (re)join.
  const std::vector<std::pair<uint32_t, uint32_t>>& video_tracks() const { return video_tracks_; }
  std::size_t queued_bytes() const { return queue_.queued_bytes(); }
  // Thread-safe: media_sent, bytes_sent, audio_dropped, video_dropped and send_queue_bytes.
  void fill(ClientStats& out) const;

 private:
  void remember_video_track(uint32_t kind, uint32_t track);
  void publish_queued_bytes() {
    queued_bytes_.store(queue_.queued_bytes(), std::memory_order_relaxed);
  }

  SendQueue queue_;
  std::vector<std::pair<uint32_t, uint32_t>> video_tracks_;
  std::atomic<uint64_t> media_sent_{0};
  std::atomic<uint64_t> bytes_sent_{0};
  std::atomic<uint64_t> audio_dropped_{0};
  std::atomic<uint64_t> video_dropped_{0};
  std::atomic<uint64_t> queued_bytes_{0};
};

}  // namespace vc::client
