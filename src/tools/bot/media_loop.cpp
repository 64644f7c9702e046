#include "media_loop.hpp"

#include <algorithm>

#include "publishing.hpp"

namespace vc::tools {

namespace {

// The encodings to pre-encode: --resolution at --bitrate-kbps, or the simulcast ladder.
std::vector<media::SimulcastLayer> video_layers(const BotOptions& options) {
  if (!options.simulcast) return {{options.width, options.height, options.bitrate_kbps}};
  return media::simulcast_layers(options.width, options.height, kMinSimulcastLayers);
}

// One test pattern at the top encoding's size, through the shared simulcast encoder.
media::MediaError encode_video(const BotOptions& options, int frames, EncodedLoop& loop) {
  media::SimulcastEncoderOptions encoder_options;
  encoder_options.codec = video_codec_named(options.codec);
  encoder_options.layers = video_layers(options);
  encoder_options.fps = options.fps;
  encoder_options.keyframe_interval_s = 3600;  // only frame 0
  std::unique_ptr<media::SimulcastEncoder> encoder;
  if (auto error = media::SimulcastEncoder::create(encoder_options, encoder)) return error;
  const media::SimulcastLayer& top = encoder->layers().back();
  auto source = media::open_test_pattern({top.width, top.height, options.fps, /*realtime=*/false});
  for (const media::SimulcastLayer& layer : encoder->layers()) loop.video.push_back({layer, {}});
  media::I420Frame frame;
  std::vector<media::EncodedFrame> encoded;
  for (int i = 0; i < frames; ++i) {
    if (auto error = source->read(frame)) return error;
    encoded.clear();
    if (auto error = encoder->encode(frame, i == 0 ? ~0u : 0u, encoded)) return error;
    for (auto& out : encoded) {
      loop.video[static_cast<std::size_t>(out.spatial_layer)].frames.push_back(std::move(out));
    }
  }
  return {};
}

}  // namespace

media::MediaError pre_encode(const BotOptions& options, EncodedLoop& loop) {
  const int video_frames = std::max(1, static_cast<int>(options.fps * options.loop_s));
  if (options.video) {
    if (auto error = encode_video(options, video_frames, loop)) return error;
  }
  if (options.audio) {
    auto tone = media::open_tone(440, /*realtime=*/false);
    std::unique_ptr<media::OpusEncoder> encoder;
    if (auto error = media::create_opus_encoder(1, 32000, encoder)) return error;
    media::AudioFrame frame;
    const int audio_frames = std::max(1, static_cast<int>(50 * options.loop_s));
    for (int i = 0; i < audio_frames; ++i) {
      tone->read(frame);
      EncodedPacket packet;
      packet.keyframe = true;
      if (auto error = encoder->encode(frame, packet.data)) return error;
      loop.audio.push_back(std::move(packet));
    }
  }
  return {};
}

std::vector<media::SimulcastLayer> loop_layers(const EncodedLoop& loop) {
  std::vector<media::SimulcastLayer> layers;
  for (const VideoLayerLoop& encoding : loop.video) layers.push_back(encoding.layer);
  return layers;
}

}  // namespace vc::tools
