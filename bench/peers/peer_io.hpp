// Socket and framing helpers shared by the peer benchmark's floor relay and its sink (publisher and
// receivers): plain blocking-free POSIX sockets, WebSocket frame headers (RFC 6455 §5.2), and the
// upgrade handshake. Bench code only: no TLS, no extensions, nothing the benchmark does not need.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vc::bench {

inline uint64_t realtime_us() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

inline void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

inline void set_nodelay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A blocking connect to 127.0.0.1:port (setup only; the data path is non-blocking).
inline int connect_loopback(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  set_nodelay(fd);
  return fd;
}

inline bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Writes all of `wire` to a non-blocking socket, waiting for room when it is full.
bool send_all(int fd, std::string_view wire) {
  while (!wire.empty()) {
    const ssize_t n = ::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL);
    if (n > 0) {
      wire.remove_prefix(static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EAGAIN) {
      pollfd writable{fd, POLLOUT, 0};
      ::poll(&writable, 1, 1000);
    } else {
      return false;
    }
  }
  return true;
}

// Appends everything readable on a non-blocking socket to `in` (through one scratch buffer, so the
// buffer never zero-fills on resize); false once the peer closed or the socket failed.
inline bool read_available(int fd, std::vector<uint8_t>& in) {
  static thread_local std::array<uint8_t, 64u << 10> scratch;
  for (;;) {
    const ssize_t n = ::recv(fd, scratch.data(), scratch.size(), 0);
    if (n > 0) {
      in.insert(in.end(), scratch.data(), scratch.data() + n);
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// Sec-WebSocket-Accept for a client key (RFC 6455 §4.2.2).
inline std::string websocket_accept(std::string_view key) {
  std::string input(key);
  input += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  char encoded[32] = {};
  EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded), digest, SHA_DIGEST_LENGTH);
  return encoded;
}

enum Opcode : uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10
};

// Writes a frame header (FIN set) into out (at least 14 bytes); returns its length. With a mask
// key (client to server) the key follows the length; the caller masks the payload.
inline std::size_t encode_ws_header(uint8_t* out, uint8_t opcode, uint64_t length,
                                    const uint8_t* mask_key = nullptr) {
  std::size_t n = 0;
  out[n++] = static_cast<uint8_t>(0x80 | opcode);
  const uint8_t mask_bit = mask_key != nullptr ? 0x80 : 0;
  if (length < 126) {
    out[n++] = static_cast<uint8_t>(mask_bit | length);
  } else if (length <= 0xffff) {
    out[n++] = static_cast<uint8_t>(mask_bit | 126);
    out[n++] = static_cast<uint8_t>(length >> 8);
    out[n++] = static_cast<uint8_t>(length);
  } else {
    out[n++] = static_cast<uint8_t>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out[n++] = static_cast<uint8_t>(length >> shift);
  }
  if (mask_key != nullptr) {
    std::memcpy(out + n, mask_key, 4);
    n += 4;
  }
  return n;
}

struct WsFrameView {
  uint8_t opcode = 0;
  bool fin = false;
  std::size_t header_bytes = 0;
  uint64_t payload_bytes = 0;
  const uint8_t* mask = nullptr;  // present on client-to-server frames
};

// Parses the header at the start of `bytes`; nullopt until the whole header is there.
inline std::optional<WsFrameView> parse_ws_header(std::span<const uint8_t> bytes) {
  if (bytes.size() < 2) return std::nullopt;
  WsFrameView frame;
  frame.fin = (bytes[0] & 0x80) != 0;
  frame.opcode = bytes[0] & 0x0f;
  const bool masked = (bytes[1] & 0x80) != 0;
  uint64_t length = bytes[1] & 0x7f;
  std::size_t n = 2;
  if (length == 126 || length == 127) {
    const std::size_t extra = length == 126 ? 2 : 8;
    if (bytes.size() < n + extra) return std::nullopt;
    length = 0;
    for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | bytes[n + i];
    n += extra;
  }
  if (masked) {
    if (bytes.size() < n + 4) return std::nullopt;
    frame.mask = bytes.data() + n;
    n += 4;
  }
  frame.header_bytes = n;
  frame.payload_bytes = length;
  return frame;
}

// A value of `name` in an HTTP header block (case-insensitive name), empty if absent.
inline std::string_view http_header(std::string_view head, std::string_view name) {
  std::size_t at = 0;
  while ((at = head.find("\r\n", at)) != std::string_view::npos) {
    at += 2;
    if (head.size() - at < name.size() + 1) break;
    if (strncasecmp(head.data() + at, name.data(), name.size()) == 0 &&
        head[at + name.size()] == ':') {
      std::size_t start = at + name.size() + 1;
      while (start < head.size() && head[start] == ' ') ++start;
      const std::size_t end = head.find("\r\n", start);
      return head.substr(start, end - start);
    }
  }
  return {};
}

}  // namespace vc::bench
