// WebM writer over libavformat (FFmpeg's muxer): one file, one track, fed with encoded frames.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "videocall/media.hpp"

namespace vc::media {

struct WebmTrack {
  enum class Kind : uint8_t { kVideo, kAudio } kind = Kind::kVideo;
  std::string codec;  // "vp8", "vp9", "av1" or "opus"
  int width = 0;      // video
  int height = 0;
  int channels = 1;  // audio
};

class WebmWriter {
 public:
  virtual ~WebmWriter() = default;
  // timestamp_us: any monotonic microsecond clock; the first frame becomes time 0.
  virtual MediaError write(std::span<const uint8_t> frame, uint64_t timestamp_us,
                           bool keyframe) = 0;
  // Writes the trailer (cues, duration) and closes the file. Safe to call twice.
  virtual MediaError finish() = 0;
  virtual uint64_t frames_written() const = 0;
};

MediaError open_webm_writer(const std::string& path, const WebmTrack& track,
                            std::unique_ptr<WebmWriter>& out);

}  // namespace vc::media
