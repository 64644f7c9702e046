// Audio sources (tone, WAV file, ALSA capture), level metering and the Opus encoder.
#include <alsa/asoundlib.h>
#include <opus/opus.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "videocall/media.hpp"

namespace vc::media {

uint8_t audio_level_dbov(const AudioFrame& frame) {
  if (frame.samples.empty()) return 127;
  double sum = 0;
  for (const int16_t sample : frame.samples) sum += static_cast<double>(sample) * sample;
  const double rms = std::sqrt(sum / static_cast<double>(frame.samples.size())) / 32768.0;
  if (rms <= 0) return 127;
  const double dbov = -20.0 * std::log10(rms);
  return static_cast<uint8_t>(std::clamp(dbov, 0.0, 127.0));
}

namespace {

class Tone final : public AudioSource {
 public:
  Tone(int frequency_hz, bool realtime)
      : frequency_hz_(frequency_hz), realtime_(realtime), pacer_(50.0) {}

  MediaError read(AudioFrame& out) override {
    out.capture_time_us = pacer_.wait_next(realtime_);
    out.channels = 1;
    out.samples.resize(kAudioFrameSamples);
    const double step = 2.0 * M_PI * frequency_hz_ / kAudioSampleRate;
    for (auto& sample : out.samples) {
      sample = static_cast<int16_t>(8000.0 * std::sin(phase_));
      phase_ += step;
    }
    phase_ = std::fmod(phase_, 2.0 * M_PI);
    return {};
  }
  int channels() const override { return 1; }
  std::string description() const override { return std::to_string(frequency_hz_) + " Hz tone"; }

 private:
  int frequency_hz_;
  bool realtime_;
  FramePacer pacer_;  // 50 frames per second
  double phase_ = 0;
};

uint32_t read_le32(const char* p) {
  return static_cast<uint32_t>(static_cast<uint8_t>(p[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(p[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(p[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(p[3])) << 24;
}
uint16_t read_le16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8);
}

class WavFile final : public AudioSource {
 public:
  WavFile(bool loop, bool realtime) : loop_(loop), realtime_(realtime), pacer_(50.0) {}

  MediaError open(const std::string& path) {
    path_ = path;
    file_.open(path, std::ios::binary);
    if (!file_) return {MediaErrorKind::kBadFile, "cannot open audio file " + path};
    char riff[12];
    if (!file_.read(riff, 12) || std::memcmp(riff, "RIFF", 4) != 0 ||
        std::memcmp(riff + 8, "WAVE", 4) != 0) {
      return {MediaErrorKind::kBadFile, path + " is not a RIFF WAVE file"};
    }
    bool have_format = false;
    for (;;) {
      char chunk[8];
      if (!file_.read(chunk, 8)) return {MediaErrorKind::kBadFile, path + ": no data chunk"};
      const uint32_t size = read_le32(chunk + 4);
      if (std::memcmp(chunk, "fmt ", 4) == 0) {
        if (size < 16 || size > 256) return {MediaErrorKind::kBadFile, path + ": bad fmt chunk"};
        char format[256];
        if (!file_.read(format, size + (size & 1)))
          return {MediaErrorKind::kBadFile, path + ": truncated fmt chunk"};
        const uint16_t tag = read_le16(format);
        channels_ = read_le16(format + 2);
        const uint32_t rate = read_le32(format + 4);
        const uint16_t bits = read_le16(format + 14);
        if ((tag != 1 && tag != 0xFFFE) || bits != 16 || rate != kAudioSampleRate ||
            channels_ < 1 || channels_ > 2) {
          return {MediaErrorKind::kUnsupportedFormat,
                  path + ": need 16-bit PCM, 48000 Hz, mono or stereo (file has " +
                      std::to_string(bits) + "-bit, " + std::to_string(rate) + " Hz, " +
                      std::to_string(channels_) + " channels)"};
        }
        have_format = true;
      } else if (std::memcmp(chunk, "data", 4) == 0) {
        if (!have_format) return {MediaErrorKind::kBadFile, path + ": data before fmt"};
        data_start_ = file_.tellg();
        data_bytes_ = size;
        break;
      } else {
        file_.seekg(size + (size & 1), std::ios::cur);
      }
    }
    if (data_bytes_ < static_cast<uint32_t>(kAudioFrameSamples * channels_ * 2)) {
      return {MediaErrorKind::kBadFile, path + ": shorter than one 20 ms frame"};
    }
    return {};
  }

  MediaError read(AudioFrame& out) override {
    const std::size_t frame_bytes = static_cast<std::size_t>(kAudioFrameSamples) * channels_ * 2;
    if (position_ + frame_bytes > data_bytes_) {
      if (!loop_) return {MediaErrorKind::kEndOfStream, path_ + ": end of file"};
      file_.clear();
      file_.seekg(data_start_);
      position_ = 0;
    }
    out.channels = channels_;
    out.samples.resize(static_cast<std::size_t>(kAudioFrameSamples) * channels_);
    // WAV is little-endian, as are the machines we build for.
    if (!file_.read(reinterpret_cast<char*>(out.samples.data()),
                    static_cast<std::streamsize>(frame_bytes))) {
      return {MediaErrorKind::kBadFile, path_ + ": read error"};
    }
    position_ += frame_bytes;
    out.capture_time_us = pacer_.wait_next(realtime_);
    return {};
  }
  int channels() const override { return channels_; }
  std::string description() const override { return "wav file " + path_; }

 private:
  std::string path_;
  bool loop_;
  bool realtime_;
  FramePacer pacer_;
  std::ifstream file_;
  std::streampos data_start_;
  uint32_t data_bytes_ = 0;
  std::size_t position_ = 0;
  int channels_ = 1;
};

class AlsaCapture final : public AudioSource {
 public:
  ~AlsaCapture() override {
    if (pcm_) snd_pcm_close(pcm_);
  }
  MediaError open(const std::string& device, int channels) {
    device_ = device;
    channels_ = channels;
    int rc = snd_pcm_open(&pcm_, device.c_str(), SND_PCM_STREAM_CAPTURE, 0);
    if (rc < 0) {
      pcm_ = nullptr;
      return {MediaErrorKind::kMissingDevice,
              "cannot open audio device " + device + ": " + snd_strerror(rc)};
    }
    rc = snd_pcm_set_params(pcm_, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED,
                            static_cast<unsigned>(channels), kAudioSampleRate, /*soft_resample=*/1,
                            /*latency_us=*/60000);
    if (rc < 0) {
      return {MediaErrorKind::kUnsupportedFormat,
              "audio device " + device + " cannot capture 48 kHz S16: " + snd_strerror(rc)};
    }
    return {};
  }
  MediaError read(AudioFrame& out) override {
    out.channels = channels_;
    out.samples.resize(static_cast<std::size_t>(kAudioFrameSamples) * channels_);
    snd_pcm_uframes_t done = 0;
    while (done < kAudioFrameSamples) {
      const snd_pcm_sframes_t got =
          snd_pcm_readi(pcm_, out.samples.data() + done * channels_, kAudioFrameSamples - done);
      if (got < 0) {
        if (snd_pcm_recover(pcm_, static_cast<int>(got), 1) < 0) {
          return {MediaErrorKind::kMissingDevice,
                  "audio capture failed: " + std::string(snd_strerror(static_cast<int>(got)))};
        }
        continue;
      }
      done += static_cast<snd_pcm_uframes_t>(got);
    }
    out.capture_time_us = wall_clock_us() - 20000;  // the first sample is 20 ms old
    return {};
  }
  int channels() const override { return channels_; }
  std::string description() const override { return "ALSA device " + device_; }

 private:
  std::string device_;
  int channels_ = 1;
  snd_pcm_t* pcm_ = nullptr;
};

class OpusEncoderImpl final : public OpusEncoder {
 public:
  ~OpusEncoderImpl() override {
    if (encoder_) opus_encoder_destroy(encoder_);
  }
  MediaError init(int channels, int bitrate_bps) {
    int error = 0;
    encoder_ = opus_encoder_create(kAudioSampleRate, channels, OPUS_APPLICATION_VOIP, &error);
    if (error != OPUS_OK)
      return {MediaErrorKind::kCodec, std::string("opus: ") + opus_strerror(error)};
    opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(bitrate_bps));
    opus_encoder_ctl(encoder_, OPUS_SET_COMPLEXITY(5));  // cheap enough for a Raspberry Pi
    channels_ = channels;
    return {};
  }
  MediaError encode(const AudioFrame& frame, std::vector<uint8_t>& out) override {
    if (frame.channels != channels_ ||
        frame.samples.size() != static_cast<std::size_t>(kAudioFrameSamples * channels_)) {
      return {MediaErrorKind::kCodec, "opus: frame does not match the encoder"};
    }
    out.resize(1500);
    const opus_int32 bytes = opus_encode(encoder_, frame.samples.data(), kAudioFrameSamples,
                                         out.data(), static_cast<opus_int32>(out.size()));
    if (bytes < 0)
      return {MediaErrorKind::kCodec, std::string("opus encode: ") + opus_strerror(bytes)};
    out.resize(static_cast<std::size_t>(bytes));
    return {};
  }

 private:
  ::OpusEncoder* encoder_ = nullptr;
  int channels_ = 1;
};

}  // namespace

std::unique_ptr<AudioSource> open_tone(int frequency_hz, bool realtime) {
  return std::make_unique<Tone>(frequency_hz, realtime);
}

MediaError open_wav_file(const std::string& path, bool loop, bool realtime,
                         std::unique_ptr<AudioSource>& out) {
  auto file = std::make_unique<WavFile>(loop, realtime);
  if (MediaError error = file->open(path)) return error;
  out = std::move(file);
  return {};
}

MediaError open_alsa_capture(const std::string& device, int channels,
                             std::unique_ptr<AudioSource>& out) {
  auto capture = std::make_unique<AlsaCapture>();
  if (MediaError error = capture->open(device, channels)) return error;
  out = std::move(capture);
  return {};
}

std::vector<AudioDeviceInfo> list_audio_devices() {
  std::vector<AudioDeviceInfo> devices;
  void** hints = nullptr;
  if (snd_device_name_hint(-1, "pcm", &hints) < 0) return devices;
  for (void** hint = hints; *hint != nullptr; ++hint) {
    char* name = snd_device_name_get_hint(*hint, "NAME");
    char* description = snd_device_name_get_hint(*hint, "DESC");
    char* direction = snd_device_name_get_hint(*hint, "IOID");  // null means both
    if (name != nullptr && std::strcmp(name, "null") != 0) {
      AudioDeviceInfo info;
      info.name = name;
      if (description != nullptr) {
        info.description = description;
        std::replace(info.description.begin(), info.description.end(), '\n', ' ');
      }
      info.capture = direction == nullptr || std::strcmp(direction, "Input") == 0;
      info.playback = direction == nullptr || std::strcmp(direction, "Output") == 0;
      devices.push_back(std::move(info));
    }
    free(name);
    free(description);
    free(direction);
  }
  snd_device_name_free_hint(hints);
  return devices;
}

MediaError create_opus_encoder(int channels, int bitrate_bps, std::unique_ptr<OpusEncoder>& out) {
  auto encoder = std::make_unique<OpusEncoderImpl>();
  if (MediaError error = encoder->init(channels, bitrate_bps)) return error;
  out = std::move(encoder);
  return {};
}

}  // namespace vc::media
