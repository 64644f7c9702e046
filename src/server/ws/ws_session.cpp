// Media WebSocket session.
//
// Lifecycle: upgrade -> (token refused: Control.error 4401 + close) -> await Hello -> joined ->
// closing -> closed. The read loop runs from accept to the end; whatever ends it (peer close,
// transport loss, our own close) calls room.disconnect(), which is a no-op unless this session is
// still the participant's endpoint (so replaced or removed sessions never touch the new one).
//
// Hot path: one read_some per message into a reused buffer, decode_envelope into a reused
// DecodedEnvelope, room.on_media() (one shared Frame for all receivers). Egress on plain TCP: per
// receiver, everything queued goes out in one non-blocking writev of WebSocket frames built here
// (ws_egress.hpp), written at once when nothing is pending and after writability otherwise, by
// the relay thread or by the egress shard the receiver is assigned to (egress_shards.hpp); with
// TLS, one Beast async_write per frame on the relay thread. Pings go through the same path as
// media, so they never interleave with a half-written frame. No logging, no exceptions and no
// allocation here beyond the shared frame.
#include "server/ws/ws_session.hpp"

#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "protocol/close_codes.hpp"
#include "protocol/envelope.hpp"
#include "server/core/room_membership.hpp"
#include "server/ws/egress_shards.hpp"
#include "server/ws/ws_egress.hpp"

namespace vc::ws {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;

// --test-fault-injection only: this binary message makes the handler throw.
constexpr std::string_view kInjectedFaultMessage = "__videocall_test_throw__";

bool is_injected_fault(std::span<const uint8_t> bytes) {
  return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()) ==
         kInjectedFaultMessage;
}
namespace websocket = beast::websocket;
using SteadyClock = std::chrono::steady_clock;

using namespace ::vc::close_code;  // docs/PROTOCOL.md §10

template <class Stream>
class WsSession final : public room::Endpoint,
                        public core::LiveConnection,
                        public EgressOwner,
                        public std::enable_shared_from_this<WsSession<Stream>> {
  // Plain TCP writes frames itself (one writev per turn); TLS goes through Beast.
  static constexpr bool kDirectEgress = std::is_same_v<Stream, http::PlainStream>;

 public:
  WsSession(core::MediaHost& host, EgressShards& egress, Stream&& stream, core::ConnectionSlot slot)
      : room::Endpoint(SendQueueLimits{}, &host.send_queue_budget()),
        host_(host),
        metrics_(host.metrics()),
        egress_(egress),
        slot_(std::move(slot)),
        ws_(std::move(stream)),
        heartbeat_(host.io()) {}

  ~WsSession() override {
    if (channel_ != nullptr) close_socket();  // ends a write our shard may still wait on
    release_channel();
    host_.remove_live(*this);
  }

  void start(http::Request&& req) {
    const std::string token = http::query_param(req.target(), "token");
    auto verified = host_.verify_token(token);
    claims_ = std::move(verified.claims);
    token_error_ = verified.error;

    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = limits::kHandshakeTimeout;  // also bounds the close handshake
    timeouts.idle_timeout = websocket::stream_base::none();  // our heartbeat closes with 4408
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
      res.set(beast::http::field::server, "videocall-server");
    }));
    ws_.read_message_max(limits::kMaxWebSocketMessageBytes);
    ws_.auto_fragment(false);
    ws_.binary(true);
    ws_.control_callback([this](websocket::frame_type, beast::string_view) {
      last_received_ = SteadyClock::now();  // pongs (and pings) count as liveness
    });

    request_ = std::move(req);
    ws_.async_accept(
        request_, [self = this->shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
  }

  // Endpoint: the room queued frames for us. Plain TCP writes at the end of the loop turn, with
  // whatever else the turn routes to us; TLS starts Beast's write now (one frame in flight).
  void on_queue_ready() override {
    if (writing_ || state_ != State::kJoined) return;
    if constexpr (kDirectEgress) {
      if (!write_scheduled_) {
        write_scheduled_ = true;
        egress_.write_this_turn(this->weak_from_this());
      }
    } else {
      write_next();
    }
  }

  // EgressOwner: the turn's other handlers have run.
  void on_write_turn() override {
    write_scheduled_ = false;
    write_next();
  }

  // Endpoint and internal: send Control.error{code}, then close with the same code.
  void close_with_error(uint32_t code, std::string_view reason) override {
    if (state_ == State::kClosing || state_ == State::kClosed) return;
    const bool was_accepting = state_ == State::kAccepting;
    state_ = State::kClosing;
    closing_since_ = SteadyClock::now();
    close_code_ = code;
    close_reason_.assign(reason.substr(0, 120));  // close frames carry at most 123 bytes
    ++metrics_.ws_closed_with_code[code];
    v1::Control control;
    control.mutable_error()->set_code(code);
    control.mutable_error()->set_message(std::string(reason));
    error_frame_ = encode_control(control);
    if (was_accepting) return;  // on_accept continues
    // Never start I/O from inside a room call: post.
    asio::post(host_.io(), [self = this->shared_from_this()] { self->write_next(); });
  }

  void shut_down() override { fail(kShuttingDown, "server shutting down"); }

  void force_close() override { close_socket(); }

  // EgressOwner: our shard wrote (or failed to write) the batch we submitted.
  void on_egress_done(FlushResult result) override {
    writing_ = false;
    if (result == FlushResult::kFailed) return close_socket();  // the read loop then ends
    metrics_.ws_frames_out += submitted_frames_;
    metrics_.ws_bytes_out += submitted_bytes_;
    write_next();
  }

 private:
  enum class State : uint8_t { kAccepting, kAwaitHello, kJoined, kClosing, kClosed };

  void on_accept(beast::error_code ec) {
    request_ = {};
    if (ec) {
      state_ = State::kClosed;
      return;
    }
    host_.add_live(*this);
    ++metrics_.ws_sessions_opened;
    if constexpr (kDirectEgress) {
      channel_ = egress_.attach(beast::get_lowest_layer(ws_).socket().native_handle(), *this);
    }
    last_received_ = accepted_at_ = SteadyClock::now();
    arm_heartbeat();
    if (!claims_) {
      ++metrics_.tokens_refused;
      VC_LOG_INFO("event=token_refused remote={} reason=\"{}\"", slot_.address().to_string(),
                  auth::to_string(token_error_));
      state_ = State::kAwaitHello;
      close_with_error(kUnauthorized, auth::to_string(token_error_));
    } else if (host_.shutting_down()) {
      state_ = State::kAwaitHello;
      close_with_error(kShuttingDown, "server shutting down");
    } else if (state_ == State::kAccepting) {
      state_ = State::kAwaitHello;
    }
    read_next();  // close_with_error above posted the error write
  }

  // ---- reading ----

  void read_next() {
    // Grow by at most one chunk past the limit, so an oversized message costs bounded memory.
    const std::size_t allowance = limits::kMaxEnvelopeBytes + 1 - rx_.size();
    ws_.async_read_some(rx_.prepare(std::min(allowance, limits::kWebSocketReadChunkBytes)),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                          self->on_read(ec, n);
                        });
  }

  void on_read(beast::error_code ec, std::size_t bytes) {
    if (ec) {
      if (ec == websocket::error::message_too_big) ++metrics_.ws_closed_with_code[1009];
      return finish();
    }
    rx_.commit(bytes);
    last_received_ = SteadyClock::now();
    if (rx_.size() > limits::kMaxEnvelopeBytes) {
      rx_.clear();
      fail(kTooLarge, "envelope exceeds max_envelope_bytes");
      return read_next();  // keep reading so the close handshake can finish
    }
    if (!ws_.is_message_done()) return read_next();

    const auto data = rx_.data();
    ++metrics_.ws_messages_in;
    metrics_.ws_bytes_in += data.size();
    try {
      on_message({static_cast<const uint8_t*>(data.data()), data.size()}, ws_.got_binary());
    } catch (const std::exception& e) {
      // Only this connection pays for what its message caused; the relay loop keeps going.
      host_.note_handler_exception("websocket", e.what());
      fail(kInternal, "internal error");
    }
    rx_.consume(rx_.size());
    // Once our close frame is out, Beast's close operation reads until the peer's reply: a read of
    // ours would compete with it for the stream's read side and can stall the handshake.
    if (state_ != State::kClosed && !close_sent_) read_next();
  }

  void on_message(std::span<const uint8_t> bytes, bool binary) {
    if (state_ != State::kAwaitHello && state_ != State::kJoined) return;  // closing: drain
    if (!binary) return fail(kMalformed, "text messages are not part of the protocol");
    if (host_.settings().test_fault_injection && is_injected_fault(bytes)) {
      throw std::runtime_error("injected media fault");
    }
    const EnvelopeError error = decode_envelope(bytes, limits::kMaxEnvelopeBytes, decoded_);
    if (error == EnvelopeError::kTooLarge) return fail(kTooLarge, to_string(error));
    if (error != EnvelopeError::kNone) return fail(kMalformed, to_string(error));

    if (state_ == State::kAwaitHello) return on_hello();
    if (decoded_.body == DecodedEnvelope::Body::kMedia) {
      membership_.on_media(decoded_.header, decoded_.payload);
    } else {
      membership_.on_control(decoded_.control);
    }
  }

  void on_hello() {
    if (decoded_.body != DecodedEnvelope::Body::kControl) {
      return fail(kProtocolViolation, "the first message must be Control.hello");
    }
    // Joined before join(): the room queues JoinAccepted to us right away.
    const auto refusal = host_.join(membership_, *claims_, decoded_.control, *this, "websocket",
                                    [this] { state_ = State::kJoined; });
    if (refusal) {
      state_ = State::kAwaitHello;
      return fail(refusal->code, refusal->reason);
    }
  }

  // Our own decision to end the session: detach from the room first (the participant enters
  // reconnect grace, as on transport loss), then send the error and close.
  void fail(uint32_t code, std::string_view reason) {
    if (state_ == State::kClosing || state_ == State::kClosed) return;
    detach_from_room();
    close_with_error(code, reason);
  }

  void detach_from_room() { membership_.leave(*this); }

  // The read loop ended: the connection is gone.
  void finish() {
    if (state_ == State::kClosed) return;
    if (claims_ && membership_.joined()) {
      VC_LOG_INFO("event=session_closed meeting=\"{}\" participant={} session={} code={}",
                  log::escaped(claims_->meeting_id), claims_->participant_id,
                  membership_.session_id(), close_code_);
    }
    state_ = State::kClosed;
    detach_from_room();
    heartbeat_.cancel();
    host_.remove_live(*this);
    close_socket();
    release_channel();
  }

  // With a shard holding a dup of the socket, close() alone would not end the connection.
  void close_socket() {
    auto& socket = beast::get_lowest_layer(ws_).socket();
    beast::error_code ignored;
    if (channel_ != nullptr) socket.shutdown(asio::socket_base::shutdown_both, ignored);
    socket.close(ignored);
  }

  void release_channel() {
    if (channel_ != nullptr) egress_.release(*std::exchange(channel_, nullptr));
  }

  // ---- writing ----

  // Closing: control the room queued before the close (the host's "meeting ended" event, a
  // roster change) still goes out ahead of Control.error; queued media does not.
  FrameRef pop_control_while_closing() {
    if (queue().empty() || queue().next_lane() != Lane::kControl) return {};
    return queue().pop();
  }

  void write_next() {
    if (writing_ || state_ == State::kClosed) return;
    if constexpr (kDirectEgress) return write_direct();
    if (state_ == State::kClosing) {
      if (FrameRef control = pop_control_while_closing()) {
        in_flight_ = std::move(control);
      } else if (error_frame_) {
        in_flight_ = std::move(error_frame_);
        error_frame_ = {};
      } else {
        if (close_sent_) return;
        close_sent_ = true;
        websocket::close_reason reason(static_cast<std::uint16_t>(close_code_));
        reason.reason.assign(close_reason_.data(), close_reason_.size());
        ws_.async_close(reason,
                        [self = this->shared_from_this()](beast::error_code) { self->finish(); });
        return;
      }
    } else {
      in_flight_ = queue().pop();
      if (!in_flight_) return;
    }
    writing_ = true;
    const auto bytes = in_flight_->bytes();
    // The FrameRef in in_flight_ keeps the shared bytes alive until the write completes.
    ws_.async_write(asio::const_buffer(bytes.data(), bytes.size()),
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                      self->on_write(ec, n);
                    });
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    writing_ = false;
    in_flight_ = {};
    if (ec) {
      // Transport broken: closing the socket ends the read loop, which detaches from the room.
      close_socket();
      return;
    }
    ++metrics_.ws_frames_out;
    metrics_.ws_bytes_out += bytes;
    write_next();
  }

  // Direct egress (plain TCP): fills the batch from the queue and writes it without blocking; a
  // short write waits for writability (writing_) with the rest of the batch kept. A receiver on
  // an egress shard hands the batch to its shard instead (writing_ until on_egress_done). Closing:
  // what is pending goes first, then Control.error, then Beast's close handshake.
  void write_direct() {
    // Asked each time, never cached: whoever closes the socket (we, or Beast's teardown after a
    // protocol error) leaves -1 here, while a cached number could by then be another connection's.
    const int fd = beast::get_lowest_layer(ws_).socket().native_handle();
    // sendmsg is writev with flags: never blocks, never raises SIGPIPE.
    auto writev_fn = [fd](const iovec* iov, int count) {
      msghdr message{};
      message.msg_iov = const_cast<iovec*>(iov);
      message.msg_iovlen = static_cast<std::size_t>(count);
      return ::sendmsg(fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
    };
    WsWriteBatch& batch = channel_ != nullptr ? channel_->batch() : batch_;
    for (;;) {
      if (state_ == State::kClosing) {
        while (!batch.full()) {
          FrameRef control = pop_control_while_closing();
          if (!control) break;
          batch.add(std::move(control));
        }
        if (error_frame_ && batch.add(error_frame_)) error_frame_ = {};
      } else {
        while (!batch.full()) {
          FrameRef frame = queue().pop();
          if (!frame) break;
          batch.add(std::move(frame));
        }
      }
      if (ping_due_ && state_ != State::kClosing) ping_due_ = !batch.add_ping();
      if (batch.empty()) break;
      const std::size_t frames = batch.frame_count();
      const std::size_t bytes = batch.payload_bytes();
      if (channel_ != nullptr) {
        writing_ = true;
        submitted_frames_ = frames;
        submitted_bytes_ = bytes;
        egress_.submit(*channel_);
        return;
      }
      const FlushResult result = batch.flush(writev_fn);
      if (result == FlushResult::kFailed) {
        // Transport broken: closing the socket ends the read loop, which detaches from the room.
        batch.clear();
        force_close();
        return;
      }
      if (result == FlushResult::kBlocked) {
        writing_ = true;
        beast::get_lowest_layer(ws_).socket().async_wait(
            asio::socket_base::wait_write, [self = this->shared_from_this()](beast::error_code ec) {
              self->writing_ = false;
              if (!ec) self->write_next();
            });
        return;
      }
      metrics_.ws_frames_out += frames;
      metrics_.ws_bytes_out += bytes;
      if (state_ == State::kClosing ? !error_frame_ : queue().empty()) break;
    }
    if (state_ == State::kClosing && !close_sent_) {
      close_sent_ = true;
      websocket::close_reason reason(static_cast<std::uint16_t>(close_code_));
      reason.reason.assign(close_reason_.data(), close_reason_.size());
      ws_.async_close(reason,
                      [self = this->shared_from_this()](beast::error_code) { self->finish(); });
    }
  }

  // ---- liveness ----

  void arm_heartbeat() {
    heartbeat_.expires_after(
        std::min<SteadyClock::duration>(limits::kHeartbeatInterval, limits::kHandshakeTimeout));
    heartbeat_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->on_heartbeat();
    });
  }

  void on_heartbeat() {
    if (state_ == State::kClosed) return;
    const auto now = SteadyClock::now();
    if (state_ == State::kClosing) {
      // A peer that never reads would block the error frame and the close forever.
      if (now - closing_since_ >= limits::kHandshakeTimeout) close_socket();
    } else if (state_ == State::kAwaitHello && now - accepted_at_ >= limits::kHandshakeTimeout) {
      fail(kIdleTimeout, "no hello received");
    } else if (now - last_received_ >= std::chrono::seconds(host_.settings().idle_timeout_s)) {
      fail(kIdleTimeout, "idle timeout");
    } else if constexpr (kDirectEgress) {
      ping_due_ = true;
      write_next();  // behind whatever is pending, never inside a half-written frame
    } else if (!ping_in_flight_) {
      ping_in_flight_ = true;
      ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) {
        self->ping_in_flight_ = false;
      });
    }
    arm_heartbeat();
  }

  core::MediaHost& host_;
  core::MediaMetrics& metrics_;
  EgressShards& egress_;
  EgressChannel* channel_ = nullptr;  // set when an egress shard writes our media
  std::size_t submitted_frames_ = 0;  // in the batch our shard holds, for the metrics
  std::size_t submitted_bytes_ = 0;
  core::ConnectionSlot slot_;
  websocket::stream<Stream> ws_;
  asio::steady_timer heartbeat_;
  http::Request request_;
  std::optional<auth::RoomClaims> claims_;
  auth::TokenError token_error_ = auth::TokenError::kNone;
  core::RoomMembership membership_;
  State state_ = State::kAccepting;
  bool writing_ = false;
  bool write_scheduled_ = false;  // direct egress: on_write_turn() is coming
  bool close_sent_ = false;
  bool ping_in_flight_ = false;
  bool ping_due_ = false;
  uint32_t close_code_ = 1000;
  std::string close_reason_;
  FrameRef in_flight_;
  FrameRef error_frame_;
  // Direct egress only: TLS sessions carry nothing here (a batch is about 3 KB).
  struct NoBatch {};
  [[no_unique_address]] std::conditional_t<kDirectEgress, WsWriteBatch, NoBatch> batch_;
  beast::flat_buffer rx_;
  DecodedEnvelope decoded_;
  SteadyClock::time_point accepted_at_;
  SteadyClock::time_point last_received_;
  SteadyClock::time_point closing_since_;
};

template <class Stream>
void start(core::MediaHost& host, EgressShards& egress, Stream&& stream, http::Request&& req,
           core::ConnectionSlot slot) {
  auto session =
      std::make_shared<WsSession<Stream>>(host, egress, std::move(stream), std::move(slot));
  session->start(std::move(req));
}

}  // namespace

void start_media_session(core::MediaHost& host, EgressShards& egress, http::PlainStream&& stream,
                         http::Request&& req, core::ConnectionSlot slot) {
  start(host, egress, std::move(stream), std::move(req), std::move(slot));
}

void start_media_session(core::MediaHost& host, EgressShards& egress, http::TlsStream&& stream,
                         http::Request&& req, core::ConnectionSlot slot) {
  start(host, egress, std::move(stream), std::move(req), std::move(slot));
}

}  // namespace vc::ws
