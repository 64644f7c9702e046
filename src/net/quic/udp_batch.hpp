// Batched UDP I/O on a non-blocking socket: recvmmsg for input, sendmmsg for output with UDP GSO
// (UDP_SEGMENT) where the kernel supports it, so a burst of same-sized packets to one peer is one
// message. Buffers are allocated once; nothing here allocates per packet. A full socket buffer
// (EAGAIN) blocks the batch instead of dropping packets: the owner waits for writability and
// flushes again, and meanwhile the batch takes no new packets, so data waits in the connections
// (where QUIC keeps it until acknowledged) rather than being lost and resent as if the network
// had dropped it.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/limits.hpp"
#include "net/quic/quic_connection.hpp"

struct mmsghdr;

namespace vc::quic {

class ReceiveBatch {
 public:
  static constexpr std::size_t kDatagrams = limits::kUdpReceiveBatchDatagrams;
  static constexpr std::size_t kDatagramBytes = limits::kUdpDatagramBytes;

  ReceiveBatch();
  ~ReceiveBatch();
  // Reads up to kDatagrams datagrams; returns how many (0 when none are waiting, -errno on error).
  int receive(int fd);
  ByteView data(std::size_t index) const;
  const SocketAddress& remote(std::size_t index) const { return remotes_[index]; }

 private:
  std::vector<uint8_t> buffers_;
  std::array<SocketAddress, kDatagrams> remotes_;
  std::array<std::size_t, kDatagrams> sizes_{};
  struct Headers;
  Headers* headers_;
};

class SendBatch final : public PacketSink {
 public:
  static constexpr std::size_t kBufferBytes = limits::kUdpSendBatchBytes;
  static constexpr std::size_t kMaxMessages = limits::kUdpSendBatchMessages;
  static constexpr std::size_t kMaxSegments = limits::kUdpGsoMaxSegments;

  explicit SendBatch(bool use_gso);
  void set_gso(bool use_gso) { use_gso_ = use_gso; }
  // sendmmsg(2) by default; tests put a fake socket buffer in its place.
  using SendMessages = std::function<int(int fd, mmsghdr* messages, unsigned count)>;
  void set_send_function(SendMessages send) { send_ = std::move(send); }

  // Nothing while blocked: the caller's packets wait where they are.
  std::span<uint8_t> reserve(std::size_t max_packet_bytes) override;
  void commit(const SocketAddress& remote, std::size_t size) override;
  bool nearly_full() const;
  // Sends what is batched, in order. Stops at EAGAIN and keeps the rest (blocked() is then true
  // until the next flush); returns the number of packets the kernel refused for other reasons
  // (dropped: QUIC loss recovery resends what mattered).
  std::size_t flush(int fd);
  bool blocked() const { return blocked_; }
  bool empty() const { return message_count_ == 0; }
  uint64_t packets_sent() const { return packets_sent_; }
  uint64_t bytes_sent() const { return bytes_sent_; }  // UDP payload bytes
  uint64_t syscalls() const { return syscalls_; }
  uint64_t blocked_count() const { return blocked_count_; }  // flushes that stopped at EAGAIN

 private:
  void keep_unsent(std::size_t first_unsent);
  struct Message {
    std::size_t offset = 0;
    std::size_t length = 0;
    std::size_t segment_size = 0;
    std::size_t segments = 0;
    bool train_closed = false;  // a short packet ended this GSO train
    SocketAddress remote;
  };
  bool use_gso_;
  bool blocked_ = false;
  SendMessages send_;
  // Left uninitialised: pages a sender never fills (a client that mostly acknowledges) cost no
  // memory.
  std::unique_ptr<uint8_t[]> buffer_;
  std::size_t used_ = 0;
  std::array<Message, kMaxMessages> messages_;
  std::size_t message_count_ = 0;
  uint64_t packets_sent_ = 0;
  uint64_t bytes_sent_ = 0;
  uint64_t syscalls_ = 0;
  uint64_t blocked_count_ = 0;
};

// Whether the kernel accepts UDP_SEGMENT on this socket.
bool probe_gso(int fd);

}  // namespace vc::quic
