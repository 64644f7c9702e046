// Client: one participant's session. Joins over REST, runs WebTransport or the WebSocket (with the
// browser's fallback from one to the other), keeps the roster protocol, and reconnects with
// backoff when the transport drops.
#include "videocall/client.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <optional>

#include "backoff.hpp"
#include "chat_receiver.hpp"
#include "common/limits.hpp"
#include "common/log.hpp"
#include "e2ee_session.hpp"
#include "http_join.hpp"
#include "outbox.hpp"
#include "protocol/envelope.hpp"
#include "subscriptions.hpp"
#include "transport.hpp"

namespace vc::client {

namespace asio = boost::asio;

namespace {

uint64_t now_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

class ClientImpl final : public Client,
                         public TransportListener,
                         public std::enable_shared_from_this<ClientImpl> {
 public:
  ClientImpl(EventLoop& loop, ClientConfig config, ClientEvents events)
      : strand_(asio::make_strand(loop.context())),
        config_(std::move(config)),
        events_(std::move(events)),
        outbox_(config_),
        backoff_(config_.reconnect_initial_delay, config_.reconnect_max_delay,
                 reinterpret_cast<uintptr_t>(this) ^ now_us()),
        retry_timer_(strand_),
        ping_timer_(strand_),
        renew_timer_(strand_),
        token_(config_.token),
        subscriptions_(config_.subscriptions),
        e2ee_(config_.e2ee) {}

  void start() override {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->state_ != State::kIdle) return;
      const auto url = parse_server_url(self->config_.server_url);
      if (!url) {
        self->finish(
            {ErrorKind::kBadArgument, 0, "invalid server URL: " + self->config_.server_url});
        return;
      }
      if (self->token_.empty() &&
          (!is_valid_meeting_id(self->config_.meeting_id) || self->config_.display_name.empty() ||
           self->config_.display_name.size() > limits::kMaxDisplayNameBytes)) {
        self->finish({ErrorKind::kBadArgument, 0,
                      "need a token, or a meeting id ([A-Za-z0-9_-]{1,64}) and a display name "
                      "(1..64 bytes)"});
        return;
      }
      self->servers_.push_back(*url);
      for (const auto& fallback : self->config_.fallback_server_urls) {
        const auto parsed = parse_server_url(fallback);
        if (!parsed) {
          self->finish({ErrorKind::kBadArgument, 0, "invalid fallback server URL: " + fallback});
          return;
        }
        self->servers_.push_back(*parsed);
      }
      self->server_ = self->servers_.front();
      self->begin_attempt();
    });
  }

  void publish_track(const v1::Track& track) override {
    asio::post(strand_, [self = shared_from_this(), track] { self->remember_and_publish(track); });
  }

  void unpublish_track(uint32_t track_id) override {
    asio::post(strand_, [self = shared_from_this(), track_id] {
      auto& tracks = self->published_;
      const auto it = std::find_if(tracks.begin(), tracks.end(),
                                   [&](const v1::Track& t) { return t.track_id() == track_id; });
      if (it == tracks.end()) return;
      tracks.erase(it);
      if (!self->hello_sent()) return;
      v1::Control control;
      control.mutable_unpublish_track()->set_track_id(track_id);
      self->send_now(encode_control(control));
    });
  }

  void send_media(const v1::MediaHeader& header, std::span<const uint8_t> payload) override {
    PublishedTrackKey key{header.track_id(), header.kind(), header.codec(), header.width(),
                          header.height()};
    v1::MediaHeader out = header;
    if (out.track_id() == 0) out.set_track_id(default_track_id(header.kind()));
    key.track_id = out.track_id();
    // End-to-end encryption covers the header as sent (our id included), so it is final here.
    const bool encrypt = e2ee_.active();
    std::optional<e2ee::Bytes> sealed;
    if (encrypt) sealed = e2ee_.encrypt(out, payload);
    if (encrypt && !sealed) {
      outbox_.count_dropped(header.kind() != v1::MEDIA_KIND_AUDIO);
      return;
    }
    FrameRef frame = encode_media(out, sealed ? std::span<const uint8_t>(*sealed) : payload);
    asio::post(strand_,
               [self = shared_from_this(), key, encrypt, frame = std::move(frame)]() mutable {
                 self->publish_if_new(key);
                 // Encryption turned on meanwhile (a meeting that requires it): never send
                 // cleartext.
                 if (!encrypt && self->e2ee_.active()) {
                   self->outbox_.count_dropped(frame->meta().lane == Lane::kVideo);
                   return;
                 }
                 self->queue_media(std::move(frame));
               });
  }

  void update_subscriptions(const v1::UpdateSubscriptions& update) override {
    asio::post(strand_, [self = shared_from_this(), update] {
      self->subscriptions_.apply(update);
      if (!self->hello_sent()) return;  // stated behind the next Hello
      v1::Control control;
      *control.mutable_update_subscriptions() = update;
      self->send_now(encode_control(control));
    });
  }

  void request_keyframe(uint64_t publisher, v1::MediaKind kind, uint32_t track_id) override {
    v1::Control control;
    auto* request = control.mutable_keyframe_request();
    request->set_publisher_participant_id(publisher);
    request->set_kind(kind);
    request->set_track_id(track_id);
    send_control_when_joined(std::move(control));
  }

  void set_media_state(const v1::MediaState& state) override {
    v1::Control control;
    *control.mutable_media_state() = state;
    asio::post(strand_,
               [self = shared_from_this(), state] { self->config_.initial_media_state = state; });
    send_control_when_joined(std::move(control));
  }

  void send_chat(const std::string& text, uint64_t client_message_id) override {
    send_control_when_joined(chat_control(text, client_message_id));
  }
  void raise_hand(bool raised) override { send_control_when_joined(raise_hand_control(raised)); }
  void send_reaction(const std::string& emoji) override {
    send_control_when_joined(reaction_control(emoji));
  }

  void leave() override {
    asio::post(strand_, [self = shared_from_this()] {
      if (self->state_ == State::kClosed) return;
      if (self->state_ == State::kJoined) {
        v1::Control control;
        control.mutable_leave();
        self->push_control(encode_control(control));
      }
      self->finish({ErrorKind::kLocalClose, 1000, "left the meeting"});
    });
  }

  ClientStats stats() const override {
    ClientStats out;
    outbox_.fill(out);
    out.media_received = media_received_.load(std::memory_order_relaxed);
    out.bytes_received = bytes_received_.load(std::memory_order_relaxed);
    out.reconnects = reconnects_.load(std::memory_order_relaxed);
    const e2ee::Stats e2ee = e2ee_.stats();
    out.e2ee_encrypted = e2ee.encrypted;
    out.e2ee_decrypted = e2ee.decrypted;
    out.e2ee_auth_failed = e2ee.auth_failed;
    out.e2ee_no_key = e2ee.no_key;
    out.e2ee_malformed = e2ee.malformed;
    return out;
  }

  // TransportListener (all on the strand).
  void on_transport_open() override {
    transport_opened_ = true;
    v1::Control control;
    auto* hello = control.mutable_hello();
    hello->set_protocol_version(v1::PROTOCOL_VERSION_1);
    hello->set_client(config_.client_name);
    hello->set_receive_only(config_.receive_only);
    *hello->mutable_media_state() = config_.initial_media_state;
    if (subscriptions_.defaults()) *hello->mutable_subscriptions() = *subscriptions_.defaults();
    e2ee_.fill_hello(*hello);
    push_control(encode_control(control));
    // In order behind Hello on the control stream: the server knows our tracks before any frame,
    // and a resumed session gets back the subscriptions the server reset.
    for (const auto& track : published_) send_publish(track);
    if (auto replay = subscriptions_.replay()) {
      v1::Control update;
      *update.mutable_update_subscriptions() = std::move(*replay);
      push_control(encode_control(update));
    }
    if (transport_) transport_->flush();
  }

  void on_transport_message(std::span<const uint8_t> wire) override {
    bytes_received_.fetch_add(wire.size(), std::memory_order_relaxed);
    const EnvelopeError error = decode_envelope(wire, limits::kMaxEnvelopeBytes, decoded_);
    if (error != EnvelopeError::kNone) {
      VC_LOG_WARN("event=bad_envelope error=\"{}\" bytes={}", to_string(error), wire.size());
      return;  // tolerate: a newer server may send something we do not know
    }
    if (decoded_.body == DecodedEnvelope::Body::kMedia) {
      media_received_.fetch_add(1, std::memory_order_relaxed);
      if (!e2ee_.active()) {
        if (events_.on_media) events_.on_media(decoded_.header, decoded_.payload);
        return;
      }
      // A frame that does not decrypt is dropped and counted (stats().e2ee_*), never delivered.
      if (e2ee_.decrypt(decoded_.header, decoded_.payload, plaintext_) ==
              e2ee::DecryptResult::kOk &&
          events_.on_media) {
        events_.on_media(decoded_.header, plaintext_);
      }
      return;
    }
    handle_control(decoded_.control);
  }

  void on_transport_closed(const ClientError& error) override {
    transport_.reset();
    // A restarted server has a new self-signed certificate: ask for fresh hashes next attempt.
    if (transport_kind_ == TransportKind::kWebTransport && !transport_opened_) {
      webtransport_stale_ = true;
    }
    if (transport_kind_ == TransportKind::kWebTransport && !transport_opened_ &&
        config_.transport == TransportPreference::kAuto && state_ == State::kConnecting) {
      // Like the browser: WebTransport that does not open (UDP blocked, slow, refused) falls
      // back to the WebSocket within the same attempt.
      VC_LOG_INFO("event=webtransport_fallback reason=\"{}\"", error.message);
      open_websocket();
      return;
    }
    handle_failure(error);
  }

  FrameRef next_outgoing() override { return outbox_.pop(); }

 private:
  enum class State : uint8_t { kIdle, kJoining, kConnecting, kJoined, kWaitingRetry, kClosed };

  void begin_attempt() {
    state_ = State::kJoining;
    server_error_.reset();
    asio::co_spawn(strand_, attempt(shared_from_this()), asio::detached);
  }

  static asio::awaitable<void> attempt(std::shared_ptr<ClientImpl> self) {
    if (self->token_.empty()) {
      HttpOptions options{self->config_.connect_timeout, self->config_.tls_verify,
                          self->config_.tls_ca_file};
      auto result = co_await http_join(self->strand_, self->server_, self->config_.meeting_id,
                                       self->config_.display_name, options);
      if (self->state_ != State::kJoining) co_return;  // left meanwhile
      if (auto* error = std::get_if<ClientError>(&result)) {
        self->handle_failure(*error);
        co_return;
      }
      auto& grant = std::get<JoinGrant>(result);
      self->learn_servers(grant.alternate_servers);
      self->token_ = std::move(grant.token);
      self->schedule_token_renewal(grant.expires_at);
      self->ws_path_ = grant.ws_path;
      self->webtransport_ = std::move(grant.webtransport);
      self->webtransport_server_index_ = self->server_index_;
      self->webtransport_stale_ = false;
    } else if (self->config_.transport != TransportPreference::kWebSocket &&
               (self->webtransport_server_index_ != self->server_index_ ||
                self->webtransport_stale_) &&
               !self->config_.meeting_id.empty()) {
      // Each node (and each restart of one) has its own QUIC endpoint and certificate: ask this
      // one for its WebTransport endpoint by renewing our token there (same participant, so the
      // identity survives).
      HttpOptions options{self->config_.connect_timeout, self->config_.tls_verify,
                          self->config_.tls_ca_file};
      // A copy: the background renewal may replace token_ while we are suspended.
      const std::string token = self->token_;
      auto result = co_await http_renew_token(self->strand_, self->server_,
                                              self->config_.meeting_id, token, options);
      if (self->state_ != State::kJoining) co_return;
      if (auto* error = std::get_if<ClientError>(&result)) {
        if (self->config_.transport == TransportPreference::kWebTransport) {
          self->handle_failure(*error);
          co_return;
        }
        self->webtransport_.reset();  // auto: this node gets the WebSocket
      } else {
        auto& grant = std::get<JoinGrant>(result);
        self->learn_servers(grant.alternate_servers);
        self->token_ = std::move(grant.token);
        self->schedule_token_renewal(grant.expires_at);
        self->webtransport_ = std::move(grant.webtransport);
      }
      self->webtransport_server_index_ = self->server_index_;
      self->webtransport_stale_ = false;
    }
    self->open_transport();
  }

  // The server named the other nodes of its deployment: reconnects may move on to them after the
  // configured servers (the browser does the same). Unparsable or known entries are skipped.
  void learn_servers(const std::vector<std::string>& alternates) {
    for (const std::string& text : alternates) {
      const auto url = parse_server_url(text);
      if (!url) continue;
      const bool known = std::any_of(servers_.begin(), servers_.end(), [&](const ServerUrl& s) {
        return s.secure == url->secure && s.host == url->host && s.port == url->port &&
               s.base_path == url->base_path;
      });
      if (!known) servers_.push_back(*url);
    }
  }

  void open_transport() {
    state_ = State::kConnecting;
    transport_opened_ = false;
    if (config_.transport == TransportPreference::kWebSocket) {
      open_websocket();
      return;
    }
    std::string unavailable;
    if (!webtransport_) {
      unavailable = config_.meeting_id.empty()
                        ? "WebTransport needs a meeting id and name to join with (its endpoint "
                          "comes from the join response)"
                        : "the server offers no WebTransport (no \"webtransport\" in its join "
                          "response: QUIC disabled with --no-quic, or UDP port not published)";
    } else if (webtransport_->certificate_sha256.empty()) {
      unavailable =
          "the server's WebTransport certificate has no pinnable hash, and this client only "
          "supports pinned certificates (serverCertificateHashes)";
    } else if (!open_webtransport()) {
      unavailable = "invalid WebTransport URL in the join response: " + webtransport_->url;
    }
    if (unavailable.empty()) return;
    if (config_.transport == TransportPreference::kWebTransport) {
      handle_failure({ErrorKind::kUnreachable, 0, unavailable});
      return;
    }
    VC_LOG_DEBUG("event=webtransport_unavailable reason=\"{}\"", unavailable);
    open_websocket();
  }

  bool open_webtransport() {
    const auto url = parse_server_url(webtransport_->url);
    if (!url) return false;
    TransportTarget target;
    target.server = *url;
    const std::string path = url->base_path.empty() ? "/wt" : url->base_path;
    target.path_and_query = path + "?token=" + url_encode(token_);
    target.connect_timeout =
        config_.transport == TransportPreference::kAuto
            ? std::min(config_.webtransport_fallback_timeout, config_.connect_timeout)
            : config_.connect_timeout;
    target.certificate_sha256 = webtransport_->certificate_sha256;
    target.bind_address = config_.webtransport_bind_address;
    transport_kind_ = TransportKind::kWebTransport;
    transport_ = make_webtransport_transport(strand_, weak_from_this());
    transport_->open(target);
    return true;
  }

  void open_websocket() {
    TransportTarget target;
    target.server = server_;
    std::string path = ws_path_.empty() ? "/ws" : ws_path_;
    if (path.find("://") != std::string::npos) {
      // An absolute ws_url: keep its path only; host and port stay those we joined through.
      const auto after_scheme = path.find("://") + 3;
      const auto slash = path.find('/', after_scheme);
      path = slash == std::string::npos ? "/ws" : path.substr(slash);
    } else {
      path = server_.base_path + path;
    }
    target.path_and_query =
        path + (path.find('?') == std::string::npos ? "?" : "&") + "token=" + url_encode(token_);
    target.connect_timeout = config_.connect_timeout;
    target.tls_verify = config_.tls_verify;
    target.tls_ca_file = config_.tls_ca_file;
    transport_kind_ = TransportKind::kWebSocket;
    transport_ = make_websocket_transport(strand_, weak_from_this(), server_.secure);
    transport_->open(target);
  }

  void handle_control(const v1::Control& control) {
    switch (control.message_case()) {
      case v1::Control::kJoinAccepted: {
        const auto& accepted = control.join_accepted();
        state_ = State::kJoined;
        ever_joined_ = true;
        token_refreshed_ = false;
        backoff_.reset();
        JoinInfo info;
        info.participant_id = accepted.participant_id();
        info.session_id = accepted.session_id();
        info.meeting_id = accepted.meeting_id();
        info.resumed = accepted.resumed();
        info.max_envelope_bytes = accepted.max_envelope_bytes();
        info.roster.assign(accepted.roster().begin(), accepted.roster().end());
        info.transport = transport_kind_;
        schedule_ping();
        for (const v1::Control& e2ee : e2ee_.on_joined(accepted)) send_now(encode_control(e2ee));
        if (events_.on_joined) events_.on_joined(info);
        report_e2ee_status();
        // Receivers need a keyframe from us after a (re)join.
        for (const auto& [kind, track] : outbox_.video_tracks()) {
          if (events_.on_local_video_dropped) {
            events_.on_local_video_dropped(static_cast<v1::MediaKind>(kind), track);
          }
        }
        break;
      }
      case v1::Control::kParticipantJoined:
        send_e2ee(e2ee_.on_participant(control.participant_joined().participant()));
        if (events_.on_participant_joined)
          events_.on_participant_joined(control.participant_joined().participant());
        break;
      case v1::Control::kParticipantLeft:
        subscriptions_.forget_publisher(control.participant_left().participant_id());
        send_e2ee(e2ee_.on_left(control.participant_left().participant_id()));
        if (events_.on_participant_left) {
          events_.on_participant_left(control.participant_left().participant_id(),
                                      control.participant_left().reason());
        }
        break;
      case v1::Control::kParticipantUpdated:
        send_e2ee(e2ee_.on_participant(control.participant_updated().participant()));
        if (events_.on_participant_updated)
          events_.on_participant_updated(control.participant_updated().participant());
        break;
      case v1::Control::kE2EeKeyMessage: {
        // The sender's frames we dropped without a key need a keyframe to decode from.
        const uint64_t from = control.e2ee_key_message().from_participant_id();
        for (const auto& [kind, track] : e2ee_.on_key_message(control.e2ee_key_message())) {
          request_keyframe(from, static_cast<v1::MediaKind>(kind), track);
        }
        break;
      }
      case v1::Control::kKeyframeRequest:
        if (events_.on_keyframe_request) events_.on_keyframe_request(control.keyframe_request());
        break;
      case v1::Control::kError:
        // The close that follows carries the same code; keep the human-readable message.
        server_error_ = ClientError{
            classify_close_code(control.error().code()), control.error().code(),
            (classify_close_code(control.error().code()) == ErrorKind::kRefused
                 ? "refused by the server ("
                 : "closed by the server (") +
                std::to_string(control.error().code()) + "): " + control.error().message()};
        VC_LOG_WARN("event=server_error code={} message=\"{}\"", control.error().code(),
                    control.error().message());
        break;
      case v1::Control::kPing: {
        v1::Control pong;
        pong.mutable_pong()->set_nonce(control.ping().nonce());
        pong.mutable_pong()->set_client_time_us(control.ping().client_time_us());
        pong.mutable_pong()->set_server_time_us(now_us());
        send_now(encode_control(pong));
        break;
      }
      default:
        chat_.handle(control, events_);  // chat, reactions, refusals; else Pong or newer
        break;
    }
  }

  // Sends E2EE control (sealed keys) and reports a changed safety code.
  void send_e2ee(const std::vector<v1::Control>& controls) {
    for (const v1::Control& control : controls) send_now(encode_control(control));
    report_e2ee_status();
  }

  void report_e2ee_status() {
    if (!e2ee_.active()) return;
    E2eeStatus status = e2ee_.status();
    if (reported_e2ee_ && status.mode == reported_e2ee_->mode &&
        status.safety_code == reported_e2ee_->safety_code)
      return;
    reported_e2ee_ = status;
    if (events_.on_e2ee_status) events_.on_e2ee_status(status);
  }

  void queue_media(FrameRef frame) {
    const Outbox::Push result = outbox_.push_media(std::move(frame), state_ == State::kJoined,
                                                   events_.on_local_video_dropped);
    if (result == Outbox::Push::kNotDraining) drop_stuck_connection();
    if (transport_) transport_->flush();
  }

  void push_control(FrameRef frame) {
    if (outbox_.push_control(std::move(frame)) == Outbox::Push::kNotDraining) {
      drop_stuck_connection();
    }
  }

  // A connection that lets the control lane or the whole queue pass its cap is not draining: it
  // is dropped and the session reconnects, as after any transport failure (on the next strand
  // turn, outside the caller's handler).
  void drop_stuck_connection() {
    if (stuck_pending_) return;
    stuck_pending_ = true;
    asio::post(strand_, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      self->stuck_pending_ = false;
      if (!self->transport_ || self->state_ == State::kClosed) return;
      VC_LOG_WARN("event=send_queue_over_cap queued_bytes={}", self->outbox_.queued_bytes());
      self->handle_failure({ErrorKind::kUnreachable, 0, "connection not draining its send queue"});
    });
  }

  struct PublishedTrackKey {
    uint32_t track_id;
    v1::MediaKind kind;
    v1::Codec codec;
    uint32_t width;
    uint32_t height;
  };

  void publish_if_new(const PublishedTrackKey& key) {
    if (key.track_id == 0 || config_.receive_only) return;  // the server drops it and counts it
    for (const auto& track : published_) {
      if (track.track_id() == key.track_id) return;
    }
    v1::Track track = default_track(key.kind, key.codec, key.width, key.height);
    if (track.source() == v1::TRACK_SOURCE_UNSPECIFIED) return;
    track.set_track_id(key.track_id);
    remember_and_publish(track);
  }

  void remember_and_publish(const v1::Track& track) {
    auto it = std::find_if(published_.begin(), published_.end(), [&](const v1::Track& known) {
      return known.track_id() == track.track_id();
    });
    if (it != published_.end()) {
      *it = track;
    } else if (published_.size() < limits::kMaxTracksPerPublisher) {
      published_.push_back(track);
    }
    if (hello_sent()) send_publish(track);  // else it goes out behind the next Hello
  }

  // Control sent now lands behind this connection's Hello. Not while a reconnect is pending: the
  // queue keeps control across it, and the next Hello must come first (it re-states everything).
  bool hello_sent() const {
    return transport_opened_ && (state_ == State::kConnecting || state_ == State::kJoined);
  }

  void send_publish(const v1::Track& track) {
    v1::Control control;
    *control.mutable_publish_track()->mutable_track() = track;
    send_now(encode_control(control));
  }

  void send_control_when_joined(v1::Control control) {
    FrameRef frame = encode_control(control);
    asio::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
      if (self->state_ != State::kJoined) return;  // state is re-sent in Hello on reconnect
      self->send_now(std::move(frame));
    });
  }

  void send_now(FrameRef frame) {
    push_control(std::move(frame));
    if (transport_) transport_->flush();
  }

  // Renews the room token ahead of its expiry (like the browser), so a reconnect late in a long
  // call still resumes the same participant instead of rejoining as a new one.
  void schedule_token_renewal(int64_t expires_at) {
    renew_timer_.cancel();
    if (expires_at <= 0 || config_.meeting_id.empty() || state_ == State::kClosed) return;
    const int64_t now = static_cast<int64_t>(now_us() / 1000000);
    const int64_t remaining = expires_at - now;
    const int64_t lead = std::min<int64_t>(60, remaining / 3);
    renew_timer_.expires_after(std::chrono::seconds(std::max<int64_t>(1, remaining - lead)));
    renew_timer_.async_wait([weak = weak_from_this(), expires_at](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ == State::kClosed) return;
      asio::co_spawn(self->strand_, renew_token(self, expires_at), asio::detached);
    });
  }

  static asio::awaitable<void> renew_token(std::shared_ptr<ClientImpl> self, int64_t expires_at) {
    HttpOptions options{self->config_.connect_timeout, self->config_.tls_verify,
                        self->config_.tls_ca_file};
    // Copies: a reconnect attempt may move server_ and replace token_ while we are suspended.
    const ServerUrl server = self->server_;
    const std::string token = self->token_;
    auto result =
        co_await http_renew_token(self->strand_, server, self->config_.meeting_id, token, options);
    if (self->state_ == State::kClosed) co_return;
    if (auto* grant = std::get_if<JoinGrant>(&result)) {
      self->learn_servers(grant->alternate_servers);
      self->token_ = std::move(grant->token);
      self->schedule_token_renewal(grant->expires_at);
      co_return;
    }
    // Node down or busy: try again soon while the old token is still valid (a reconnect through
    // another node renews there too).
    const int64_t now = static_cast<int64_t>(now_us() / 1000000);
    if (expires_at - now > 5) {
      self->renew_timer_.expires_after(std::chrono::seconds(5));
      self->renew_timer_.async_wait(
          [weak = std::weak_ptr<ClientImpl>(self), expires_at](boost::system::error_code ec) {
            auto again = weak.lock();
            if (ec || !again || again->state_ == State::kClosed) return;
            asio::co_spawn(again->strand_, renew_token(again, expires_at), asio::detached);
          });
    }
  }

  void schedule_ping() {
    ping_timer_.expires_after(limits::kHeartbeatInterval);
    ping_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ != State::kJoined) return;
      v1::Control control;
      control.mutable_ping()->set_nonce(++self->ping_nonce_);
      control.mutable_ping()->set_client_time_us(now_us());
      self->send_now(encode_control(control));
      self->schedule_ping();
    });
  }

  void handle_failure(ClientError error) {
    if (state_ == State::kClosed) return;
    ping_timer_.cancel();
    if (transport_) {
      transport_->close(1001);
      transport_.reset();
    }
    if (server_error_) error = *server_error_;  // its message says more than the close frame
    server_error_.reset();

    bool retry = config_.reconnect && (ever_joined_ || config_.retry_first_connect);
    switch (error.kind) {
      case ErrorKind::kRefused:
        // An expired token after a long outage: fetch a fresh one once, if we can.
        if (error.code == 4401 && ever_joined_ && !config_.meeting_id.empty() &&
            !token_refreshed_ && config_.token.empty()) {
          token_.clear();
          token_refreshed_ = true;
        } else {
          retry = false;
        }
        break;
      case ErrorKind::kBadArgument:
      case ErrorKind::kProtocol:
        retry = false;
        break;
      case ErrorKind::kServerClosed:
        // Rate limited: retrying later is the point, even for the first connection.
        if (error.code == 4429) retry = config_.reconnect;
        retry = retry && is_retryable_close_code(error.code);
        break;
      default:
        break;
    }
    if (!retry) {
      finish(error);
      return;
    }
    // Nothing queued survives the connection: Hello must be the first envelope of the next one,
    // and it carries the state (tracks, subscriptions, media state) that queued control updated.
    outbox_.reset_for_new_connection();
    reconnects_.fetch_add(1, std::memory_order_relaxed);
    if (servers_.size() > 1) {
      // Try the next node: if this one died, the next attempt already lands on a live one.
      server_index_ = (server_index_ + 1) % servers_.size();
      server_ = servers_[server_index_];
    }
    state_ = State::kWaitingRetry;
    const auto delay = backoff_.next();
    VC_LOG_INFO("event=reconnecting reason=\"{}\" delay_ms={}", error.message, delay.count());
    if (events_.on_reconnecting) events_.on_reconnecting(error, delay);
    retry_timer_.expires_after(delay);
    retry_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->state_ != State::kWaitingRetry) return;
      self->begin_attempt();
    });
  }

  void finish(const ClientError& error) {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    retry_timer_.cancel();
    ping_timer_.cancel();
    renew_timer_.cancel();
    if (transport_) {
      transport_->close(error.kind == ErrorKind::kLocalClose ? 1000 : 1001);
      transport_.reset();
    }
    outbox_.clear();
    if (events_.on_closed) events_.on_closed(error);
  }

  asio::strand<asio::io_context::executor_type> strand_;
  ClientConfig config_;
  ClientEvents events_;
  Outbox outbox_;
  bool stuck_pending_ = false;  // a stuck connection was reported, not yet handled
  Backoff backoff_;
  asio::steady_timer retry_timer_;
  asio::steady_timer ping_timer_;
  asio::steady_timer renew_timer_;
  ServerUrl server_;
  std::vector<ServerUrl> servers_;  // server_url, then fallback_server_urls
  std::size_t server_index_ = 0;
  std::string token_;
  std::string ws_path_ = "/ws";
  std::shared_ptr<Transport> transport_;
  TransportKind transport_kind_ = TransportKind::kWebSocket;
  bool transport_opened_ = false;  // the current transport reached on_transport_open
  std::optional<WebTransportEndpoint> webtransport_;  // from the last join or token renewal
  std::size_t webtransport_server_index_ = SIZE_MAX;  // which server webtransport_ came from
  bool webtransport_stale_ = false;  // WebTransport failed to open: renew before the next try
  DecodedEnvelope decoded_;
  std::optional<ClientError> server_error_;
  ChatReceiver chat_;                 // de-duplicates chat by message id
  SubscriptionBook subscriptions_;    // stated again on every (re)connection
  std::vector<v1::Track> published_;  // re-published after every (re)join
  ClientE2ee e2ee_;
  e2ee::Bytes plaintext_;                    // reused for each decrypted frame
  std::optional<E2eeStatus> reported_e2ee_;  // last on_e2ee_status, to report changes only
  State state_ = State::kIdle;
  bool ever_joined_ = false;
  bool token_refreshed_ = false;
  uint64_t ping_nonce_ = 0;

  std::atomic<uint64_t> media_received_{0};
  std::atomic<uint64_t> bytes_received_{0};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace

std::shared_ptr<Client> Client::create(EventLoop& loop, ClientConfig config, ClientEvents events) {
  return std::make_shared<ClientImpl>(loop, std::move(config), std::move(events));
}

}  // namespace vc::client
