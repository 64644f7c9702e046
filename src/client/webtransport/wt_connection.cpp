#include "webtransport/wt_connection.hpp"

#include <algorithm>

#include "common/limits.hpp"
#include "net/h3/varint.hpp"
#include "protocol/stream_mapping.hpp"

namespace vc::wt {

// QUIC events -> HTTP/3 layer.
class WebTransportConnection::Events final : public quic::ConnectionEvents {
 public:
  explicit Events(WebTransportConnection& owner) : owner_(owner) {}
  void on_handshake_completed() override {
    owner_.h3_->on_handshake_completed();
    owner_.h3_->start_session(owner_.options_.authority, owner_.options_.path,
                              owner_.options_.origin);
  }
  void on_stream_data(int64_t id, quic::ByteView data, bool fin) override {
    owner_.h3_->on_stream_data(id, data, fin);
  }
  void on_stream_reset(int64_t id, uint64_t code) override {
    owner_.h3_->on_stream_reset(id, code);
  }
  void on_stream_stop_sending(int64_t, uint64_t) override {}
  void on_stream_closed(int64_t id) override {
    owner_.h3_->on_stream_closed(id);
    owner_.readers_.erase(id);
  }
  void on_datagram(quic::ByteView payload) override { owner_.h3_->on_datagram(payload); }
  void on_stream_writable(int64_t) override {}

 private:
  WebTransportConnection& owner_;
};

// HTTP/3 layer -> QUIC.
class WebTransportConnection::Transport final : public h3::H3Transport {
 public:
  explicit Transport(WebTransportConnection& owner) : owner_(owner) {}
  std::optional<int64_t> open_stream(bool bidirectional) override {
    const int64_t id = owner_.quic_->open_stream(bidirectional, stream_mapping::kControlPriority);
    if (id < 0) return std::nullopt;
    return id;
  }
  bool write_stream(int64_t id, h3::ByteView data, bool fin) override {
    return owner_.quic_->write_stream(id, data, fin);
  }
  void stop_sending(int64_t id, uint64_t code) override { owner_.quic_->stop_sending(id, code); }
  void reset_stream(int64_t id, uint64_t code) override { owner_.quic_->reset_stream(id, code); }
  bool send_datagram(h3::ByteView prefix, h3::ByteView payload) override {
    return owner_.quic_->send_datagram_copy(prefix, payload);
  }
  void close_connection(uint64_t code, std::string_view reason) override {
    owner_.quic_->close(code, reason);
  }

 private:
  WebTransportConnection& owner_;
};

// HTTP/3 session events -> envelopes.
class WebTransportConnection::Session final : public h3::SessionHandler {
 public:
  explicit Session(WebTransportConnection& owner) : owner_(owner) {}
  h3::ConnectDecision on_connect_request(const h3::RequestHeaders&) override { return {404}; }
  void on_session_established(uint64_t) override {
    // The control stream is opened first, before any media stream.
    if (auto id = owner_.h3_->open_webtransport_stream(/*bidirectional=*/true)) {
      owner_.control_stream_ = *id;
      owner_.state_ = ClientState::kEstablished;
    } else {
      owner_.close(0, "cannot open the control stream");
      owner_.state_ = ClientState::kClosed;
    }
  }
  void on_session_rejected(int status) override {
    owner_.state_ = ClientState::kRejected;
    owner_.rejected_status_ = status;
  }
  void on_session_closed(uint32_t code, std::string_view reason) override {
    owner_.session_close_.emplace(code, std::string(reason));
    owner_.state_ = ClientState::kClosed;
  }
  void on_session_draining() override {}
  void on_stream_data(int64_t id, h3::ByteView data, bool fin) override {
    owner_.on_session_data(id, data, fin);
  }
  void on_stream_reset(int64_t id, uint64_t) override { owner_.readers_.erase(id); }
  void on_datagram(h3::ByteView payload) override {
    if (owner_.handler_ && !payload.empty()) owner_.handler_(payload, /*datagram=*/true);
  }

 private:
  WebTransportConnection& owner_;
};

WebTransportConnection::WebTransportConnection(ConnectionOptions options)
    : options_(std::move(options)) {}

WebTransportConnection::~WebTransportConnection() {
  // h3 calls back into quic_ while tearing down; drop it first.
  h3_.reset();
  quic_.reset();
}

std::unique_ptr<WebTransportConnection> WebTransportConnection::connect(
    ConnectionOptions options, const quic::SocketAddress& local, const quic::SocketAddress& remote,
    quic::Timestamp now) {
  std::unique_ptr<WebTransportConnection> self(new WebTransportConnection(std::move(options)));
  self->local_ = local;
  self->remote_ = remote;
  quic::TransportConfig config;
  config.max_streams_bidi = 4;
  config.max_streams_uni = 16;
  if (self->options_.withhold_stream_credit) {
    config.withhold_stream_credit = true;
    config.stream_receive_window = kWithheldStreamWindow;
  }
  self->events_ = std::make_unique<Events>(*self);
  self->transport_ = std::make_unique<Transport>(*self);
  self->session_ = std::make_unique<Session>(*self);
  self->h3_ =
      std::make_unique<h3::Connection>(h3::Role::kClient, *self->transport_, *self->session_);
  self->quic_ = quic::QuicConnection::connect(local, remote, self->options_.server_name,
                                              self->options_.certificate_sha256, config, now);
  if (!self->quic_) return nullptr;
  self->quic_->set_events(self->events_.get());
  return self;
}

void WebTransportConnection::receive_packet(ByteView packet, quic::Timestamp now) {
  quic_->read_packet(local_, remote_, packet, now);
  note_quic_state();
}

void WebTransportConnection::handle_timer(quic::Timestamp now) {
  quic_->handle_timer(now);
  note_quic_state();
}

void WebTransportConnection::note_quic_state() {
  // A QUIC connection that is closing ends the session even without a session close capsule
  // (idle timeout, handshake failure, the peer's CONNECTION_CLOSE).
  const quic::ConnectionState quic_state = quic_->state();
  if (quic_state != quic::ConnectionState::kHandshaking &&
      quic_state != quic::ConnectionState::kActive &&
      (state_ == ClientState::kConnecting || state_ == ClientState::kEstablished)) {
    state_ = ClientState::kClosed;
  }
}

quic::Timestamp WebTransportConnection::next_timer() const {
  return quic_->next_timer();
}

void WebTransportConnection::write_packets(quic::PacketSink& sink, quic::Timestamp now) {
  quic_->write_packets(sink, now);
  note_quic_state();
}

bool WebTransportConnection::closed_for_good(quic::Timestamp now) const {
  return quic_->closed_for_good(now);
}

std::optional<uint64_t> WebTransportConnection::connection_error() const {
  return quic_->peer_close_error();
}

const std::string& WebTransportConnection::quic_close_reason() const {
  return quic_->close_reason();
}

void WebTransportConnection::on_session_data(int64_t stream_id, ByteView data, bool fin) {
  auto it = readers_.find(stream_id);
  if (it == readers_.end()) {
    it = readers_.emplace(stream_id, h3::RecordReader(limits::kMaxEnvelopeBytes)).first;
  }
  it->second.feed(data, fin, [&](h3::ByteView record) {
    if (handler_) handler_(record, /*datagram=*/false);
    return true;
  });
}

std::optional<int64_t> WebTransportConnection::media_stream(uint32_t kind) {
  auto it = media_streams_.find(kind);
  if (it != media_streams_.end()) return it->second;
  const std::optional<int64_t> id = h3_->open_webtransport_stream(/*bidirectional=*/false);
  if (!id) return std::nullopt;
  quic_->set_stream_priority(*id, stream_mapping::priority_for_kind(kind));
  media_streams_.emplace(kind, *id);
  return id;
}

bool WebTransportConnection::send_envelope(const FrameRef& envelope, bool as_datagram) {
  if (state_ != ClientState::kEstablished || !envelope) return false;
  const FrameMeta meta = envelope->meta();
  if (meta.lane == Lane::kControl) {
    const h3::RecordPrefix prefix = h3::record_prefix(envelope->size());
    return quic_->write_record(control_stream_, prefix.view(), envelope);
  }
  if (as_datagram) {
    uint8_t quarter_id[h3::kMaxVarintBytes];
    const std::size_t size = h3::encode_varint(h3_->session_id() / 4, quarter_id);
    if (size + envelope->size() <= quic_->max_datagram_payload() &&
        quic_->send_datagram({quarter_id, size}, envelope)) {
      return true;
    }
  }
  const std::optional<int64_t> stream = media_stream(meta.media_kind);
  if (!stream) return false;
  const h3::RecordPrefix prefix = h3::record_prefix(envelope->size());
  return quic_->write_record(*stream, prefix.view(), envelope);
}

bool WebTransportConnection::send_raw_uni_stream(ByteView bytes) {
  const int64_t id = quic_->open_stream(/*bidirectional=*/false, stream_mapping::kControlPriority);
  if (id < 0) return false;
  return quic_->write_stream(id, bytes, false);
}

void WebTransportConnection::close(uint32_t code, std::string_view reason) {
  h3_->close_session(code, reason);
}

uint64_t WebTransportConnection::unsent_stream_bytes() const {
  uint64_t total = control_stream_ >= 0 ? quic_->stream_unsent_bytes(control_stream_) : 0;
  for (const auto& [kind, id] : media_streams_) total += quic_->stream_unsent_bytes(id);
  return total;
}

uint64_t WebTransportConnection::datagrams_sent() const {
  return quic_->stats().datagrams_out;
}

const quic::ConnectionStats& WebTransportConnection::stats() const {
  return quic_->stats();
}

}  // namespace vc::wt
