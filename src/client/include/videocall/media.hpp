// libvideocall media layer: capture sources, encoders and a WebM writer for the native tools.
// Built only with VC_BUILD_MEDIA. Errors are values (MediaError); nothing here throws.
//
// Video is I420 (planar 4:2:0, even width and height) at the encoder's size. Audio is 48 kHz
// signed 16-bit interleaved, in 20 ms frames (960 samples per channel), which is what Opus wants.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace vc::media {

enum class MediaErrorKind : uint8_t {
  kNone = 0,
  kMissingDevice,      // no such camera / audio device, or it cannot be opened
  kUnsupportedFormat,  // device or file in a format we cannot use
  kBadFile,            // missing, unreadable or malformed file
  kCodec,              // encoder or muxer failure
  kEndOfStream,        // a file source without looping reached its end
  kInvalidFrame,       // the muxer refused one frame's bytes (the file stays usable)
};

struct MediaError {
  MediaErrorKind kind = MediaErrorKind::kNone;
  std::string message;
  explicit operator bool() const { return kind != MediaErrorKind::kNone; }
};

// ---- video ----

struct I420Frame {
  int width = 0;
  int height = 0;
  uint64_t capture_time_us = 0;  // wall clock (Unix epoch), stamped when the frame was captured
  std::vector<uint8_t> data;     // Y plane, then U, then V; tightly packed

  void allocate(int w, int h) {
    width = w;
    height = h;
    data.resize(static_cast<std::size_t>(w) * h + 2 * chroma_size());
  }
  int stride_y() const { return width; }
  int stride_uv() const { return (width + 1) / 2; }
  std::size_t chroma_size() const {
    return static_cast<std::size_t>(stride_uv()) * ((height + 1) / 2);
  }
  uint8_t* y() { return data.data(); }
  uint8_t* u() { return y() + static_cast<std::size_t>(width) * height; }
  uint8_t* v() { return u() + chroma_size(); }
  const uint8_t* y() const { return data.data(); }
  const uint8_t* u() const { return y() + static_cast<std::size_t>(width) * height; }
  const uint8_t* v() const { return u() + chroma_size(); }
};

struct VideoSourceOptions {
  int width = 640;
  int height = 360;
  int fps = 30;
  bool realtime =
      true;          // pace synthetic/file sources to fps (off to pre-encode as fast as possible)
  bool loop = true;  // file sources start over at the end
};

class VideoSource {
 public:
  virtual ~VideoSource() = default;
  // Blocks until the next frame; fills `out` at the source's own size.
  virtual MediaError read(I420Frame& out) = 0;
  virtual int width() const = 0;
  virtual int height() const = 0;
  virtual int fps() const = 0;
  virtual std::string description() const = 0;
};

// Moving colour pattern with a burned-in frame counter and UTC timestamp.
std::unique_ptr<VideoSource> open_test_pattern(const VideoSourceOptions& options);
// YUV4MPEG2 file (4:2:0 only). Size and rate come from the file header.
MediaError open_y4m_file(const std::string& path, const VideoSourceOptions& options,
                         std::unique_ptr<VideoSource>& out);
// V4L2 camera; picks YUYV, NV12 or MJPEG, whichever the camera offers at the requested size.
MediaError open_v4l2_camera(const std::string& device, const VideoSourceOptions& options,
                            std::unique_ptr<VideoSource>& out);

struct CameraFormat {
  std::string fourcc;
  std::string description;
  std::vector<std::pair<int, int>> sizes;  // discrete sizes; empty when stepwise
  std::string stepwise;                    // "WxH..WxH" when the camera takes any size in range
};
struct CameraInfo {
  std::string device;
  std::string name;
  std::string driver;
  std::vector<CameraFormat> formats;
};
std::vector<CameraInfo> list_cameras();

// Scales `in` to `out`'s allocated size (libyuv, bilinear).
void scale_i420(const I420Frame& in, I420Frame& out);

enum class VideoCodec : uint8_t { kVp8, kVp9, kAv1 };
const char* to_string(VideoCodec codec);

struct EncodedFrame {
  std::vector<uint8_t> data;
  bool keyframe = false;
  uint64_t capture_time_us = 0;
  int width = 0;
  int height = 0;
  int spatial_layer = 0;   // the simulcast encoding (SimulcastEncoder), 0 = lowest
  int temporal_layer = 0;  // L1T3: 0, 1 or 2 (VideoEncoderOptions::temporal_layers)
};

// L1T3, the browser's scalabilityMode: a 4-frame pattern T0 T2 T1 T2. A frame of layer t references
// only frames of layers <= t, so a receiver (or the server) can drop T2, or T1 and T2, and still
// decode the rest; keyframes start the pattern.
inline constexpr int kMaxTemporalLayers = 3;

struct VideoEncoderOptions {
  VideoCodec codec = VideoCodec::kVp9;
  int width = 640;
  int height = 360;
  int fps = 30;
  int bitrate_kbps = 800;
  int threads = 2;
  int keyframe_interval_s = 10;  // periodic keyframes bound how long a lost one hurts
  int temporal_layers = 1;       // 1, or kMaxTemporalLayers for L1T3 (VP8 and VP9 only)
};

class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;
  // Appends zero or more encoded frames to `out` (realtime settings: normally exactly one).
  virtual MediaError encode(const I420Frame& frame, bool force_keyframe,
                            std::vector<EncodedFrame>& out) = 0;
};
MediaError create_video_encoder(const VideoEncoderOptions& options,
                                std::unique_ptr<VideoEncoder>& out);

// ---- simulcast ----

// One rung of the camera ladder: the browser's CAMERA_LADDER (web/src/media/simulcast.ts), the
// sizes and rates every publisher offers (docs/PROTOCOL.md §11).
struct SimulcastRung {
  int height;
  int bitrate_kbps;
};
inline constexpr SimulcastRung kCameraLadder[] = {{180, 150}, {360, 500}, {720, 1500}};

struct SimulcastLayer {
  int width = 0;
  int height = 0;
  int bitrate_kbps = 0;
};

// The encodings a source of width x height offers, lowest first: every rung of kCameraLadder the
// source reaches, with the source's aspect ratio (even widths). Rungs above the source are added
// (upscaled) only up to `min_layers`; with no rung reached and min_layers <= 1, one encoding at
// the source's own size and the lowest rung's rate. Empty for a non-positive size.
std::vector<SimulcastLayer> simulcast_layers(int width, int height, int min_layers = 1);

struct SimulcastEncoderOptions {
  VideoCodec codec = VideoCodec::kVp9;
  std::vector<SimulcastLayer> layers;  // lowest first; one entry is a plain single encoding
  int fps = 30;
  int threads = 2;  // per encoder
  int keyframe_interval_s = 10;
  int temporal_layers = 1;  // in every encoding
};

// One encoder per layer, all fed the same frames (scaled to each layer's size), as the browser's
// video sender does. Each encoding has its own keyframes: a request names the layers it is for.
class SimulcastEncoder {
 public:
  static MediaError create(const SimulcastEncoderOptions& options,
                           std::unique_ptr<SimulcastEncoder>& out);
  // Encodes `frame` (any size) on every layer, lowest first, appending to `out` frames that carry
  // their spatial_layer. Bit s of `keyframe_layers` forces a keyframe on layer s.
  MediaError encode(const I420Frame& frame, uint32_t keyframe_layers,
                    std::vector<EncodedFrame>& out);
  const std::vector<SimulcastLayer>& layers() const { return layers_; }

 private:
  std::vector<SimulcastLayer> layers_;
  std::vector<std::unique_ptr<VideoEncoder>> encoders_;
  std::vector<I420Frame> scaled_;  // per layer, reused
};

// ---- audio ----

inline constexpr int kAudioSampleRate = 48000;
inline constexpr int kAudioFrameSamples = 960;  // 20 ms at 48 kHz

struct AudioFrame {
  int channels = 1;
  uint64_t capture_time_us = 0;
  std::vector<int16_t> samples;  // kAudioFrameSamples * channels, interleaved
};

class AudioSource {
 public:
  virtual ~AudioSource() = default;
  // Blocks until the next 20 ms frame.
  virtual MediaError read(AudioFrame& out) = 0;
  virtual int channels() const = 0;
  virtual std::string description() const = 0;
};

std::unique_ptr<AudioSource> open_tone(int frequency_hz, bool realtime);
// RIFF WAVE, 16-bit PCM, 48 kHz, mono or stereo.
MediaError open_wav_file(const std::string& path, bool loop, bool realtime,
                         std::unique_ptr<AudioSource>& out);
MediaError open_alsa_capture(const std::string& device, int channels,
                             std::unique_ptr<AudioSource>& out);

struct AudioDeviceInfo {
  std::string name;  // what --audio-device takes, e.g. "hw:1,0" or "default"
  std::string description;
  bool capture = false;
  bool playback = false;
};
std::vector<AudioDeviceInfo> list_audio_devices();

// RFC 6464 level: -dBov, 0 (loudest) .. 127 (silence).
uint8_t audio_level_dbov(const AudioFrame& frame);

class OpusEncoder {
 public:
  virtual ~OpusEncoder() = default;
  virtual MediaError encode(const AudioFrame& frame, std::vector<uint8_t>& out) = 0;
};
MediaError create_opus_encoder(int channels, int bitrate_bps, std::unique_ptr<OpusEncoder>& out);

// Paces a synthetic source: sleeps until frame `index` is due at `fps` from the first call.
class FramePacer {
 public:
  explicit FramePacer(double frames_per_second) : period_us_(1e6 / frames_per_second) {}
  // Waits (when realtime) and returns the wall-clock capture time for the next frame.
  uint64_t wait_next(bool realtime);

 private:
  double period_us_;
  int64_t start_steady_us_ = -1;
  uint64_t start_wall_us_ = 0;
  uint64_t index_ = 0;
};

uint64_t wall_clock_us();

}  // namespace vc::media
