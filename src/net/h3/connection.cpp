#include "net/h3/connection.hpp"

#include <charconv>

#include "net/h3/varint.hpp"

namespace vc::h3 {

// Frames on the peer's control stream.
class Connection::ControlStreamSink final : public FrameSink {
 public:
  ControlStreamSink(Connection& connection, const FrameReader& reader)
      : connection_(connection), reader_(reader) {}
  H3Error on_frame(uint64_t type, ByteView payload) override {
    if (!connection_.peer_settings_received_) {
      // The first frame must be SETTINGS (unknown frames count: RFC 9114 §6.2.1).
      if (type != frame_type::kSettings || reader_.frames_seen() != 1) {
        return H3Error::kMissingSettings;
      }
      connection_.peer_settings_received_ = true;
      return parse_settings(payload, connection_.peer_settings_);
    }
    switch (type) {
      case frame_type::kGoaway:
      case frame_type::kCancelPush:
        return H3Error::kNone;
      case frame_type::kMaxPushId:
        return connection_.role_ == Role::kServer ? H3Error::kNone : H3Error::kFrameUnexpected;
      default:  // a second SETTINGS, HEADERS, PUSH_PROMISE
        return H3Error::kFrameUnexpected;
    }
  }
  H3Error on_data_start(uint64_t) override { return H3Error::kFrameUnexpected; }
  H3Error on_data(ByteView) override { return H3Error::kFrameUnexpected; }

 private:
  Connection& connection_;
  const FrameReader& reader_;
};

// Capsules inside DATA frames of the CONNECT stream.
class Connection::SessionCapsuleSink final : public CapsuleSink {
 public:
  explicit SessionCapsuleSink(Connection& connection) : connection_(connection) {}
  H3Error on_close_session(const CloseSession& close) override {
    connection_.finish_session(close.code, close.reason);
    return H3Error::kNone;
  }
  H3Error on_drain_session() override {
    connection_.handler_.on_session_draining();
    return H3Error::kNone;
  }

 private:
  Connection& connection_;
};

// Frames on a request stream: the extended CONNECT (server) or its response (client).
class Connection::RequestStreamSink final : public FrameSink {
 public:
  RequestStreamSink(Connection& connection, int64_t stream_id, StreamState& state)
      : connection_(connection), stream_id_(stream_id), state_(state) {}
  H3Error on_frame(uint64_t type, ByteView payload) override {
    if (type != frame_type::kHeaders) return H3Error::kFrameUnexpected;
    if (state_.headers_received) return H3Error::kNone;  // trailers: nothing to do
    state_.headers_received = true;
    return connection_.on_request_headers(stream_id_, state_, payload);
  }
  H3Error on_data_start(uint64_t) override {
    return state_.headers_received ? H3Error::kNone : H3Error::kFrameUnexpected;
  }
  H3Error on_data(ByteView chunk) override {
    if (stream_id_ != connection_.session_stream_id_ || !connection_.session_established()) {
      return H3Error::kNone;  // body of a rejected request, or after the session closed
    }
    SessionCapsuleSink sink(connection_);
    return state_.capsules.feed(chunk, sink);
  }

 private:
  Connection& connection_;
  int64_t stream_id_;
  StreamState& state_;
};

Connection::Connection(Role role, H3Transport& transport, SessionHandler& handler,
                       ConnectPolicy policy, ConnectionLimits limits)
    : role_(role),
      transport_(transport),
      handler_(handler),
      policy_(std::move(policy)),
      limits_(limits),
      header_decoder_(limits.max_frame_bytes) {}

bool Connection::is_local(int64_t stream_id) const {
  const bool server_initiated = (stream_id & 1) != 0;
  return server_initiated == (role_ == Role::kServer);
}

void Connection::fail(H3Error error, std::string_view reason) {
  if (error_ != H3Error::kNone || error == H3Error::kNone) return;
  error_ = error;
  transport_.close_connection(static_cast<uint64_t>(error), reason);
}

void Connection::on_handshake_completed() {
  if (control_stream_id_ >= 0 || error_ != H3Error::kNone) return;
  const std::optional<int64_t> id = transport_.open_stream(/*bidirectional=*/false);
  if (!id) return fail(H3Error::kStreamCreationError, "no uni stream credit for control stream");
  control_stream_id_ = *id;
  Bytes preamble;
  append_control_stream_preamble(preamble, limits_.max_webtransport_sessions);
  if (!transport_.write_stream(*id, preamble, false)) {
    return fail(H3Error::kInternalError, "cannot write control stream");
  }
}

bool Connection::start_session(std::string_view authority, std::string_view path,
                               std::string_view origin) {
  if (role_ != Role::kClient || session_state_ != SessionState::kNone) return false;
  const std::optional<int64_t> id = transport_.open_stream(/*bidirectional=*/true);
  if (!id) return false;
  Bytes request;
  append_connect_request_headers_frame(request, authority, path, origin);
  if (!transport_.write_stream(*id, request, false)) return false;
  StreamState& state = streams_[*id];
  state.kind = StreamKind::kRequest;
  state.frames = FrameReader(limits_.max_frame_bytes);
  state.capsules = CapsuleReader(limits_.max_capsule_bytes);
  session_state_ = SessionState::kRequested;
  session_stream_id_ = *id;
  session_id_ = static_cast<uint64_t>(*id);
  return true;
}

Connection::StreamState* Connection::state_for(int64_t stream_id) {
  if (auto it = streams_.find(stream_id); it != streams_.end()) return &it->second;
  if (is_local(stream_id)) return nullptr;  // data on a local stream we do not read
  if (streams_.size() >= limits_.max_tracked_streams) {
    fail(H3Error::kExcessiveLoad, "too many streams");
    return nullptr;
  }
  return &streams_[stream_id];
}

void Connection::classify(int64_t stream_id, StreamState& state, ByteView& data) {
  // Reads the first varint of a peer-initiated stream, possibly across several reads.
  while (!data.empty()) {
    state.varint[state.varint_size++] = data.front();
    data = data.subspan(1);
    const VarintResult type = decode_varint({state.varint, state.varint_size});
    if (!type.complete()) continue;
    state.varint_size = 0;
    if (!is_bidirectional(stream_id)) {
      switch (type.value) {
        case stream_type::kControl:
          if (peer_control_stream_seen_) {
            return fail(H3Error::kStreamCreationError, "second control stream");
          }
          peer_control_stream_seen_ = true;
          state.kind = StreamKind::kControl;
          state.frames = FrameReader(limits_.max_frame_bytes);
          return;
        case stream_type::kQpackEncoder:
        case stream_type::kQpackDecoder: {
          bool& seen = type.value == stream_type::kQpackEncoder ? peer_qpack_encoder_seen_
                                                                : peer_qpack_decoder_seen_;
          if (seen) return fail(H3Error::kStreamCreationError, "second QPACK stream");
          seen = true;
          state.kind = StreamKind::kDrained;
          return;
        }
        case stream_type::kWebTransportUni:
          state.kind = StreamKind::kWebTransport;
          return;
        case stream_type::kPush:
          return fail(H3Error::kStreamCreationError, "push stream");
        default:  // unknown or GREASE stream type (RFC 9114 §6.2.3)
          state.kind = StreamKind::kIgnored;
          transport_.stop_sending(stream_id, static_cast<uint64_t>(H3Error::kStreamCreationError));
          return;
      }
    }
    if (type.value == stream_type::kWebTransportBidi) {
      state.kind = StreamKind::kWebTransport;
      return;
    }
    if (role_ == Role::kClient) {
      return fail(H3Error::kStreamCreationError, "server-initiated request stream");
    }
    // A request stream: the varint was the first frame's type; feed it back to the frame reader.
    state.kind = StreamKind::kRequest;
    state.frames = FrameReader(limits_.max_frame_bytes);
    state.capsules = CapsuleReader(limits_.max_capsule_bytes);
    uint8_t encoded[kMaxVarintBytes];
    const std::size_t size = encode_varint(type.value, encoded);
    RequestStreamSink sink(*this, stream_id, state);
    if (const H3Error error = state.frames.feed({encoded, size}, sink); error != H3Error::kNone) {
      return fail(error, "request stream");
    }
    return;
  }
}

void Connection::read_webtransport_header(int64_t stream_id, StreamState& state, ByteView& data) {
  while (!data.empty()) {
    state.varint[state.varint_size++] = data.front();
    data = data.subspan(1);
    const VarintResult session = decode_varint({state.varint, state.varint_size});
    if (!session.complete()) continue;
    state.varint_size = 0;
    if (!session_established() || session.value != session_id_) {
      state.kind = StreamKind::kIgnored;
      const auto code = static_cast<uint64_t>(H3Error::kWebTransportBufferedStreamRejected);
      transport_.stop_sending(stream_id, code);
      if (is_bidirectional(stream_id)) transport_.reset_stream(stream_id, code);
      return;
    }
    state.kind = StreamKind::kWebTransportPayload;
    return;
  }
}

void Connection::on_stream_data(int64_t stream_id, ByteView data, bool fin) {
  if (error_ != H3Error::kNone) return;
  StreamState* state = state_for(stream_id);
  if (state == nullptr) return;
  if (state->kind == StreamKind::kUnknown) classify(stream_id, *state, data);
  if (error_ != H3Error::kNone) return;
  if (state->kind == StreamKind::kWebTransport) read_webtransport_header(stream_id, *state, data);
  switch (state->kind) {
    case StreamKind::kUnknown:
    case StreamKind::kWebTransport:
      return;  // header still incomplete (a FIN here just ends a useless stream)
    case StreamKind::kWebTransportPayload:
      if (!data.empty() || fin) handler_.on_stream_data(stream_id, data, fin);
      return;
    case StreamKind::kControl: {
      ControlStreamSink sink(*this, state->frames);
      if (const H3Error error = state->frames.feed(data, sink); error != H3Error::kNone) {
        return fail(error, "control stream");
      }
      if (fin) fail(H3Error::kClosedCriticalStream, "control stream closed");
      return;
    }
    case StreamKind::kRequest: {
      RequestStreamSink sink(*this, stream_id, *state);
      if (const H3Error error = state->frames.feed(data, sink); error != H3Error::kNone) {
        return fail(error, "request stream");
      }
      if (fin && stream_id == session_stream_id_) {
        if (!state->frames.at_frame_boundary() || !state->capsules.at_capsule_boundary()) {
          return fail(H3Error::kMessageError, "CONNECT stream ended inside a frame");
        }
        finish_session(0, {});
      }
      return;
    }
    case StreamKind::kDrained:
      if (fin) fail(H3Error::kClosedCriticalStream, "QPACK stream closed");
      return;
    case StreamKind::kIgnored:
    case StreamKind::kLocalControl:
      return;
  }
}

H3Error Connection::on_request_headers(int64_t stream_id, StreamState& state,
                                       ByteView field_section) {
  (void)state;
  RequestHeaders headers;
  if (const H3Error error = header_decoder_.decode(stream_id, field_section, headers);
      error != H3Error::kNone) {
    return error;
  }
  if (role_ == Role::kClient) {
    int status = 0;
    const auto [end, ec] = std::from_chars(headers.status.data(),
                                           headers.status.data() + headers.status.size(), status);
    if (ec != std::errc() || end != headers.status.data() + headers.status.size()) {
      return H3Error::kMessageError;
    }
    if (status >= 100 && status < 200) {
      state.headers_received = false;  // interim response: the final one follows
      return H3Error::kNone;
    }
    if (status >= 200 && status < 300) {
      session_state_ = SessionState::kEstablished;
      handler_.on_session_established(session_id_);
    } else {
      session_state_ = SessionState::kClosed;
      handler_.on_session_rejected(status);
    }
    return H3Error::kNone;
  }
  ConnectDecision decision;
  if (session_state_ != SessionState::kNone) {
    decision.status = 429;  // one session per connection
  } else {
    decision = handler_.on_connect_request(headers);
  }
  Bytes response;
  append_connect_response_headers_frame(response, decision.status);
  const bool accepted = decision.status == 200;
  if (!transport_.write_stream(stream_id, response, /*fin=*/!accepted)) {
    return H3Error::kInternalError;
  }
  if (accepted) {
    session_state_ = SessionState::kEstablished;
    session_stream_id_ = stream_id;
    session_id_ = static_cast<uint64_t>(stream_id);
    handler_.on_session_established(session_id_);
  }
  return H3Error::kNone;
}

void Connection::finish_session(uint32_t code, std::string_view reason) {
  if (session_state_ != SessionState::kEstablished) return;
  session_state_ = SessionState::kClosed;
  transport_.write_stream(session_stream_id_, {}, /*fin=*/true);
  handler_.on_session_closed(code, reason);
}

void Connection::on_stream_reset(int64_t stream_id, uint64_t error_code) {
  if (error_ != H3Error::kNone) return;
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  switch (it->second.kind) {
    case StreamKind::kControl:
    case StreamKind::kDrained:
      return fail(H3Error::kClosedCriticalStream, "critical stream reset");
    case StreamKind::kWebTransportPayload:
      handler_.on_stream_reset(stream_id, error_code);
      return;
    case StreamKind::kRequest:
      if (stream_id == session_stream_id_) finish_session(0, "CONNECT stream reset");
      return;
    default:
      return;
  }
}

void Connection::on_stream_closed(int64_t stream_id) {
  streams_.erase(stream_id);
}

void Connection::on_datagram(ByteView datagram) {
  if (error_ != H3Error::kNone) return;
  const VarintResult quarter_id = decode_varint(datagram);
  if (!quarter_id.complete()) return fail(H3Error::kDatagramError, "truncated datagram");
  if (quarter_id.value > kMaxVarint / 4) return fail(H3Error::kIdError, "bad quarter stream id");
  if (!session_established() || quarter_id.value * 4 != session_id_) return;  // stale: drop
  handler_.on_datagram(datagram.subspan(quarter_id.size));
}

std::optional<int64_t> Connection::open_webtransport_stream(bool bidirectional) {
  if (!session_established() || error_ != H3Error::kNone) return std::nullopt;
  const std::optional<int64_t> id = transport_.open_stream(bidirectional);
  if (!id) return std::nullopt;
  Bytes header;
  append_webtransport_stream_header(header, bidirectional, session_id_);
  if (!transport_.write_stream(*id, header, false)) return std::nullopt;
  if (bidirectional) streams_[*id].kind = StreamKind::kWebTransportPayload;
  return id;
}

bool Connection::send_datagram(ByteView payload) {
  if (!session_established() || error_ != H3Error::kNone) return false;
  uint8_t prefix[kMaxVarintBytes];
  const std::size_t size = encode_varint(session_id_ / 4, prefix);
  return transport_.send_datagram({prefix, size}, payload);
}

void Connection::close_session(uint32_t code, std::string_view reason) {
  if (session_state_ != SessionState::kEstablished || error_ != H3Error::kNone) return;
  session_state_ = SessionState::kClosed;
  Bytes frame;
  append_close_session_data_frame(frame, code, reason);
  transport_.write_stream(session_stream_id_, frame, /*fin=*/true);
}

void Connection::drain_session() {
  if (!session_established() || error_ != H3Error::kNone) return;
  Bytes frame;
  append_drain_session_data_frame(frame);
  transport_.write_stream(session_stream_id_, frame, false);
}

}  // namespace vc::h3
