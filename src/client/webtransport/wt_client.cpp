#include "webtransport/wt_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/limits.hpp"

namespace vc::wt {

namespace {

// Sends each packet straight away (no batching: this client is for tests and small tools).
class DirectSink final : public quic::PacketSink {
 public:
  explicit DirectSink(int fd) : fd_(fd) {}
  std::span<uint8_t> reserve(std::size_t) override { return buffer_; }
  void commit(const quic::SocketAddress&, std::size_t size) override {
    (void)::send(fd_, buffer_, size, MSG_DONTWAIT);
  }

 private:
  int fd_;
  uint8_t buffer_[1500];
};

}  // namespace

WebTransportClient::WebTransportClient(ClientOptions options) : options_(std::move(options)) {}

WebTransportClient::~WebTransportClient() {
  connection_.reset();
  if (fd_ >= 0) ::close(fd_);
}

bool WebTransportClient::start() {
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(options_.port);
  if (inet_pton(AF_INET, options_.host.c_str(), &server.sin_addr) != 1) return false;
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return false;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&server), sizeof(server)) != 0) return false;
  quic::SocketAddress local;
  quic::SocketAddress remote;
  std::memcpy(&remote.storage, &server, sizeof(server));
  remote.size = sizeof(server);
  local.size = sizeof(local.storage);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local.storage), &local.size);

  ConnectionOptions connection;
  connection.authority = options_.host + ":" + std::to_string(options_.port);
  connection.path = options_.path;
  connection.origin = options_.origin;
  connection.certificate_sha256 = options_.certificate_sha256;
  connection.withhold_stream_credit = options_.withhold_stream_credit;
  connection_ =
      WebTransportConnection::connect(std::move(connection), local, remote, quic::monotonic_now());
  if (!connection_) return false;
  connection_->on_envelope([this](ByteView envelope, bool datagram) {
    if (handler_ &&
        decode_envelope(envelope, limits::kMaxEnvelopeBytes, decoded_) == EnvelopeError::kNone) {
      handler_(decoded_, datagram);
    }
  });
  flush();
  return true;
}

void WebTransportClient::flush() {
  DirectSink sink(fd_);
  connection_->write_packets(sink, quic::monotonic_now());
}

void WebTransportClient::poll(std::chrono::milliseconds budget,
                              const std::function<bool()>& until) {
  if (!connection_) return;
  const auto deadline = std::chrono::steady_clock::now() + budget;
  uint8_t buffer[2048];
  while (true) {
    flush();
    if (until && until()) return;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    if (connection_->closed_for_good(quic::monotonic_now())) return;
    // Wait for input or the next QUIC timer, whichever is first.
    const quic::Timestamp timer = connection_->next_timer();
    const quic::Timestamp now_ns = quic::monotonic_now();
    int wait_ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
    if (timer != UINT64_MAX) {
      const int timer_ms = timer <= now_ns ? 0 : static_cast<int>((timer - now_ns) / 1'000'000) + 1;
      wait_ms = std::min(wait_ms, timer_ms);
    }
    pollfd descriptor{fd_, POLLIN, 0};
    ::poll(&descriptor, 1, std::max(wait_ms, 0));
    for (int i = 0; i < 64; ++i) {
      const ssize_t size = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
      if (size <= 0) break;
      connection_->receive_packet({buffer, static_cast<std::size_t>(size)}, quic::monotonic_now());
    }
    connection_->handle_timer(quic::monotonic_now());
  }
}

std::optional<uint64_t> WebTransportClient::connection_error() const {
  return connection_ ? connection_->connection_error() : std::nullopt;
}

std::optional<std::pair<uint32_t, std::string>> WebTransportClient::session_close() const {
  return connection_ ? connection_->session_close() : std::nullopt;
}

bool WebTransportClient::send_control(const v1::Control& control) {
  if (!connection_) return false;
  const bool ok = connection_->send_envelope(encode_control(control), /*as_datagram=*/false);
  flush();
  return ok;
}

bool WebTransportClient::send_media(const v1::MediaHeader& header, std::span<const uint8_t> payload,
                                    bool as_datagram) {
  if (!connection_) return false;
  const bool ok = connection_->send_envelope(encode_media(header, payload), as_datagram);
  flush();
  return ok;
}

bool WebTransportClient::send_raw_uni_stream(std::span<const uint8_t> bytes) {
  if (!connection_) return false;
  const bool ok = connection_->send_raw_uni_stream(bytes);
  flush();
  return ok;
}

void WebTransportClient::close(uint32_t code, std::string_view reason) {
  if (!connection_) return;
  connection_->close(code, reason);
  flush();
}

uint64_t WebTransportClient::datagrams_sent() const {
  return connection_ ? connection_->datagrams_sent() : 0;
}

}  // namespace vc::wt
