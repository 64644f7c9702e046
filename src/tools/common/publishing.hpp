// Shared by videocall-cli and videocall-bot: how encoded video becomes a published camera track
// and its media headers (docs/PROTOCOL.md §11), the same way the browser announces it.
#pragma once

#include <string>
#include <vector>

#include "videocall/client.hpp"
#include "videocall/media.hpp"

namespace vc::tools {

// "vp8", "av1"; anything else is VP9 (CLI11 checks the name first).
media::VideoCodec video_codec_named(const std::string& name);
v1::Codec wire_codec(media::VideoCodec codec);

// The camera track: one unlayered encoding of the first layer's size, or, for simulcast, every
// layer with its size, rate (so the server can choose before it has measured) and frame rate;
// `temporal_layers` > 1 is announced too.
v1::Track camera_track(v1::Codec codec, const std::vector<media::SimulcastLayer>& layers, int fps,
                       int temporal_layers = 1);

// The header of one encoded camera frame: its spatial and temporal layer, size and keyframe flag,
// `sequence` (counted per encoding) and the frame's capture time.
v1::MediaHeader camera_header(const media::EncodedFrame& frame, v1::Codec codec, uint32_t sequence);

}  // namespace vc::tools
