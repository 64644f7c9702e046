#include "wt_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/limits.hpp"
#include "server/h3/varint.hpp"

namespace vc::wt {

// QUIC events -> HTTP/3 layer.
class WebTransportClient::Events final : public quic::ConnectionEvents {
 public:
  explicit Events(WebTransportClient& client) : client_(client) {}
  void on_handshake_completed() override {
    client_.h3_->on_handshake_completed();
    const std::string authority = client_.options_.host + ":" + std::to_string(client_.options_.port);
    client_.h3_->start_session(authority, client_.options_.path, client_.options_.origin);
  }
  void on_stream_data(int64_t id, quic::ByteView data, bool fin) override {
    client_.h3_->on_stream_data(id, data, fin);
  }
  void on_stream_reset(int64_t id, uint64_t code) override { client_.h3_->on_stream_reset(id, code); }
  void on_stream_stop_sending(int64_t, uint64_t) override {}
  void on_stream_closed(int64_t id) override {
    client_.h3_->on_stream_closed(id);
    client_.readers_.erase(id);
  }
  void on_datagram(quic::ByteView payload) override { client_.h3_->on_datagram(payload); }
  void on_stream_writable(int64_t) override {}

 private:
  WebTransportClient& client_;
};

// HTTP/3 layer -> QUIC.
class WebTransportClient::Transport final : public h3::H3Transport {
 public:
  explicit Transport(WebTransportClient& client) : client_(client) {}
  std::optional<int64_t> open_stream(bool bidirectional) override {
    const int64_t id = client_.quic_->open_stream(bidirectional, 0);
    if (id < 0) return std::nullopt;
    return id;
  }
  bool write_stream(int64_t id, h3::ByteView data, bool fin) override {
    return client_.quic_->write_stream(id, data, fin);
  }
  void stop_sending(int64_t id, uint64_t code) override { client_.quic_->stop_sending(id, code); }
  void reset_stream(int64_t id, uint64_t code) override { client_.quic_->reset_stream(id, code); }
  bool send_datagram(h3::ByteView prefix, h3::ByteView payload) override {
    return client_.quic_->send_datagram_copy(prefix, payload);
  }
  void close_connection(uint64_t code, std::string_view reason) override {
    client_.quic_->close(code, reason);
  }

 private:
  WebTransportClient& client_;
};

// HTTP/3 session events -> envelopes.
class WebTransportClient::Session final : public h3::SessionHandler {
 public:
  explicit Session(WebTransportClient& client) : client_(client) {}
  h3::ConnectDecision on_connect_request(const h3::RequestHeaders&) override { return {404}; }
  void on_session_established(uint64_t) override {
    client_.state_ = ClientState::kEstablished;
    // The control stream is opened first, before any media stream.
    if (auto id = client_.h3_->open_webtransport_stream(/*bidirectional=*/true)) {
      client_.control_stream_ = *id;
    }
  }
  void on_session_rejected(int status) override {
    client_.state_ = ClientState::kRejected;
    client_.rejected_status_ = status;
  }
  void on_session_closed(uint32_t code, std::string_view reason) override {
    client_.session_close_.emplace(code, std::string(reason));
    client_.state_ = ClientState::kClosed;
  }
  void on_session_draining() override {}
  void on_stream_data(int64_t id, h3::ByteView data, bool fin) override {
    client_.on_session_data(id, data, fin);
  }
  void on_stream_reset(int64_t id, uint64_t) override { client_.readers_.erase(id); }
  void on_datagram(h3::ByteView payload) override {
    if (decode_envelope(payload, limits::kMaxEnvelopeBytes, client_.decoded_) ==
            EnvelopeError::kNone &&
        client_.handler_) {
      client_.handler_(client_.decoded_, /*datagram=*/true);
    }
  }

 private:
  WebTransportClient& client_;
};

namespace {

// Sends each packet straight away (a test client needs no batching).
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
  h3_.reset();
  quic_.reset();
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
  std::memcpy(&remote_.storage, &server, sizeof(server));
  remote_.size = sizeof(server);
  local_.size = sizeof(local_.storage);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local_.storage), &local_.size);

  quic::TransportConfig config;
  config.max_streams_bidi = 4;
  config.max_streams_uni = 16;
  events_ = std::make_unique<Events>(*this);
  transport_ = std::make_unique<Transport>(*this);
  session_ = std::make_unique<Session>(*this);
  h3_ = std::make_unique<h3::Connection>(h3::Role::kClient, *transport_, *session_);
  quic_ = quic::QuicConnection::connect(local_, remote_, {}, options_.certificate_sha256, config,
                                        quic::monotonic_now());
  if (!quic_) return false;
  quic_->set_events(events_.get());
  flush();
  return true;
}

void WebTransportClient::flush() {
  DirectSink sink(fd_);
  quic_->write_packets(sink, quic::monotonic_now());
}

void WebTransportClient::poll(std::chrono::milliseconds budget,
                              const std::function<bool()>& until) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  uint8_t buffer[2048];
  while (true) {
    flush();
    if (until && until()) return;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return;
    if (quic_->closed_for_good(quic::monotonic_now())) {
      state_ = state_ == ClientState::kRejected ? state_ : ClientState::kClosed;
      return;
    }
    // Wait for input or the next QUIC timer, whichever is first.
    const quic::Timestamp timer = quic_->next_timer();
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
      quic_->read_packet(local_, remote_, {buffer, static_cast<std::size_t>(size)},
                         quic::monotonic_now());
    }
    quic_->handle_timer(quic::monotonic_now());
  }
}

std::optional<uint64_t> WebTransportClient::connection_error() const {
  return quic_ ? quic_->peer_close_error() : std::nullopt;
}

void WebTransportClient::on_session_data(int64_t stream_id, h3::ByteView data, bool fin) {
  auto it = readers_.find(stream_id);
  if (it == readers_.end()) {
    it = readers_.emplace(stream_id, h3::RecordReader(limits::kMaxEnvelopeBytes)).first;
  }
  it->second.feed(data, fin, [&](h3::ByteView record) {
    if (decode_envelope(record, limits::kMaxEnvelopeBytes, decoded_) == EnvelopeError::kNone &&
        handler_) {
      handler_(decoded_, /*datagram=*/false);
    }
    return true;
  });
}

bool WebTransportClient::send_control(const v1::Control& control) {
  if (control_stream_ < 0) return false;
  const FrameRef frame = encode_control(control);
  const h3::RecordPrefix prefix = h3::record_prefix(frame->size());
  const bool ok = quic_->write_record(control_stream_, prefix.view(), frame);
  flush();
  return ok;
}

bool WebTransportClient::send_media(const v1::MediaHeader& header,
                                    std::span<const uint8_t> payload, bool as_datagram) {
  if (state_ != ClientState::kEstablished) return false;
  const FrameRef frame = encode_media(header, payload);
  bool ok = false;
  if (as_datagram) {
    uint8_t quarter_id[h3::kMaxVarintBytes];
    const std::size_t size = h3::encode_varint(h3_->session_id() / 4, quarter_id);
    ok = quic_->send_datagram({quarter_id, size}, frame);
  } else {
    auto it = media_streams_.find(header.kind());
    if (it == media_streams_.end()) {
      const std::optional<int64_t> id = h3_->open_webtransport_stream(/*bidirectional=*/false);
      if (!id) return false;
      it = media_streams_.emplace(header.kind(), *id).first;
    }
    const h3::RecordPrefix prefix = h3::record_prefix(frame->size());
    ok = quic_->write_record(it->second, prefix.view(), frame);
  }
  flush();
  return ok;
}

bool WebTransportClient::send_raw_uni_stream(std::span<const uint8_t> bytes) {
  const int64_t id = quic_->open_stream(/*bidirectional=*/false, 0);
  if (id < 0) return false;
  const bool ok = quic_->write_stream(id, bytes, false);
  flush();
  return ok;
}

void WebTransportClient::close(uint32_t code, std::string_view reason) {
  h3_->close_session(code, reason);
  flush();
}

uint64_t WebTransportClient::datagrams_sent() const {
  return quic_ ? quic_->stats().datagrams_out : 0;
}

}  // namespace vc::wt
