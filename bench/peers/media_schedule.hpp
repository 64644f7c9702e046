// The media one bench sender publishes (bench_relay_sink): the bot's shape, synthetic payloads.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "peer_io.hpp"
#include "protocol/envelope.hpp"

namespace vc::bench {

inline constexpr uint32_t kVideoTrack = 1;
inline constexpr uint32_t kAudioTrack = 2;
inline constexpr std::size_t kAudioBytes = 100;
inline constexpr int kKeyframeIntervalS = 2;
inline constexpr std::size_t kKeyframeDeltas = 10;  // a keyframe is this many deltas
inline constexpr std::size_t kMaxFrameBytes = 256u << 10;

// One sender's media, the bot's shape: video at `fps` with a keyframe every 2 s, Opus-sized audio
// at 50/s, each frame stamped with its capture time when it is made.
class MediaSchedule {
 public:
  MediaSchedule(int fps, std::size_t delta_bytes, uint64_t start_us)
      : fps_(fps),
        delta_bytes_(delta_bytes),
        next_video_(start_us),
        next_audio_(start_us),
        payload_(std::min(delta_bytes * kKeyframeDeltas, kMaxFrameBytes)) {
    for (std::size_t i = 0; i < payload_.size(); ++i)
      payload_[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  }
  // The delta size that makes video average `kbps` at `fps`.
  static std::size_t delta_for(double kbps, int fps) {
    const double gop = static_cast<double>(fps * kKeyframeIntervalS);
    const double per_frame = kbps * 1000 / 8 / fps;
    return static_cast<std::size_t>(per_frame * gop / (gop - 1 + kKeyframeDeltas));
  }

  uint64_t next_due() const { return std::min(next_video_, next_audio_); }
  uint32_t video_frames() const { return video_sequence_; }
  uint32_t audio_frames() const { return audio_sequence_; }

  // The frame due at next_due().
  FrameRef next() {
    header_.Clear();
    header_.set_capture_time_us(realtime_us());
    std::span<const uint8_t> body;
    if (next_audio_ <= next_video_) {
      header_.set_kind(v1::MEDIA_KIND_AUDIO);
      header_.set_track_id(kAudioTrack);
      header_.set_codec(v1::CODEC_OPUS);
      header_.set_sequence(audio_sequence_++);
      header_.set_audio_level(30);
      body = {payload_.data(), kAudioBytes};
      next_audio_ += 20000;
    } else {
      const bool keyframe = video_sequence_ % static_cast<uint32_t>(fps_ * kKeyframeIntervalS) == 0;
      header_.set_kind(v1::MEDIA_KIND_VIDEO);
      header_.set_track_id(kVideoTrack);
      header_.set_codec(v1::CODEC_VP9);
      header_.set_sequence(video_sequence_++);
      header_.set_keyframe(keyframe);
      header_.set_width(640);
      header_.set_height(360);
      body = {payload_.data(), keyframe ? payload_.size() : delta_bytes_};
      next_video_ += 1000000 / static_cast<uint64_t>(fps_);
    }
    return encode_media(header_, body);
  }

 private:
  int fps_;
  std::size_t delta_bytes_;
  uint64_t next_video_;
  uint64_t next_audio_;
  uint32_t video_sequence_ = 0;
  uint32_t audio_sequence_ = 0;
  std::vector<uint8_t> payload_;
  v1::MediaHeader header_;
};

}  // namespace vc::bench
