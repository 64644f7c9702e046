#include "protocol/frame.hpp"

#include <new>

namespace vc {

FrameRef Frame::allocate(std::size_t size, const FrameMeta& meta) {
  void* block = ::operator new(sizeof(Frame) + size);
  return FrameRef(new (block) Frame(size, meta));
}

void Frame::release() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    this->~Frame();
    ::operator delete(this);
  }
}

}  // namespace vc
