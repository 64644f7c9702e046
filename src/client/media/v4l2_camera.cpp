// V4L2 camera capture (mmap streaming) with conversion to I420 by libyuv.
#include <fcntl.h>
#include <libyuv/convert.h>
#include <libyuv/video_common.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "videocall/media.hpp"

namespace vc::media {

namespace {

int xioctl(int fd, unsigned long request, void* arg) {
  int result;
  do {
    result = ioctl(fd, request, arg);
  } while (result == -1 && errno == EINTR);
  return result;
}

std::string fourcc_text(uint32_t fourcc) {
  std::string text(4, ' ');
  for (int i = 0; i < 4; ++i) text[i] = static_cast<char>((fourcc >> (8 * i)) & 0xff);
  return text;
}

// Pixel formats we convert, cheapest first.
constexpr uint32_t kPreferredFormats[] = {V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_MJPEG};

uint32_t libyuv_fourcc(uint32_t v4l2_format) {
  switch (v4l2_format) {
    case V4L2_PIX_FMT_NV12:
      return libyuv::FOURCC_NV12;
    case V4L2_PIX_FMT_YUYV:
      return libyuv::FOURCC_YUY2;
    case V4L2_PIX_FMT_MJPEG:
      return libyuv::FOURCC_MJPG;
    default:
      return 0;
  }
}

class V4l2Camera final : public VideoSource {
 public:
  ~V4l2Camera() override {
    if (fd_ < 0) return;
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    xioctl(fd_, VIDIOC_STREAMOFF, &type);
    for (auto& buffer : buffers_) munmap(buffer.start, buffer.length);
    close(fd_);
  }

  MediaError open(const std::string& device, const VideoSourceOptions& options) {
    device_ = device;
    fd_ = ::open(device.c_str(), O_RDWR | O_NONBLOCK);
    if (fd_ < 0) {
      return {MediaErrorKind::kMissingDevice,
              "cannot open camera " + device + ": " + std::strerror(errno)};
    }
    v4l2_capability caps{};
    if (xioctl(fd_, VIDIOC_QUERYCAP, &caps) < 0) {
      return {MediaErrorKind::kMissingDevice, device + " is not a V4L2 device"};
    }
    const uint32_t device_caps =
        (caps.capabilities & V4L2_CAP_DEVICE_CAPS) ? caps.device_caps : caps.capabilities;
    if (!(device_caps & V4L2_CAP_VIDEO_CAPTURE) || !(device_caps & V4L2_CAP_STREAMING)) {
      return {MediaErrorKind::kUnsupportedFormat, device + " cannot stream video capture"};
    }
    name_ = reinterpret_cast<const char*>(caps.card);

    // Offered formats, then the first we can convert that the driver accepts.
    std::vector<uint32_t> offered;
    v4l2_fmtdesc description{};
    description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    while (xioctl(fd_, VIDIOC_ENUM_FMT, &description) == 0) {
      offered.push_back(description.pixelformat);
      ++description.index;
    }
    std::string offered_text;
    for (uint32_t f : offered) offered_text += (offered_text.empty() ? "" : ", ") + fourcc_text(f);
    bool configured = false;
    for (uint32_t wanted : kPreferredFormats) {
      if (std::find(offered.begin(), offered.end(), wanted) == offered.end()) continue;
      v4l2_format format{};
      format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      format.fmt.pix.width = static_cast<uint32_t>(options.width);
      format.fmt.pix.height = static_cast<uint32_t>(options.height);
      format.fmt.pix.pixelformat = wanted;
      format.fmt.pix.field = V4L2_FIELD_NONE;
      if (xioctl(fd_, VIDIOC_S_FMT, &format) == 0 && format.fmt.pix.pixelformat == wanted) {
        pixel_format_ = wanted;
        width_ = static_cast<int>(format.fmt.pix.width) & ~1;
        height_ = static_cast<int>(format.fmt.pix.height) & ~1;
        configured = true;
        break;
      }
    }
    if (!configured) {
      return {MediaErrorKind::kUnsupportedFormat,
              device + " offers no format we can convert (offers: " + offered_text +
                  "; need NV12, YUYV or MJPG)"};
    }
    v4l2_streamparm parm{};
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    parm.parm.capture.timeperframe = {1, static_cast<uint32_t>(options.fps)};
    if (xioctl(fd_, VIDIOC_S_PARM, &parm) == 0 && parm.parm.capture.timeperframe.numerator > 0) {
      fps_ = static_cast<int>(parm.parm.capture.timeperframe.denominator /
                              parm.parm.capture.timeperframe.numerator);
    } else {
      fps_ = options.fps;
    }

    v4l2_requestbuffers request{};
    request.count = 4;
    request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    request.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &request) < 0 || request.count < 2) {
      return {MediaErrorKind::kUnsupportedFormat, device + " does not support mmap streaming"};
    }
    for (uint32_t i = 0; i < request.count; ++i) {
      v4l2_buffer buffer{};
      buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buffer.memory = V4L2_MEMORY_MMAP;
      buffer.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buffer) < 0)
        return {MediaErrorKind::kMissingDevice, device + ": QUERYBUF failed"};
      void* start =
          mmap(nullptr, buffer.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buffer.m.offset);
      if (start == MAP_FAILED) return {MediaErrorKind::kMissingDevice, device + ": mmap failed"};
      buffers_.push_back({start, buffer.length});
      if (xioctl(fd_, VIDIOC_QBUF, &buffer) < 0)
        return {MediaErrorKind::kMissingDevice, device + ": QBUF failed"};
    }
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) < 0) {
      return {MediaErrorKind::kMissingDevice,
              device + ": cannot start streaming: " + std::strerror(errno)};
    }
    return {};
  }

  MediaError read(I420Frame& out) override {
    pollfd descriptor{fd_, POLLIN, 0};
    const int ready = poll(&descriptor, 1, 2000);
    if (ready <= 0) return {MediaErrorKind::kMissingDevice, device_ + ": no frame within 2 s"};
    v4l2_buffer buffer{};
    buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    buffer.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_DQBUF, &buffer) < 0) {
      return {MediaErrorKind::kMissingDevice, device_ + ": DQBUF failed: " + std::strerror(errno)};
    }
    out.capture_time_us = wall_clock_us();
    out.allocate(width_, height_);
    const auto* sample = static_cast<const uint8_t*>(buffers_[buffer.index].start);
    const int result =
        libyuv::ConvertToI420(sample, buffer.bytesused, out.y(), out.stride_y(), out.u(),
                              out.stride_uv(), out.v(), out.stride_uv(), 0, 0, width_, height_,
                              width_, height_, libyuv::kRotate0, libyuv_fourcc(pixel_format_));
    xioctl(fd_, VIDIOC_QBUF, &buffer);
    if (result != 0) {
      // A corrupt MJPEG frame happens on cheap cameras; skip it rather than stop.
      return read(out);
    }
    return {};
  }

  int width() const override { return width_; }
  int height() const override { return height_; }
  int fps() const override { return fps_; }
  std::string description() const override {
    return "camera " + device_ + " (" + name_ + ", " + fourcc_text(pixel_format_) + " " +
           std::to_string(width_) + "x" + std::to_string(height_) + ")";
  }

 private:
  struct Buffer {
    void* start;
    std::size_t length;
  };
  std::string device_;
  std::string name_;
  int fd_ = -1;
  uint32_t pixel_format_ = 0;
  int width_ = 0;
  int height_ = 0;
  int fps_ = 30;
  std::vector<Buffer> buffers_;
};

}  // namespace

MediaError open_v4l2_camera(const std::string& device, const VideoSourceOptions& options,
                            std::unique_ptr<VideoSource>& out) {
  auto camera = std::make_unique<V4l2Camera>();
  if (MediaError error = camera->open(device, options)) return error;
  out = std::move(camera);
  return {};
}

std::vector<CameraInfo> list_cameras() {
  std::vector<CameraInfo> cameras;
  std::vector<std::string> devices;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/dev", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("video", 0) == 0) devices.push_back(entry.path().string());
  }
  std::sort(devices.begin(), devices.end());
  for (const auto& device : devices) {
    const int fd = ::open(device.c_str(), O_RDWR | O_NONBLOCK);
    if (fd < 0) continue;
    v4l2_capability caps{};
    if (xioctl(fd, VIDIOC_QUERYCAP, &caps) == 0) {
      const uint32_t device_caps =
          (caps.capabilities & V4L2_CAP_DEVICE_CAPS) ? caps.device_caps : caps.capabilities;
      if (device_caps & V4L2_CAP_VIDEO_CAPTURE) {
        CameraInfo info;
        info.device = device;
        info.name = reinterpret_cast<const char*>(caps.card);
        info.driver = reinterpret_cast<const char*>(caps.driver);
        v4l2_fmtdesc description{};
        description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        while (xioctl(fd, VIDIOC_ENUM_FMT, &description) == 0) {
          CameraFormat format;
          format.fourcc = fourcc_text(description.pixelformat);
          format.description = reinterpret_cast<const char*>(description.description);
          v4l2_frmsizeenum size{};
          size.pixel_format = description.pixelformat;
          while (xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0) {
            if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
              format.sizes.emplace_back(size.discrete.width, size.discrete.height);
            } else {
              format.stepwise = std::to_string(size.stepwise.min_width) + "x" +
                                std::to_string(size.stepwise.min_height) + ".." +
                                std::to_string(size.stepwise.max_width) + "x" +
                                std::to_string(size.stepwise.max_height);
              break;
            }
            ++size.index;
          }
          info.formats.push_back(std::move(format));
          ++description.index;
        }
        cameras.push_back(std::move(info));
      }
    }
    close(fd);
  }
  return cameras;
}

}  // namespace vc::media
