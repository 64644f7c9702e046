#include "publishing.hpp"

namespace vc::tools {

media::VideoCodec video_codec_named(const std::string& name) {
  return name == "vp8"   ? media::VideoCodec::kVp8
         : name == "av1" ? media::VideoCodec::kAv1
                         : media::VideoCodec::kVp9;
}

v1::Codec wire_codec(media::VideoCodec codec) {
  switch (codec) {
    case media::VideoCodec::kVp8:
      return v1::CODEC_VP8;
    case media::VideoCodec::kVp9:
      return v1::CODEC_VP9;
    case media::VideoCodec::kAv1:
      return v1::CODEC_AV1;
  }
  return v1::CODEC_UNSPECIFIED;
}

v1::Track camera_track(v1::Codec codec, const std::vector<media::SimulcastLayer>& layers, int fps,
                       int temporal_layers) {
  const media::SimulcastLayer low = layers.empty() ? media::SimulcastLayer{} : layers.front();
  v1::Track track =
      client::default_track(v1::MEDIA_KIND_VIDEO, codec, static_cast<uint32_t>(low.width),
                            static_cast<uint32_t>(low.height));
  if (temporal_layers > 1) track.set_temporal_layers(static_cast<uint32_t>(temporal_layers));
  if (layers.size() <= 1) return track;  // as before simulcast: only the size is announced
  track.clear_layers();
  for (std::size_t s = 0; s < layers.size(); ++s) {
    v1::VideoLayer* layer = track.add_layers();
    layer->set_spatial_layer(static_cast<uint32_t>(s));
    layer->set_width(static_cast<uint32_t>(layers[s].width));
    layer->set_height(static_cast<uint32_t>(layers[s].height));
    layer->set_max_bitrate_bps(static_cast<uint32_t>(layers[s].bitrate_kbps) * 1000);
    layer->set_max_fps(static_cast<uint32_t>(fps));
  }
  return track;
}

v1::MediaHeader camera_header(const media::EncodedFrame& frame, v1::Codec codec,
                              uint32_t sequence) {
  v1::MediaHeader header;
  header.set_kind(v1::MEDIA_KIND_VIDEO);
  header.set_track_id(client::kCameraTrackId);
  header.set_sequence(sequence);
  header.set_capture_time_us(frame.capture_time_us);
  header.set_keyframe(frame.keyframe);
  header.set_codec(codec);
  header.set_spatial_layer(static_cast<uint32_t>(frame.spatial_layer));
  header.set_temporal_layer(static_cast<uint32_t>(frame.temporal_layer));
  header.set_width(static_cast<uint32_t>(frame.width));
  header.set_height(static_cast<uint32_t>(frame.height));
  return header;
}

}  // namespace vc::tools
