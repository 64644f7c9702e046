// The bot's pre-encoded media: a short loop per video encoding (one, or the simulcast ladder of
// media::simulcast_layers) and an Opus loop, encoded once at start and replayed by every publisher.
#pragma once

#include <cstdint>
#include <vector>

#include "bot.hpp"
#include "videocall/media.hpp"

namespace vc::tools {

struct EncodedPacket {
  std::vector<uint8_t> data;
  bool keyframe = false;
};

// One encoding of the video loop: frames[0] is a keyframe, a keyframe request restarts there.
struct VideoLayerLoop {
  media::SimulcastLayer layer;
  std::vector<media::EncodedFrame> frames;
};

struct EncodedLoop {
  std::vector<VideoLayerLoop> video;  // by spatial layer, lowest first; empty without video
  std::vector<EncodedPacket> audio;
};

// Simulcast always offers at least the two lowest rungs, even for a smaller --resolution.
inline constexpr int kMinSimulcastLayers = 2;

media::MediaError pre_encode(const BotOptions& options, EncodedLoop& loop);

// The loop's encodings (for the camera track).
std::vector<media::SimulcastLayer> loop_layers(const EncodedLoop& loop);

}  // namespace vc::tools
