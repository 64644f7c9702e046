#include "media_loop.hpp"

#include <algorithm>

namespace vc::tools {

namespace {

media::VideoCodec media_codec(const std::string& codec) {
  return codec == "vp8"   ? media::VideoCodec::kVp8
         : codec == "av1" ? media::VideoCodec::kAv1
                          : media::VideoCodec::kVp9;
}

// The encodings to pre-encode: --resolution at --bitrate-kbps, or the simulcast ladder.
std::vector<VideoLayerLoop> video_layers(const BotOptions& options) {
  if (!options.simulcast) return {{options.width, options.height, options.bitrate_kbps, {}}};
  std::vector<VideoLayerLoop> layers;
  for (const SimulcastRung& rung : kSimulcastLadder) {
    if (static_cast<int>(layers.size()) >= kMinSimulcastLayers && rung.height > options.height) {
      break;
    }
    // Same aspect ratio as --resolution, even width (I420).
    const int width = std::max(2, rung.height * options.width / options.height / 2 * 2);
    layers.push_back({width, rung.height, rung.bitrate_kbps, {}});
  }
  return layers;
}

media::MediaError encode_layer(const BotOptions& options, int frames, VideoLayerLoop& layer) {
  media::VideoSourceOptions source_options{layer.width, layer.height, options.fps,
                                           /*realtime=*/false};
  auto source = media::open_test_pattern(source_options);
  media::VideoEncoderOptions encoder_options;
  encoder_options.codec = media_codec(options.codec);
  encoder_options.width = layer.width;
  encoder_options.height = layer.height;
  encoder_options.fps = options.fps;
  encoder_options.bitrate_kbps = layer.bitrate_kbps;
  encoder_options.keyframe_interval_s = 3600;  // only frame 0
  std::unique_ptr<media::VideoEncoder> encoder;
  if (auto error = media::create_video_encoder(encoder_options, encoder)) return error;
  media::I420Frame frame;
  std::vector<media::EncodedFrame> encoded;
  for (int i = 0; i < frames; ++i) {
    if (auto error = source->read(frame)) return error;
    encoded.clear();
    if (auto error = encoder->encode(frame, i == 0, encoded)) return error;
    for (auto& out : encoded) layer.frames.push_back({std::move(out.data), out.keyframe});
  }
  return {};
}

}  // namespace

media::MediaError pre_encode(const BotOptions& options, EncodedLoop& loop) {
  const int video_frames = std::max(1, static_cast<int>(options.fps * options.loop_s));
  if (options.video) {
    loop.video = video_layers(options);
    for (VideoLayerLoop& layer : loop.video) {
      if (auto error = encode_layer(options, video_frames, layer)) return error;
    }
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

v1::Codec wire_codec(const std::string& codec) {
  return codec == "vp8" ? v1::CODEC_VP8 : codec == "av1" ? v1::CODEC_AV1 : v1::CODEC_VP9;
}

v1::Track camera_track(const EncodedLoop& loop, v1::Codec codec) {
  const VideoLayerLoop& low = loop.video.front();
  v1::Track track =
      client::default_track(v1::MEDIA_KIND_VIDEO, codec, static_cast<uint32_t>(low.width),
                            static_cast<uint32_t>(low.height));
  if (loop.video.size() == 1) return track;  // as before simulcast: nothing announced
  // Announced rates let the server choose encodings before it has measured them.
  track.mutable_layers(0)->set_max_bitrate_bps(static_cast<uint32_t>(low.bitrate_kbps) * 1000);
  for (std::size_t s = 1; s < loop.video.size(); ++s) {
    v1::VideoLayer* layer = track.add_layers();
    layer->set_spatial_layer(static_cast<uint32_t>(s));
    layer->set_width(static_cast<uint32_t>(loop.video[s].width));
    layer->set_height(static_cast<uint32_t>(loop.video[s].height));
    layer->set_max_bitrate_bps(static_cast<uint32_t>(loop.video[s].bitrate_kbps) * 1000);
  }
  return track;
}

}  // namespace vc::tools
