// WebTransport session lifecycle: QUIC handshake -> extended CONNECT (token verified, else an HTTP
// error status and no session) -> client opens the control stream and sends Hello -> joined ->
// closing (Control.error + CLOSE_WEBTRANSPORT_SESSION capsule, then CONNECTION_CLOSE once they are
// delivered or after a grace period) -> closed. Whatever ends the connection calls
// on_connection_closed(), which detaches from the room (reconnect grace, as with WebSocket).
#include "server/webtransport/wt_session.hpp"

#include "common/limits.hpp"
#include "common/log.hpp"
#include "net/h3/varint.hpp"
#include "protocol/close_codes.hpp"
#include "protocol/stream_mapping.hpp"

namespace vc::webtransport {

namespace {

using namespace ::vc::close_code;  // docs/PROTOCOL.md §10

bool is_client_bidi(int64_t stream_id) {
  return (stream_id & 3) == 0;
}

}  // namespace

class WebTransportSession::H3Events final : public h3::SessionHandler {
 public:
  explicit H3Events(WebTransportSession& session) : session_(session) {}
  h3::ConnectDecision on_connect_request(const h3::RequestHeaders& request) override {
    h3::ConnectDecision decision{500, {}, "internal error"};
    contained([&] { decision = session_.on_connect_request(request); });
    return decision;
  }
  void on_session_established(uint64_t session_id) override {
    contained([&] { session_.on_session_established(session_id); });
  }
  void on_session_rejected(int) override {}
  void on_session_closed(uint32_t code, std::string_view reason) override {
    session_.on_session_closed(code, reason);
  }
  void on_session_draining() override {}
  void on_stream_data(int64_t stream_id, h3::ByteView data, bool fin) override {
    contained([&] { session_.on_session_stream_data(stream_id, data, fin); });
  }
  void on_stream_reset(int64_t stream_id, uint64_t code) override {
    contained([&] { session_.on_stream_reset_by_peer(stream_id, code); });
  }
  void on_datagram(h3::ByteView payload) override {
    contained([&] { session_.on_session_datagram(payload); });
  }

 private:
  // What a client sends is handled here: an exception closes this session only (4500).
  template <class Handler>
  void contained(Handler&& handler) {
    try {
      handler();
    } catch (const std::exception& e) {
      session_.host_.note_handler_exception("webtransport", e.what());
      session_.close_with_error(kInternal, "internal error");
    }
  }

  WebTransportSession& session_;
};

h3::ConnectionLimits h3_limits() {
  h3::ConnectionLimits limits;
  limits.max_frame_bytes = limits::kH3MaxFrameBytes;
  limits.max_tracked_streams = limits::kH3MaxTrackedStreams;
  limits.max_webtransport_sessions = 1;
  return limits;
}

WebTransportSession::WebTransportSession(core::MediaHost& host, quic::ConnectionHandle& connection,
                                         const SessionSettings& settings, WebTransportStats& stats)
    : room::Endpoint(SendQueueLimits{}, &host.send_queue_budget()),
      host_(host),
      connection_(connection),
      settings_(settings),
      stats_(stats),
      h3_events_(std::make_unique<H3Events>(*this)),
      h3_(h3::Role::kServer, *this, *h3_events_, settings.policy, h3_limits()),
      deadline_(host.io()) {
  // A connection that never completes CONNECT + Hello is closed after the handshake timeout.
  arm_deadline(limits::kHandshakeTimeout);
}

WebTransportSession::~WebTransportSession() {
  *alive_ = false;
  deadline_.cancel();
  detach_from_room();
  host_.remove_live(*this);
}

void WebTransportSession::arm_deadline(std::chrono::steady_clock::duration after) {
  deadline_.expires_after(after);
  deadline_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired()) return;
    if (state_ == State::kConnecting || state_ == State::kAwaitHello) {
      fail(kIdleTimeout, "no hello received");
    } else if (state_ == State::kClosing) {
      force_close();  // the peer never acknowledged our goodbye
    }
  });
}

// ---- HTTP/3 session events ----

h3::ConnectDecision WebTransportSession::on_connect_request(const h3::RequestHeaders& request) {
  h3::ConnectDecision decision =
      h3::evaluate_connect(request, settings_.policy, [this](std::string_view token) {
        auto verified = host_.verify_token(token);
        if (!verified.claims) {
          ++host_.metrics().tokens_refused;
          return false;
        }
        claims_ = std::move(verified.claims);
        return true;
      });
  if (decision.status == 200 && host_.shutting_down()) decision.status = 503;
  if (decision.status != 200) {
    ++stats_.connects_refused;
    VC_LOG_INFO("event=wt_connect_refused remote={} status={} reason=\"{}\"",
                connection_.quic().remote().to_string(), decision.status,
                log::escaped(decision.reason));
  }
  return decision;
}

void WebTransportSession::on_session_established(uint64_t) {
  state_ = State::kAwaitHello;
  ++stats_.sessions_established;
  host_.add_live(*this);
  registered_live_ = true;
}

void WebTransportSession::on_session_closed(uint32_t code, std::string_view reason) {
  // The client closed the session: leave like a dropped transport (reconnect grace), then close
  // the connection.
  VC_LOG_DEBUG("event=wt_session_closed_by_peer code={} reason=\"{}\"", code, log::escaped(reason));
  detach_from_room();
  state_ = State::kClosed;
  connection_.quic().close(static_cast<uint64_t>(h3::H3Error::kNoError), "session closed");
  connection_.request_flush();
}

void WebTransportSession::on_session_stream_data(int64_t stream_id, h3::ByteView data, bool fin) {
  if (state_ != State::kAwaitHello && state_ != State::kJoined) return;  // closing: drain
  const bool bidirectional = (stream_id & 2) == 0;
  if (bidirectional && stream_id != control_stream_) {
    if (control_stream_ >= 0 || !is_client_bidi(stream_id)) {
      // One control stream per session; other bidirectional streams are refused.
      const auto code = static_cast<uint64_t>(h3::H3Error::kRequestRejected);
      connection_.quic().stop_sending(stream_id, code);
      connection_.quic().reset_stream(stream_id, code);
      return;
    }
    control_stream_ = stream_id;
    connection_.quic().set_stream_priority(stream_id, stream_mapping::kControlPriority);
  }
  const bool control = stream_id == control_stream_;
  auto it = readers_.find(stream_id);
  if (it == readers_.end()) {
    it = readers_
             .emplace(stream_id, h3::RecordReader(control ? limits::kMaxControlBytes
                                                          : limits::kMaxEnvelopeBytes))
             .first;
  }
  const h3::RecordStatus status = it->second.feed(data, fin, [&](h3::ByteView record) {
    on_record(stream_id, control, record);
    return state_ == State::kAwaitHello || state_ == State::kJoined;
  });
  if (it->second.buffered_bytes() > 0) {
    std::size_t buffered = 0;
    for (const auto& [id, reader] : readers_) buffered += reader.buffered_bytes();
    if (buffered > limits::kWebTransportSessionBufferedBytes) {
      return fail(kTooSlow, "too much partial data buffered");
    }
  }
  switch (status) {
    case h3::RecordStatus::kOk:
    case h3::RecordStatus::kStopped:
      break;
    case h3::RecordStatus::kTooLarge:
      return fail(kTooLarge, "envelope exceeds max_envelope_bytes");
    case h3::RecordStatus::kEmptyRecord:
    case h3::RecordStatus::kTruncated:
      return fail(kMalformed, "malformed record framing");
  }
  if (fin && control && state_ != State::kClosing && state_ != State::kClosed) {
    // The client ended its control stream: it is leaving.
    fail(kProtocolViolation, "control stream closed");
  }
}

void WebTransportSession::on_stream_reset_by_peer(int64_t stream_id, uint64_t) {
  readers_.erase(stream_id);
  if (stream_id == control_stream_ && state_ != State::kClosing && state_ != State::kClosed) {
    fail(kProtocolViolation, "control stream reset");
  }
}

void WebTransportSession::on_session_datagram(h3::ByteView payload) {
  ++stats_.datagrams_in;
  if (state_ != State::kJoined) {
    ++stats_.media_dropped_before_join;
    return;
  }
  const EnvelopeError error = decode_envelope(payload, limits::kMaxEnvelopeBytes, decoded_);
  if (error != EnvelopeError::kNone) return fail(kMalformed, to_string(error));
  if (decoded_.body != DecodedEnvelope::Body::kMedia) {
    return fail(kProtocolViolation, "control never rides datagrams");
  }
  membership_.on_media(decoded_.header, decoded_.payload);
}

void WebTransportSession::on_record(int64_t, bool control_stream, h3::ByteView record) {
  ++stats_.envelopes_in;
  const EnvelopeError error = decode_envelope(
      record, control_stream ? limits::kMaxControlBytes : limits::kMaxEnvelopeBytes, decoded_);
  if (error == EnvelopeError::kTooLarge) return fail(kTooLarge, to_string(error));
  if (error != EnvelopeError::kNone) return fail(kMalformed, to_string(error));
  const bool media = decoded_.body == DecodedEnvelope::Body::kMedia;
  if (control_stream == media) {
    return fail(kProtocolViolation,
                media ? "media on the control stream" : "control on a media stream");
  }
  if (state_ == State::kAwaitHello) {
    if (media) {
      ++stats_.media_dropped_before_join;  // streams race the Hello; not an error
      return;
    }
    return on_hello();
  }
  if (media) {
    membership_.on_media(decoded_.header, decoded_.payload);
  } else {
    membership_.on_control(decoded_.control);
  }
}

void WebTransportSession::on_hello() {
  // Joined before join(): the room queues JoinAccepted right away.
  const auto refusal = host_.join(membership_, *claims_, decoded_.control, *this, "webtransport",
                                  [this] { state_ = State::kJoined; });
  if (refusal) {
    state_ = State::kAwaitHello;
    return fail(refusal->code, refusal->reason);
  }
  deadline_.cancel();
}

// ---- leaving ----

void WebTransportSession::fail(uint32_t code, std::string_view reason) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  detach_from_room();
  close_with_error(code, reason);
}

void WebTransportSession::detach_from_room() {
  membership_.leave(*this);
}

std::optional<uint64_t> WebTransportSession::transport_bandwidth_bps() {
  if (state_ != State::kJoined) return std::nullopt;  // the connection may be going away
  return congestion_hint_.on_sample(connection_.quic().congestion_info(), quic::monotonic_now());
}

void WebTransportSession::close_with_error(uint32_t code, std::string_view reason) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  state_ = State::kClosing;
  // Control.error on the control stream (if there is one), then the session close capsule with
  // the same code. Nothing here calls back into the room.
  if (control_stream_ >= 0) {
    v1::Control control;
    control.mutable_error()->set_code(code);
    control.mutable_error()->set_message(std::string(reason.substr(0, 200)));
    const FrameRef frame = encode_control(control);
    const h3::RecordPrefix prefix = h3::record_prefix(frame->size());
    connection_.quic().write_record(control_stream_, prefix.view(), frame);
    connection_.quic().write_stream(control_stream_, {}, /*fin=*/true);
  }
  if (h3_.session_established()) {
    h3_.close_session(code, reason.substr(0, 200));
  } else {
    connection_.quic().close(static_cast<uint64_t>(h3::H3Error::kNoError), reason);
  }
  arm_deadline(limits::kHandshakeTimeout);
  connection_.request_flush();
}

void WebTransportSession::finish_close_if_delivered() {
  if (state_ != State::kClosing) return;
  const quic::QuicConnection& quic = connection_.quic();
  const auto session_stream = static_cast<int64_t>(h3_.session_id());
  if (quic.stream_buffered_bytes(session_stream) > 0) return;
  if (control_stream_ >= 0 && quic.stream_buffered_bytes(control_stream_) > 0) return;
  if (close_delivered_) return;
  // Shutting down, every client reconnects elsewhere anyway: a lingering session would hold the
  // shutdown for its whole grace period.
  if (host_.shutting_down()) return force_close();
  // Acknowledged is not yet read by the page: the peer closes the connection when it has read our
  // goodbye (on_session_closed, or its CONNECTION_CLOSE); the deadline closes it otherwise.
  close_delivered_ = true;
  arm_deadline(limits::kWebTransportCloseLinger);
}

void WebTransportSession::shut_down() {
  fail(kShuttingDown, "server shutting down");
}

void WebTransportSession::force_close() {
  detach_from_room();
  state_ = State::kClosed;
  connection_.quic().close(static_cast<uint64_t>(h3::H3Error::kNoError), "closed");
  connection_.request_flush();
}

void WebTransportSession::on_connection_closed() {
  detach_from_room();
  state_ = State::kClosed;
  deadline_.cancel();
  if (registered_live_) host_.remove_live(*this);
  registered_live_ = false;
}

// ---- writing ----

void WebTransportSession::on_queue_ready() {
  if (state_ == State::kJoined) connection_.request_flush();
}

void WebTransportSession::on_stream_writable(int64_t) {
  finish_close_if_delivered();
}

void WebTransportSession::on_stream_stop_sending(int64_t stream_id, uint64_t) {
  std::erase_if(media_streams_, [&](const auto& entry) { return entry.second == stream_id; });
}

void WebTransportSession::on_stream_closed(int64_t stream_id) {
  h3_.on_stream_closed(stream_id);
  readers_.erase(stream_id);
  std::erase_if(media_streams_, [&](const auto& entry) { return entry.second == stream_id; });
}

uint64_t WebTransportSession::lane_backlog(Lane lane) const {
  const quic::QuicConnection& quic = connection_.quic();
  // Control is never held back here; write_frame() bounds the control stream's backlog instead.
  if (lane == Lane::kControl) return 0;
  uint64_t backlog = 0;
  for (const auto& [kind, stream] : media_streams_) {
    const bool audio = kind == v1::MEDIA_KIND_AUDIO;
    if (audio == (lane == Lane::kAudio))
      backlog = std::max(backlog, quic.stream_unsent_bytes(stream));
  }
  return backlog;
}

void WebTransportSession::before_write() {
  if (state_ == State::kClosing) return finish_close_if_delivered();
  if (state_ != State::kJoined) return;
  SendQueue& pending = queue();
  while (!pending.empty()) {
    if (lane_backlog(pending.next_lane()) >= settings_.stream_backlog_bytes) break;
    const FrameRef frame = pending.pop();
    if (!write_frame(frame)) break;
  }
}

int64_t WebTransportSession::media_stream_for(uint32_t media_kind) {
  if (auto it = media_streams_.find(media_kind); it != media_streams_.end()) return it->second;
  const std::optional<int64_t> stream = h3_.open_webtransport_stream(/*bidirectional=*/false);
  if (!stream) return -1;
  connection_.quic().set_stream_priority(*stream, stream_mapping::priority_for_kind(media_kind));
  media_streams_[media_kind] = *stream;
  return *stream;
}

bool WebTransportSession::write_frame(const FrameRef& frame) {
  quic::QuicConnection& quic = connection_.quic();
  const FrameMeta& meta = frame->meta();
  ++stats_.frames_out;
  stats_.bytes_out += frame->size();
  if (meta.lane == Lane::kControl) {
    if (control_stream_ < 0) return true;  // cannot happen after Hello; drop
    if (quic.stream_unsent_bytes(control_stream_) > settings_.control_backlog_bytes) {
      // The client takes packets but no control: it would grow our memory without limit.
      fail(kTooSlow, "control backlog over its limit");
      return false;
    }
    const h3::RecordPrefix prefix = h3::record_prefix(frame->size());
    return quic.write_record(control_stream_, prefix.view(), frame);
  }
  if (stream_mapping::prefers_datagram(meta.lane)) {
    // A datagram when it fits: quarter stream id, then the envelope (the datagram is the record).
    uint8_t quarter_id[h3::kMaxVarintBytes];
    const std::size_t size = h3::encode_varint(h3_.session_id() / 4, quarter_id);
    if (quic.send_datagram({quarter_id, size}, frame)) {
      ++stats_.datagrams_out;
      return true;
    }
  }
  const int64_t stream = media_stream_for(meta.media_kind);
  if (stream < 0) return true;  // no stream credit: the frame is dropped (counted by the room)
  const h3::RecordPrefix prefix = h3::record_prefix(frame->size());
  return quic.write_record(stream, prefix.view(), frame);
}

// ---- h3::H3Transport over the QUIC connection ----

std::optional<int64_t> WebTransportSession::open_stream(bool bidirectional) {
  const int64_t stream =
      connection_.quic().open_stream(bidirectional, stream_mapping::kControlPriority);
  if (stream < 0) return std::nullopt;
  return stream;
}

bool WebTransportSession::write_stream(int64_t stream_id, h3::ByteView data, bool fin) {
  return connection_.quic().write_stream(stream_id, data, fin);
}

void WebTransportSession::stop_sending(int64_t stream_id, uint64_t error_code) {
  connection_.quic().stop_sending(stream_id, error_code);
}

void WebTransportSession::reset_stream(int64_t stream_id, uint64_t error_code) {
  connection_.quic().reset_stream(stream_id, error_code);
}

bool WebTransportSession::send_datagram(h3::ByteView prefix, h3::ByteView payload) {
  return connection_.quic().send_datagram_copy(prefix, payload);
}

void WebTransportSession::close_connection(uint64_t error_code, std::string_view reason) {
  VC_LOG_INFO("event=wt_protocol_error remote={} code={:#x} reason=\"{}\"",
              connection_.quic().remote().to_string(), error_code, log::escaped(reason));
  detach_from_room();
  state_ = State::kClosed;
  connection_.quic().close(error_code, reason);
  connection_.request_flush();
}

}  // namespace vc::webtransport
