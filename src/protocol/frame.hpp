// Frame: one immutable, reference-counted wire buffer shared by every receiver it is queued for.
// A received envelope is re-encoded once (with the server-stamped identity) into a Frame, and each
// receiver's queue holds a FrameRef to it: fan-out never copies bytes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>

namespace vc {

// Send priority lanes, highest first. Control is never dropped; audio goes ahead of video.
enum class Lane : uint8_t { kControl = 0, kAudio = 1, kVideo = 2 };

// Routing facts about a frame, so queues never re-parse the bytes.
struct FrameMeta {
  Lane lane = Lane::kControl;
  bool keyframe = false;
  uint64_t publisher_id = 0;  // 0 for server-originated control
  uint32_t track_id = 0;
  uint32_t media_kind = 0;  // v1::MediaKind
  // Media routing facts for selective forwarding (copied from the MediaHeader).
  uint8_t spatial_layer = 0;
  uint8_t temporal_layer = 0;
  uint8_t audio_level = 127;  // -dBov, 127 = silence
};

class FrameRef;

class Frame {
 public:
  Frame(const Frame&) = delete;
  Frame& operator=(const Frame&) = delete;

  // Allocates a frame of `size` bytes in one block; the caller fills mutable_bytes() once.
  static FrameRef allocate(std::size_t size, const FrameMeta& meta);

  std::span<const uint8_t> bytes() const { return {data(), size_}; }
  std::span<uint8_t> mutable_bytes() { return {data(), size_}; }
  const FrameMeta& meta() const { return meta_; }
  std::size_t size() const { return size_; }

 private:
  friend class FrameRef;
  Frame(std::size_t size, const FrameMeta& meta) : size_(size), meta_(meta) {}
  uint8_t* data() const {
    return reinterpret_cast<uint8_t*>(const_cast<Frame*>(this)) + sizeof(Frame);
  }
  void retain() { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release();

  std::atomic<uint32_t> refs_{1};
  std::size_t size_;
  FrameMeta meta_;
};

// Owning handle to a Frame (like an intrusive shared_ptr).
class FrameRef {
 public:
  FrameRef() = default;
  FrameRef(const FrameRef& other) : frame_(other.frame_) {
    if (frame_) frame_->retain();
  }
  FrameRef(FrameRef&& other) noexcept : frame_(std::exchange(other.frame_, nullptr)) {}
  FrameRef& operator=(FrameRef other) noexcept {
    std::swap(frame_, other.frame_);
    return *this;
  }
  ~FrameRef() {
    if (frame_) frame_->release();
  }

  explicit operator bool() const { return frame_ != nullptr; }
  const Frame* operator->() const { return frame_; }
  const Frame& operator*() const { return *frame_; }
  Frame* mutable_frame() { return frame_; }

 private:
  friend class Frame;
  explicit FrameRef(Frame* adopted) : frame_(adopted) {}
  Frame* frame_ = nullptr;
};

}  // namespace vc
