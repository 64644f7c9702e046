// bench_floor_relay: the least a WebSocket relay can do per packet, as the floor of the peer
// benchmark (bench/peers/peer_bench.py). One epoll thread. It speaks just enough of our wire format
// for the same sink to use it: the upgrade, Hello answered with JoinAccepted, then every media
// envelope from anyone goes to everyone else. Each envelope is framed once into one shared buffer;
// a receiver's queued frames leave with one writev per loop turn (or, with --write-per-frame, one
// send per frame). No rooms, tokens, grants, subscriptions or pacing: that is what makes it a
// floor.
//
// With --notsent-lowat BYTES its sockets get the TCP_NOTSENT_LOWAT that videocall-server sets
// (limits::kTcpNotSentLowatBytes), so that both pay for the same kernel behaviour: a receiver that
// falls behind makes sends short (EAGAIN) instead of filling megabytes of send buffer.
//
//   bench_floor_relay [--port P] [--write-per-frame] [--notsent-lowat BYTES]
//   prints "floor relay listening on P"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/uio.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/limits.hpp"
#include "peer_io.hpp"
#include "protocol/envelope.hpp"

namespace vc::bench {
namespace {

using SharedBytes = std::shared_ptr<const std::vector<uint8_t>>;

constexpr std::size_t kMaxQueuedFrames = 1024;     // per receiver; beyond it frames are dropped
constexpr std::size_t kMaxQueuedBytes = 8u << 20;  // per receiver
constexpr int kMaxIov = 64;

volatile sig_atomic_t g_stop = 0;

struct Peer {
  int fd = -1;
  bool upgraded = false;
  bool joined = false;  // Hello seen: receives media from now on
  bool dirty = false;   // has queued frames and is on the flush list
  bool want_write = false;
  std::string head;
  std::vector<uint8_t> in;
  std::vector<uint8_t> message;  // payload of a fragmented message so far
  std::deque<SharedBytes> out;
  std::size_t out_offset = 0;  // into out.front()
  std::size_t out_bytes = 0;
};

class FloorRelay {
 public:
  FloorRelay(int listen_fd, bool write_per_frame, int notsent_lowat)
      : listen_fd_(listen_fd),
        write_per_frame_(write_per_frame),
        notsent_lowat_(notsent_lowat),
        epoll_(epoll_create1(0)) {
    watch(listen_fd_, EPOLLIN);
    v1::Control accepted;
    accepted.mutable_join_accepted()->set_participant_id(1);
    join_accepted_ = frame_of(encode_control(accepted)->bytes());
  }

  void run() {
    epoll_event events[256];
    while (!g_stop) {
      const int n = epoll_wait(epoll_, events, 256, 200);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listen_fd_) {
          accept_all();
          continue;
        }
        auto it = peers_.find(fd);
        if (it == peers_.end()) continue;
        Peer& peer = *it->second;
        if ((events[i].events & EPOLLOUT) != 0 && peer.want_write) {
          peer.want_write = false;
          set_events(peer.fd, EPOLLIN);
          flush(peer);
        }
        if ((events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) read_from(peer);
      }
      // One write (or one writev) round per receiver per loop turn, after everything read.
      std::vector<int> dirty;
      dirty.swap(dirty_);
      for (int fd : dirty) {
        auto it = peers_.find(fd);
        if (it == peers_.end()) continue;
        it->second->dirty = false;
        flush(*it->second);
      }
      for (int fd : closing_) drop(fd);
      closing_.clear();
    }
    std::fprintf(stderr, "floor relay: forwarded=%llu dropped=%llu\n",
                 static_cast<unsigned long long>(forwarded_),
                 static_cast<unsigned long long>(dropped_));
  }

 private:
  void watch(int fd, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK);
      if (fd < 0) return;
      set_nodelay(fd);
      if (notsent_lowat_ > 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &notsent_lowat_, sizeof notsent_lowat_);
      }
      auto peer = std::make_unique<Peer>();
      peer->fd = fd;
      watch(fd, EPOLLIN);
      peers_.emplace(fd, std::move(peer));
    }
  }

  // One WebSocket binary frame, built once and shared by every receiver's queue.
  static SharedBytes frame_of(std::span<const uint8_t> envelope) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(14 + envelope.size());
    const std::size_t header = encode_ws_header(bytes->data(), kBinary, envelope.size());
    std::memcpy(bytes->data() + header, envelope.data(), envelope.size());
    bytes->resize(header + envelope.size());
    return bytes;
  }

  void read_from(Peer& peer) {
    if (!read_available(peer.fd, peer.in)) closing_.push_back(peer.fd);
    if (!peer.upgraded && !upgrade(peer)) return;
    parse_frames(peer);
  }

  bool upgrade(Peer& peer) {
    peer.head.append(reinterpret_cast<const char*>(peer.in.data()), peer.in.size());
    peer.in.clear();
    const std::size_t end = peer.head.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (peer.head.size() > 16384) closing_.push_back(peer.fd);
      return false;
    }
    const std::string key(
        http_header(std::string_view(peer.head).substr(0, end + 2), "Sec-WebSocket-Key"));
    const std::string response =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: " +
        websocket_accept(key) + "\r\n\r\n";
    write_all(peer.fd, response);  // tiny, into an empty socket buffer
    peer.in.assign(peer.head.begin() + static_cast<std::ptrdiff_t>(end + 4), peer.head.end());
    peer.head.clear();
    peer.upgraded = true;
    return true;
  }

  void parse_frames(Peer& peer) {
    std::size_t at = 0;
    for (;;) {
      const auto view = parse_ws_header({peer.in.data() + at, peer.in.size() - at});
      if (!view || peer.in.size() - at - view->header_bytes < view->payload_bytes) break;
      uint8_t* payload = peer.in.data() + at + view->header_bytes;
      if (view->mask != nullptr) {
        for (uint64_t i = 0; i < view->payload_bytes; ++i) payload[i] ^= view->mask[i % 4];
      }
      if (view->opcode == kClose) {
        closing_.push_back(peer.fd);
        return;
      }
      if (view->opcode == kBinary || view->opcode == kContinuation) {
        if (view->fin && peer.message.empty()) {
          on_message(peer, {payload, static_cast<std::size_t>(view->payload_bytes)});
        } else {
          peer.message.insert(peer.message.end(), payload, payload + view->payload_bytes);
          if (view->fin) {
            on_message(peer, peer.message);
            peer.message.clear();
          }
        }
      }
      at += view->header_bytes + view->payload_bytes;
    }
    peer.in.erase(peer.in.begin(), peer.in.begin() + static_cast<std::ptrdiff_t>(at));
  }

  void on_message(Peer& sender, std::span<const uint8_t> bytes) {
    if (!sender.joined) {
      sender.joined = true;  // the first message is Hello
      enqueue(sender, join_accepted_);
      return;
    }
    if (decode_envelope(bytes, limits::kMaxEnvelopeBytes, decoded_) != EnvelopeError::kNone ||
        decoded_.body != DecodedEnvelope::Body::kMedia) {
      return;  // controls (PublishTrack, ...) mean nothing to the floor
    }
    const SharedBytes frame = frame_of(bytes);
    for (auto& [fd, peer] : peers_) {
      if (peer.get() != &sender && peer->joined) enqueue(*peer, frame);
    }
  }

  void enqueue(Peer& peer, const SharedBytes& frame) {
    if (peer.out.size() >= kMaxQueuedFrames || peer.out_bytes + frame->size() > kMaxQueuedBytes) {
      ++dropped_;
      return;
    }
    peer.out.push_back(frame);
    peer.out_bytes += frame->size();
    ++forwarded_;
    if (!peer.dirty && !peer.want_write) {
      peer.dirty = true;
      dirty_.push_back(peer.fd);
    }
  }

  void flush(Peer& peer) {
    while (!peer.out.empty()) {
      iovec iov[kMaxIov];
      int count = 0;
      std::size_t offset = peer.out_offset;
      for (const auto& frame : peer.out) {
        if (count == (write_per_frame_ ? 1 : kMaxIov)) break;
        iov[count].iov_base = const_cast<uint8_t*>(frame->data() + offset);
        iov[count].iov_len = frame->size() - offset;
        ++count;
        offset = 0;
      }
      msghdr message{};
      message.msg_iov = iov;
      message.msg_iovlen = static_cast<std::size_t>(count);
      ssize_t n = ::sendmsg(peer.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return wait_writable(peer);
        closing_.push_back(peer.fd);
        return;
      }
      auto written = static_cast<std::size_t>(n);
      while (written > 0) {
        const std::size_t left = peer.out.front()->size() - peer.out_offset;
        if (written < left) {
          peer.out_offset += written;
          return wait_writable(peer);
        }
        written -= left;
        peer.out_bytes -= peer.out.front()->size();
        peer.out.pop_front();
        peer.out_offset = 0;
      }
    }
  }

  void wait_writable(Peer& peer) {
    if (peer.want_write) return;
    peer.want_write = true;
    set_events(peer.fd, EPOLLIN | EPOLLOUT);
  }

  void set_events(int fd, uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &event);
  }

  void drop(int fd) {
    auto it = peers_.find(fd);
    if (it == peers_.end()) return;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    peers_.erase(it);
  }

  int listen_fd_;
  bool write_per_frame_;
  int notsent_lowat_;
  int epoll_;
  SharedBytes join_accepted_;
  DecodedEnvelope decoded_;
  std::unordered_map<int, std::unique_ptr<Peer>> peers_;
  std::vector<int> dirty_;
  std::vector<int> closing_;
  uint64_t forwarded_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace
}  // namespace vc::bench

int main(int argc, char** argv) {
  uint16_t port = 0;
  bool write_per_frame = false;
  int notsent_lowat = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = static_cast<uint16_t>(std::atoi(argv[++i]));
    } else if (arg == "--notsent-lowat" && i + 1 < argc) {
      notsent_lowat = std::atoi(argv[++i]);
    } else if (arg == "--write-per-frame") {
      write_per_frame = true;
    } else {
      std::fprintf(
          stderr,
          "usage: bench_floor_relay [--port P] [--write-per-frame] [--notsent-lowat BYTES]\n");
      return 2;
    }
  }
  signal(SIGTERM, [](int) { vc::bench::g_stop = 1; });
  signal(SIGINT, [](int) { vc::bench::g_stop = 1; });
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(fd, 1024) != 0) {
    std::perror("bench_floor_relay: bind/listen");
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  std::printf("floor relay listening on %u\n", ntohs(address.sin_port));
  std::fflush(stdout);
  vc::bench::FloorRelay(fd, write_per_frame, notsent_lowat).run();
  return 0;
}
