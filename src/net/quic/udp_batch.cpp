#include "net/quic/udp_batch.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

namespace vc::quic {

struct ReceiveBatch::Headers {
  mmsghdr messages[kDatagrams];
  iovec vectors[kDatagrams];
};

ReceiveBatch::ReceiveBatch() : buffers_(kDatagrams * kDatagramBytes), headers_(new Headers{}) {}

ReceiveBatch::~ReceiveBatch() {
  delete headers_;
}

int ReceiveBatch::receive(int fd) {
  for (std::size_t i = 0; i < kDatagrams; ++i) {
    headers_->vectors[i] = {buffers_.data() + i * kDatagramBytes, kDatagramBytes};
    msghdr& header = headers_->messages[i].msg_hdr;
    header = {};
    header.msg_name = &remotes_[i].storage;
    header.msg_namelen = sizeof(remotes_[i].storage);
    header.msg_iov = &headers_->vectors[i];
    header.msg_iovlen = 1;
  }
  const int count = ::recvmmsg(fd, headers_->messages, kDatagrams, MSG_DONTWAIT, nullptr);
  if (count < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -errno;
  for (int i = 0; i < count; ++i) {
    const msghdr& header = headers_->messages[i].msg_hdr;
    remotes_[i].size = header.msg_namelen;
    // A truncated datagram (bigger than any packet we accept) is dropped by giving it size 0.
    sizes_[i] = (header.msg_flags & MSG_TRUNC) ? 0 : headers_->messages[i].msg_len;
  }
  return count;
}

ByteView ReceiveBatch::data(std::size_t index) const {
  return {buffers_.data() + index * kDatagramBytes, sizes_[index]};
}

bool probe_gso(int fd) {
  int segment = 1200;
  if (::setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &segment, sizeof(segment)) != 0) return false;
  segment = 0;  // back to "no segmentation" as the socket default
  ::setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &segment, sizeof(segment));
  return true;
}

SendBatch::SendBatch(bool use_gso) : use_gso_(use_gso), buffer_(new uint8_t[kBufferBytes]) {}

std::span<uint8_t> SendBatch::reserve(std::size_t max_packet_bytes) {
  if (blocked_) return {};
  if (used_ + max_packet_bytes > kBufferBytes || message_count_ == kMaxMessages) return {};
  return {buffer_.get() + used_, max_packet_bytes};
}

bool SendBatch::nearly_full() const {
  return used_ + 2048 > kBufferBytes || message_count_ + 1 >= kMaxMessages;
}

void SendBatch::commit(const SocketAddress& remote, std::size_t size) {
  if (size == 0) return;
  if (message_count_ > 0 && use_gso_) {
    Message& last = messages_[message_count_ - 1];
    // Extend the GSO train: contiguous, same peer, every segment full-size except the last.
    if (!last.train_closed && last.offset + last.length == used_ && last.segments < kMaxSegments &&
        size <= last.segment_size && last.remote == remote) {
      last.length += size;
      ++last.segments;
      if (size < last.segment_size) last.train_closed = true;
      used_ += size;
      return;
    }
  }
  Message& message = messages_[message_count_++];
  message.offset = used_;
  message.length = size;
  message.segment_size = size;
  message.segments = 1;
  message.train_closed = false;
  message.remote = remote;
  used_ += size;
}

std::size_t SendBatch::flush(int fd) {
  blocked_ = false;
  std::size_t refused = 0;
  mmsghdr headers[kMaxMessages];
  iovec vectors[kMaxMessages];
  alignas(cmsghdr) char control[kMaxMessages][CMSG_SPACE(sizeof(uint16_t))];
  for (std::size_t i = 0; i < message_count_; ++i) {
    Message& message = messages_[i];
    vectors[i] = {buffer_.get() + message.offset, message.length};
    msghdr& header = headers[i].msg_hdr;
    header = {};
    header.msg_name = &message.remote.storage;
    header.msg_namelen = message.remote.size;
    header.msg_iov = &vectors[i];
    header.msg_iovlen = 1;
    if (message.segments > 1) {
      header.msg_control = control[i];
      header.msg_controllen = sizeof(control[i]);
      cmsghdr* cmsg = CMSG_FIRSTHDR(&header);
      cmsg->cmsg_level = IPPROTO_UDP;
      cmsg->cmsg_type = UDP_SEGMENT;
      cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      const auto segment = static_cast<uint16_t>(message.segment_size);
      std::memcpy(CMSG_DATA(cmsg), &segment, sizeof(segment));
    }
  }
  std::size_t sent = 0;
  while (sent < message_count_) {
    const auto remaining = static_cast<unsigned>(message_count_ - sent);
    const int count = send_ ? send_(fd, headers + sent, remaining)
                            : ::sendmmsg(fd, headers + sent, remaining, MSG_DONTWAIT);
    ++syscalls_;
    if (count < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        // The socket buffer is full: keep the rest, in order, for when it drains.
        keep_unsent(sent);
        blocked_ = true;
        ++blocked_count_;
        return refused;
      }
      // An error for this destination: drop one message and go on; QUIC's loss recovery
      // resends what mattered.
      if (errno == EIO && messages_[sent].segments > 1) use_gso_ = false;  // no offload here
      refused += messages_[sent].segments;
      ++sent;
      continue;
    }
    for (int i = 0; i < count; ++i) {
      packets_sent_ += messages_[sent + i].segments;
      bytes_sent_ += messages_[sent + i].length;
    }
    sent += static_cast<std::size_t>(count);
  }
  message_count_ = 0;
  used_ = 0;
  return refused;
}

void SendBatch::keep_unsent(std::size_t first_unsent) {
  if (first_unsent == 0) return;
  const std::size_t from = messages_[first_unsent].offset;
  std::memmove(buffer_.get(), buffer_.get() + from, used_ - from);
  used_ -= from;
  for (std::size_t i = first_unsent; i < message_count_; ++i) {
    Message& message = messages_[i - first_unsent];
    message = messages_[i];
    message.offset -= from;
  }
  message_count_ -= first_unsent;
}

}  // namespace vc::quic
