// Simulcast: the camera ladder and an encoder per encoding, shared by videocall-cli (live capture)
// and videocall-bot (pre-encoded loops).
#include <algorithm>

#include "videocall/media.hpp"

namespace vc::media {

namespace {

// Same aspect ratio as the source, rounded down to an even width (I420), never below 2.
int even_width_for(int height, int source_width, int source_height) {
  return std::max(2, height * source_width / source_height / 2 * 2);
}

}  // namespace

std::vector<SimulcastLayer> simulcast_layers(int width, int height, int min_layers) {
  std::vector<SimulcastLayer> layers;
  if (width <= 0 || height <= 0) return layers;
  for (const SimulcastRung& rung : kCameraLadder) {
    // Upscaled rungs only to reach min_layers > 1; a single encoding is the source's own size.
    const bool enough = min_layers <= 1 || static_cast<int>(layers.size()) >= min_layers;
    if (rung.height > height && enough) break;
    layers.push_back({even_width_for(rung.height, width, height), rung.height, rung.bitrate_kbps});
  }
  if (layers.empty()) layers.push_back({width, height, kCameraLadder[0].bitrate_kbps});
  return layers;
}

MediaError SimulcastEncoder::create(const SimulcastEncoderOptions& options,
                                    std::unique_ptr<SimulcastEncoder>& out) {
  if (options.layers.empty() || options.layers.size() > std::size(kCameraLadder)) {
    return {MediaErrorKind::kUnsupportedFormat, "simulcast needs 1 to 3 encodings"};
  }
  auto encoder = std::unique_ptr<SimulcastEncoder>(new SimulcastEncoder());
  for (const SimulcastLayer& layer : options.layers) {
    VideoEncoderOptions layer_options;
    layer_options.codec = options.codec;
    layer_options.width = layer.width;
    layer_options.height = layer.height;
    layer_options.fps = options.fps;
    layer_options.bitrate_kbps = layer.bitrate_kbps;
    layer_options.threads = options.threads;
    layer_options.keyframe_interval_s = options.keyframe_interval_s;
    layer_options.temporal_layers = options.temporal_layers;
    std::unique_ptr<VideoEncoder> layer_encoder;
    if (MediaError error = create_video_encoder(layer_options, layer_encoder)) return error;
    encoder->encoders_.push_back(std::move(layer_encoder));
    encoder->scaled_.emplace_back().allocate(layer.width, layer.height);
  }
  encoder->layers_ = options.layers;
  out = std::move(encoder);
  return {};
}

MediaError SimulcastEncoder::encode(const I420Frame& frame, uint32_t keyframe_layers,
                                    std::vector<EncodedFrame>& out) {
  for (std::size_t s = 0; s < encoders_.size(); ++s) {
    I420Frame& scaled = scaled_[s];
    const I420Frame* input = &frame;
    if (frame.width != scaled.width || frame.height != scaled.height) {
      scale_i420(frame, scaled);
      input = &scaled;
    }
    const std::size_t first = out.size();
    const bool force_keyframe = (keyframe_layers >> s) & 1u;
    if (MediaError error = encoders_[s]->encode(*input, force_keyframe, out)) return error;
    for (std::size_t i = first; i < out.size(); ++i) out[i].spatial_layer = static_cast<int>(s);
  }
  return {};
}

}  // namespace vc::media
