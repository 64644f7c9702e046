// Synthetic and file video sources, scaling and frame pacing.
#include <libyuv/scale.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <thread>

#include "videocall/media.hpp"

namespace vc::media {

uint64_t wall_clock_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

uint64_t FramePacer::wait_next(bool realtime) {
  const auto steady_now = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  if (start_steady_us_ < 0) {
    start_steady_us_ = steady_now();
    start_wall_us_ = wall_clock_us();
  }
  const auto due_offset = static_cast<int64_t>(period_us_ * static_cast<double>(index_++));
  if (realtime) {
    const int64_t wait = start_steady_us_ + due_offset - steady_now();
    if (wait > 0) std::this_thread::sleep_for(std::chrono::microseconds(wait));
    return wall_clock_us();
  }
  return start_wall_us_ + static_cast<uint64_t>(due_offset);
}

void scale_i420(const I420Frame& in, I420Frame& out) {
  libyuv::I420Scale(in.y(), in.stride_y(), in.u(), in.stride_uv(), in.v(), in.stride_uv(), in.width,
                    in.height, out.y(), out.stride_y(), out.u(), out.stride_uv(), out.v(),
                    out.stride_uv(), out.width, out.height, libyuv::kFilterBilinear);
  out.capture_time_us = in.capture_time_us;
}

namespace {

// 3x5 glyphs for the burned-in text, one row per 3 bits (MSB left).
constexpr std::array<std::array<uint8_t, 5>, 13> kGlyphs = {{
    {7, 5, 5, 5, 7},  // 0
    {2, 6, 2, 2, 7},  // 1
    {7, 1, 7, 4, 7},  // 2
    {7, 1, 7, 1, 7},  // 3
    {5, 5, 7, 1, 1},  // 4
    {7, 4, 7, 1, 7},  // 5
    {7, 4, 7, 5, 7},  // 6
    {7, 1, 1, 1, 1},  // 7
    {7, 5, 7, 5, 7},  // 8
    {7, 5, 7, 1, 7},  // 9
    {0, 2, 0, 2, 0},  // :
    {0, 0, 0, 0, 2},  // .
    {0, 0, 0, 0, 0},  // space
}};

int glyph_index(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c == ':') return 10;
  if (c == '.') return 11;
  return 12;
}

class TestPattern final : public VideoSource {
 public:
  explicit TestPattern(const VideoSourceOptions& options)
      : options_(options), pacer_(options.fps) {}

  MediaError read(I420Frame& out) override {
    out.capture_time_us = pacer_.wait_next(options_.realtime);
    out.allocate(options_.width, options_.height);
    draw(out);
    ++frame_index_;
    return {};
  }
  int width() const override { return options_.width; }
  int height() const override { return options_.height; }
  int fps() const override { return options_.fps; }
  std::string description() const override { return "test pattern"; }

 private:
  void draw(I420Frame& out) const {
    const int w = out.width;
    const int h = out.height;
    const int shift = static_cast<int>(frame_index_ * 4);
    // Diagonal luma gradient that scrolls, and slowly rotating chroma.
    for (int row = 0; row < h; ++row) {
      uint8_t* line = out.y() + static_cast<std::size_t>(row) * w;
      for (int col = 0; col < w; ++col)
        line[col] = static_cast<uint8_t>(16 + ((col + row + shift) & 0x7f) * 1.7);
    }
    const double angle = static_cast<double>(frame_index_) * 0.05;
    const auto cb = static_cast<uint8_t>(128 + 60 * std::cos(angle));
    const auto cr = static_cast<uint8_t>(128 + 60 * std::sin(angle));
    std::fill(out.u(), out.u() + out.chroma_size(), cb);
    std::fill(out.v(), out.v() + out.chroma_size(), cr);
    // A white box bouncing horizontally.
    const int box = std::max(8, h / 6);
    const int span = std::max(1, w - box);
    int x = static_cast<int>((frame_index_ * 6) % (2 * span));
    if (x >= span) x = 2 * span - x;
    fill_luma(out, x, h / 2 - box / 2, box, box, 235);

    // Burned-in frame counter and UTC time of day (to the millisecond).
    char text[64];
    const auto seconds = static_cast<std::time_t>(out.capture_time_us / 1000000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::snprintf(text, sizeof(text), "%06llu %02d:%02d:%02d.%03u",
                  static_cast<unsigned long long>(frame_index_), utc.tm_hour, utc.tm_min,
                  utc.tm_sec, static_cast<unsigned>((out.capture_time_us / 1000) % 1000));
    const int scale = std::max(1, h / 90);
    fill_luma(out, 4, 4, static_cast<int>(std::strlen(text)) * 4 * scale + 4 * scale, 7 * scale,
              16);
    draw_text(out, text, 4 + 2 * scale, 4 + scale, scale);
  }

  static void fill_luma(I420Frame& out, int x, int y, int w, int h, uint8_t value) {
    for (int row = std::max(0, y); row < std::min(out.height, y + h); ++row) {
      for (int col = std::max(0, x); col < std::min(out.width, x + w); ++col) {
        out.y()[static_cast<std::size_t>(row) * out.width + col] = value;
      }
    }
  }

  static void draw_text(I420Frame& out, const char* text, int x, int y, int scale) {
    for (int i = 0; text[i] != '\0'; ++i) {
      const auto& glyph = kGlyphs[glyph_index(text[i])];
      for (int row = 0; row < 5; ++row) {
        for (int col = 0; col < 3; ++col) {
          if (glyph[row] & (4 >> col)) {
            fill_luma(out, x + (i * 4 + col) * scale, y + row * scale, scale, scale, 235);
          }
        }
      }
    }
  }

  VideoSourceOptions options_;
  FramePacer pacer_;
  uint64_t frame_index_ = 0;
};

class Y4mFile final : public VideoSource {
 public:
  MediaError open(const std::string& path, const VideoSourceOptions& options) {
    path_ = path;
    options_ = options;
    file_.open(path, std::ios::binary);
    if (!file_) return {MediaErrorKind::kBadFile, "cannot open video file " + path};
    std::string header;
    if (!std::getline(file_, header) || header.rfind("YUV4MPEG2 ", 0) != 0) {
      return {MediaErrorKind::kBadFile, path + " is not a YUV4MPEG2 (.y4m) file"};
    }
    int fps_num = 0;
    int fps_den = 1;
    std::string colorspace = "420";
    std::size_t pos = 10;
    while (pos < header.size()) {
      const std::size_t end = std::min(header.find(' ', pos), header.size());
      const std::string token = header.substr(pos, end - pos);
      pos = end + 1;
      if (token.empty()) continue;
      switch (token[0]) {
        case 'W':
          width_ = std::atoi(token.c_str() + 1);
          break;
        case 'H':
          height_ = std::atoi(token.c_str() + 1);
          break;
        case 'F':
          std::sscanf(token.c_str() + 1, "%d:%d", &fps_num, &fps_den);
          break;
        case 'C':
          colorspace = token.substr(1);
          break;
        default:
          break;
      }
    }
    if (width_ <= 0 || height_ <= 0 || width_ > 8192 || height_ > 8192) {
      return {MediaErrorKind::kBadFile, path + ": missing or invalid frame size in Y4M header"};
    }
    if (colorspace.rfind("420", 0) != 0 || colorspace.find("p1") != std::string::npos) {
      return {MediaErrorKind::kUnsupportedFormat,
              path + ": colour space C" + colorspace + " is not supported (need 8-bit 4:2:0)"};
    }
    fps_ = (fps_num > 0 && fps_den > 0) ? std::max(1, fps_num / fps_den) : options.fps;
    pacer_ = FramePacer(fps_);
    data_start_ = file_.tellg();
    return {};
  }

  MediaError read(I420Frame& out) override {
    std::string marker;
    if (!std::getline(file_, marker)) {
      if (!options_.loop || frames_ == 0) {
        return {frames_ == 0 ? MediaErrorKind::kBadFile : MediaErrorKind::kEndOfStream,
                path_ + (frames_ == 0 ? ": no frames" : ": end of file")};
      }
      file_.clear();
      file_.seekg(data_start_);
      if (!std::getline(file_, marker)) return {MediaErrorKind::kBadFile, path_ + ": read error"};
    }
    if (marker.rfind("FRAME", 0) != 0)
      return {MediaErrorKind::kBadFile, path_ + ": corrupt frame header"};
    out.allocate(width_, height_);
    if (!file_.read(reinterpret_cast<char*>(out.data.data()),
                    static_cast<std::streamsize>(out.data.size()))) {
      if (frames_ > 0 && options_.loop) {
        // A truncated last frame: start over.
        file_.clear();
        file_.seekg(data_start_);
        return read(out);
      }
      return {MediaErrorKind::kBadFile, path_ + ": truncated frame"};
    }
    out.capture_time_us = pacer_.wait_next(options_.realtime);
    ++frames_;
    return {};
  }
  int width() const override { return width_; }
  int height() const override { return height_; }
  int fps() const override { return fps_; }
  std::string description() const override { return "y4m file " + path_; }

 private:
  std::string path_;
  VideoSourceOptions options_;
  std::ifstream file_;
  std::streampos data_start_;
  int width_ = 0;
  int height_ = 0;
  int fps_ = 30;
  FramePacer pacer_{30};
  uint64_t frames_ = 0;
};

}  // namespace

std::unique_ptr<VideoSource> open_test_pattern(const VideoSourceOptions& options) {
  return std::make_unique<TestPattern>(options);
}

MediaError open_y4m_file(const std::string& path, const VideoSourceOptions& options,
                         std::unique_ptr<VideoSource>& out) {
  auto file = std::make_unique<Y4mFile>();
  if (MediaError error = file->open(path, options)) return error;
  out = std::move(file);
  return {};
}

const char* to_string(VideoCodec codec) {
  switch (codec) {
    case VideoCodec::kVp8:
      return "vp8";
    case VideoCodec::kVp9:
      return "vp9";
    case VideoCodec::kAv1:
      return "av1";
  }
  return "?";
}

}  // namespace vc::media
