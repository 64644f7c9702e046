#include "server/room/published_track.hpp"

#include <algorithm>

namespace vc::room {

namespace {

v1::MediaKind kind_for_source(v1::TrackSource source) {
  switch (source) {
    case v1::TRACK_SOURCE_CAMERA:
      return v1::MEDIA_KIND_VIDEO;
    case v1::TRACK_SOURCE_SCREEN:
      return v1::MEDIA_KIND_SCREEN;
    case v1::TRACK_SOURCE_MICROPHONE:
    case v1::TRACK_SOURCE_SCREEN_AUDIO:
      return v1::MEDIA_KIND_AUDIO;
    default:
      return v1::MEDIA_KIND_UNSPECIFIED;
  }
}

// Without a measurement, an encoding's announced bitrate split over temporal layers in the usual
// L1T3 proportions (base half, then 70 %, then all).
constexpr uint32_t kTemporalSharePercent[limits::kMaxTemporalLayers] = {50, 70, 100};

}  // namespace

std::string_view validate_track(const v1::Track& track, const v1::Track* previous) {
  if (track.track_id() == 0 || track.track_id() > limits::kMaxTrackId)
    return "track id out of range";
  const v1::MediaKind kind = kind_for_source(track.source());
  if (kind == v1::MEDIA_KIND_UNSPECIFIED) return "unknown track source";
  if (track.kind() != kind) return "track kind does not match its source";
  if (previous != nullptr &&
      (previous->source() != track.source() || previous->kind() != track.kind())) {
    return "a track's source and kind cannot change";
  }
  if (track.temporal_layers() > limits::kMaxTemporalLayers) return "too many temporal layers";
  if (kind == v1::MEDIA_KIND_AUDIO) {
    return track.layers_size() == 0 ? std::string_view{} : "audio tracks have no layers";
  }
  if (static_cast<std::size_t>(track.layers_size()) > limits::kMaxSimulcastLayers) {
    return "too many simulcast layers";
  }
  uint32_t index = 0;
  uint32_t last_height = 0;
  for (const v1::VideoLayer& layer : track.layers()) {
    // Numbered 0, 1, 2 lowest first: an encoding's id is its index, so lookups need no search.
    if (layer.spatial_layer() != index++) return "layers must be numbered 0.. lowest first";
    if (layer.width() > limits::kMaxVideoDimension || layer.height() > limits::kMaxVideoDimension) {
      return "layer too large";
    }
    if (layer.height() < last_height) return "layers must be listed lowest first";
    last_height = layer.height();
  }
  return {};
}

void GopCache::add(const FrameRef& frame) {
  if (frame->meta().keyframe) {
    clear();
  } else if (frames_.empty()) {
    return;  // nothing decodable to start from until the next keyframe
  }
  if (bytes_ + frame->size() > limits::kGopCacheBytes ||
      frames_.size() >= limits::kGopCacheFrames) {
    // A cache that cannot start a receiver at the live edge is worse than none: a new subscriber
    // then asks for a keyframe instead.
    clear();
    return;
  }
  bytes_ += frame->size();
  frames_.push_back(frame);
}

void GopCache::clear() {
  frames_.clear();
  bytes_ = 0;
}

void LayerRateMeter::roll(TrackClock::time_point now) {
  if (!window_start_) {
    window_start_ = now;
    return;
  }
  const auto elapsed = now - *window_start_;
  if (elapsed < kRateWindow) return;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  // A gap of several windows means the layer stopped: its old rate must not linger.
  const bool stale = elapsed >= 4 * kRateWindow;
  for (std::size_t s = 0; s < limits::kMaxSimulcastLayers; ++s) {
    for (std::size_t t = 0; t < limits::kMaxTemporalLayers; ++t) {
      const auto measured =
          static_cast<uint64_t>(static_cast<double>(window_bytes_[s][t]) * 8 / seconds);
      bps_[s][t] = stale || bps_[s][t] == 0 ? measured : (bps_[s][t] + measured) / 2;
      window_bytes_[s][t] = 0;
    }
  }
  window_start_ = now;
}

void LayerRateMeter::on_frame(uint8_t spatial, uint8_t temporal, std::size_t bytes,
                              TrackClock::time_point now) {
  roll(now);
  if (spatial >= limits::kMaxSimulcastLayers) return;
  temporal = std::min<uint8_t>(temporal, limits::kMaxTemporalLayers - 1);
  window_bytes_[spatial][temporal] += bytes;
}

LayerRates LayerRateMeter::rates(const v1::Track& track) const {
  LayerRates out;
  out.spatial_count =
      static_cast<uint8_t>(std::clamp<int>(track.layers_size(), 1, limits::kMaxSimulcastLayers));
  out.temporal_count = static_cast<uint8_t>(
      std::clamp<uint32_t>(track.temporal_layers(), 1, limits::kMaxTemporalLayers));
  for (uint8_t s = 0; s < out.spatial_count; ++s) {
    const uint64_t announced = s < track.layers_size() ? track.layers(s).max_bitrate_bps() : 0;
    uint64_t cumulative = 0;
    for (uint8_t t = 0; t < out.temporal_count; ++t) {
      cumulative += bps_[s][t];
      out.bps[s][t] = cumulative != 0 ? cumulative : announced * kTemporalSharePercent[t] / 100;
    }
  }
  return out;
}

bool PublishedTrack::offers_spatial(uint8_t spatial) const {
  return spatial < spatial_count();
}

uint8_t PublishedTrack::spatial_count() const {
  return static_cast<uint8_t>(std::max(info.layers_size(), 1));
}

uint8_t PublishedTrack::spatial_for_height(uint32_t max_height) const {
  if (max_height == 0) return static_cast<uint8_t>(spatial_count() - 1);
  uint8_t best = 0;  // the lowest when none fits
  for (const v1::VideoLayer& layer : info.layers()) {
    if (layer.height() <= max_height) best = static_cast<uint8_t>(layer.spatial_layer());
  }
  return best;
}

bool PublishedTrack::accepts(const FrameMeta& meta) const {
  if (meta.media_kind != static_cast<uint32_t>(info.kind())) return false;
  return !is_video() || offers_spatial(meta.spatial_layer);
}

void PublishedTrack::on_frame(const FrameRef& frame, TrackClock::time_point now) {
  const FrameMeta& meta = frame->meta();
  rates.on_frame(meta.spatial_layer, meta.temporal_layer, frame->size(), now);
  if (is_video() && meta.spatial_layer < limits::kMaxSimulcastLayers) {
    gop[meta.spatial_layer].add(frame);
  }
}

void PublishedTrack::forget_keyframe_coalescing() {
  for (auto& last : last_keyframe_request) last.reset();
}

}  // namespace vc::room
