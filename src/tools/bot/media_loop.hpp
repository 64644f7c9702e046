// The bot's pre-encoded media: a short loop per video encoding (one, or a simulcast ladder) and an
// Opus loop, encoded once at start and replayed by every publisher.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bot.hpp"
#include "videocall/client.hpp"
#include "videocall/media.hpp"

namespace vc::tools {

struct EncodedPacket {
  std::vector<uint8_t> data;
  bool keyframe = false;
};

// One encoding of the video loop: frames[0] is a keyframe, a keyframe request restarts there.
struct VideoLayerLoop {
  int width = 0;
  int height = 0;
  int bitrate_kbps = 0;
  std::vector<EncodedPacket> frames;
};

struct EncodedLoop {
  std::vector<VideoLayerLoop> video;  // by spatial layer, lowest first; empty without video
  std::vector<EncodedPacket> audio;
};

// The simulcast ladder: encodings of height ≤ --resolution's, at least the two lowest.
struct SimulcastRung {
  int height;
  int bitrate_kbps;
};
inline constexpr SimulcastRung kSimulcastLadder[] = {{180, 150}, {360, 500}, {720, 1500}};
inline constexpr int kMinSimulcastLayers = 2;

media::MediaError pre_encode(const BotOptions& options, EncodedLoop& loop);

v1::Codec wire_codec(const std::string& codec);
// The camera track a publisher announces: the loop's encodings as its layers. Temporal layers
// are not offered (the encoder makes none: every frame is temporal layer 0).
v1::Track camera_track(const EncodedLoop& loop, v1::Codec codec);

}  // namespace vc::tools
