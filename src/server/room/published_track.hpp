// PublishedTrack: one track a participant publishes, as the room routes it (docs/PROTOCOL.md
// §11.1): its announced description, each encoding's measured bitrate, the frames since each
// encoding's last keyframe (to start new subscribers at once), and keyframe-request coalescing per
// encoding. Bounded: kGopCacheBytes/kGopCacheFrames per encoding.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

#include "common/limits.hpp"
#include "protocol/envelope.hpp"
#include "server/room/layer_allocator.hpp"

namespace vc::room {

using TrackClock = std::chrono::steady_clock;

// Why a PublishTrack is refused (empty when it is valid). `previous`: the track with the same id
// already published, if any (source and kind cannot change).
std::string_view validate_track(const v1::Track& track, const v1::Track* previous);

// The frames of one encoding since its last keyframe.
class GopCache {
 public:
  void add(const FrameRef& frame);
  void clear();
  bool has_keyframe() const { return !frames_.empty(); }
  const std::deque<FrameRef>& frames() const { return frames_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::deque<FrameRef> frames_;  // frames_.front() is a keyframe whenever non-empty
  std::size_t bytes_ = 0;
};

// Bitrate per (encoding, temporal layer) from the bytes seen, over kRateWindow windows.
class LayerRateMeter {
 public:
  void on_frame(uint8_t spatial, uint8_t temporal, std::size_t bytes, TrackClock::time_point now);
  // Cumulative rates (encoding s with temporal layers 0..t) shaped by what `track` offers.
  LayerRates rates(const v1::Track& track) const;

 private:
  static constexpr auto kRateWindow = std::chrono::milliseconds(500);
  void roll(TrackClock::time_point now);
  uint64_t window_bytes_[limits::kMaxSimulcastLayers][limits::kMaxTemporalLayers] = {};
  uint64_t bps_[limits::kMaxSimulcastLayers][limits::kMaxTemporalLayers] = {};
  std::optional<TrackClock::time_point> window_start_;
};

struct PublishedTrack {
  v1::Track info;
  LayerRateMeter rates;
  GopCache gop[limits::kMaxSimulcastLayers];
  std::optional<TrackClock::time_point> last_keyframe_request[limits::kMaxSimulcastLayers];

  uint32_t id() const { return info.track_id(); }
  bool is_video() const { return info.kind() != v1::MEDIA_KIND_AUDIO; }
  // The encoding with the given id is on offer (unlayered video offers encoding 0 only).
  bool offers_spatial(uint8_t spatial) const;
  uint8_t spatial_count() const;
  // The highest encoding whose height is at most `max_height` (0: the highest), else the lowest.
  uint8_t spatial_for_height(uint32_t max_height) const;
  // Media with this header belongs to this track (kind matches, encoding on offer).
  bool accepts(const FrameMeta& meta) const;
  // Keeps `frame` in its encoding's cache (video) and measures its rate.
  void on_frame(const FrameRef& frame, TrackClock::time_point now);
  void forget_keyframe_coalescing();
};

}  // namespace vc::room
