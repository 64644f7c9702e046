// libvideocall: a native participant in a videocall-cpp meeting (the browser's protocol, in C++).
//
// Threading: every Client runs on the EventLoop it was created with. Public methods may be called
// from any thread; they post to the client's strand. Callbacks in ClientEvents are invoked on that
// strand, one at a time, so a handler never races with another handler of the same Client.
// No global state: two Clients share nothing but the EventLoop they were given.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/videocall.pb.h"
#include "videocall/event_loop.hpp"

namespace vc {
namespace v1 = ::videocall::v1;
}  // namespace vc

namespace vc::client {

// Why a connection attempt or a session ended. Tools map these to exit codes (docs/CLIENT.md).
enum class ErrorKind : uint8_t {
  kNone = 0,
  kBadArgument,   // malformed URL, meeting id or display name (caught before any I/O)
  kUnreachable,   // DNS, TCP, TLS or WebSocket handshake failed; server went away
  kRefused,       // join or token refused (HTTP 4xx on join, close codes 4401/4403/4404/4406/4410)
  kProtocol,      // the server sent something we could not parse, or closed with 4400/4405
  kServerClosed,  // the server closed the session (shutdown, kicked, replaced, idle...)
  kLocalClose,    // leave() was called
};

std::string_view to_string(ErrorKind kind);

struct ClientError {
  ErrorKind kind = ErrorKind::kNone;
  uint32_t code = 0;  // WebSocket close code / Control.error code / HTTP status, when known
  std::string message;
};

// The media transport a session runs on.
enum class TransportKind : uint8_t { kWebSocket, kWebTransport };
std::string_view to_string(TransportKind kind);  // "websocket" / "webtransport"

// Which transport a client uses (ClientConfig::transport).
enum class TransportPreference : uint8_t {
  kAuto,          // WebTransport when the join response offers it, else (or on failure) WebSocket
  kWebTransport,  // WebTransport only: fails when the server does not offer it
  kWebSocket,     // WebSocket only
};
std::string_view to_string(TransportPreference preference);  // "auto", "webtransport", ...
// Parses "auto", "webtransport" or "websocket"; nullopt otherwise.
std::optional<TransportPreference> parse_transport_preference(std::string_view text);

struct JoinInfo {
  uint64_t participant_id = 0;
  uint64_t session_id = 0;
  std::string meeting_id;
  bool resumed = false;                 // the server kept our identity across a reconnect
  std::vector<v1::Participant> roster;  // everyone else
  uint32_t max_envelope_bytes = 0;
  TransportKind transport = TransportKind::kWebSocket;  // what this session actually runs on
};

// End-to-end encryption (docs/PROTOCOL.md §15). Media payloads are encrypted per frame; the
// server routes by the cleartext header and cannot read or undetectably alter frames.
struct E2eeConfig {
  // Passphrase mode: every key follows from this secret, the meeting id and the sender id. It is
  // never sent anywhere. Everyone in the meeting must use the same passphrase.
  std::string passphrase;
  // Key agreement (X25519 key pairs, keys sent pairwise) even where the meeting does not require
  // E2EE. A meeting that requires it (JoinAccepted.e2ee_required) turns this on by itself.
  bool key_agreement = false;
};

enum class E2eeMode : uint8_t { kOff, kPassphrase, kKeyAgreement };
std::string_view to_string(E2eeMode mode);  // "off", "passphrase", "key-agreement"

struct E2eeStatus {
  E2eeMode mode = E2eeMode::kOff;
  // Key agreement: 6 groups of 5 digits over every participant's public key; everyone who sees
  // the same code got the same keys from the server (compare it out of band). Empty otherwise.
  std::string safety_code;
};

struct ClientConfig {
  // http://host:port or https://host:port (ws:// and wss:// are accepted too).
  std::string server_url;
  // Other nodes of the same deployment (same token secret). Each reconnect attempt moves on to
  // the next server in [server_url, fallback_server_urls...], so a dead node costs one attempt;
  // the token (and so the participant identity) stays the same on every node. The servers a node
  // names in its join response ("alternate_servers", its --peer-url list) are appended to this
  // list automatically.
  std::vector<std::string> fallback_server_urls;
  // Either meeting_id + display_name (POST /api/v1/meetings/{id}/join), or a room token.
  std::string meeting_id;
  std::string display_name;
  std::string token;

  bool receive_only = false;
  v1::MediaState initial_media_state;
  std::string client_name = "libvideocall/0.1";

  // Reconnect with exponential backoff (and jitter) after a transport loss. The first connection
  // is retried only when retry_first_connect is set, so a wrong URL fails fast.
  bool reconnect = true;
  bool retry_first_connect = false;
  std::chrono::milliseconds reconnect_initial_delay{200};
  std::chrono::milliseconds reconnect_max_delay{5000};
  std::chrono::milliseconds connect_timeout{5000};

  // Media transport. kAuto, like the browser: WebTransport first when the join response
  // advertises it (pinning its certificate_hashes), the WebSocket when WebTransport is not open
  // within webtransport_fallback_timeout or fails before opening. Needs meeting_id + display_name
  // (the WebTransport endpoint comes from the join response); with only a token, kAuto uses the
  // WebSocket and kWebTransport fails.
  TransportPreference transport = TransportPreference::kAuto;
  std::chrono::milliseconds webtransport_fallback_timeout{1500};
  // Local IP address the WebTransport UDP socket binds to (empty: chosen by the OS). Load tests
  // spread many clients over 127.0.0.x, since the server admits 64 QUIC connections per address.
  std::string webtransport_bind_address;

  // TLS (https/wss): verify the server certificate against the system store or ca_file.
  bool tls_verify = true;
  std::string tls_ca_file;

  // Outgoing queue bounds (see SendQueue for the drop policy).
  std::size_t send_queue_video_bytes = 2u << 20;
  std::size_t send_queue_audio_frames = 64;

  // What to receive of tracks with no explicit subscription, sent in Hello (docs/PROTOCOL.md
  // §11.3), e.g. VIDEO_DEFAULT_MAX_HEIGHT 180 for a grid of small tiles. Absent: Hello carries
  // none and the server forwards every track at its highest layer. Client::update_subscriptions
  // with new defaults replaces these for later reconnects too.
  std::optional<v1::SubscriptionDefaults> subscriptions;

  E2eeConfig e2ee;
};

// The track ids the browser uses for a participant's default tracks (docs/PROTOCOL.md §11.1). A
// frame sent with track_id 0 goes out on the default track of its kind.
inline constexpr uint32_t kMicrophoneTrackId = 1;
inline constexpr uint32_t kCameraTrackId = 2;
inline constexpr uint32_t kScreenTrackId = 3;
uint32_t default_track_id(v1::MediaKind kind);  // 0 for an unspecified kind
// The default track of a kind (camera, microphone or screen), one unlayered encoding; a video
// size, when given, is announced as that encoding's size.
v1::Track default_track(v1::MediaKind kind, v1::Codec codec, uint32_t width = 0,
                        uint32_t height = 0);

// One TrackSubscription for UpdateSubscriptions.set: the publisher's track at most max_height
// (0: its highest layer), or nothing of it when paused.
v1::TrackSubscription track_subscription(uint64_t publisher_participant_id, uint32_t track_id,
                                         uint32_t max_height, bool paused = false);
// Defaults for ClientConfig::subscriptions or UpdateSubscriptions.defaults: every video track at
// most max_height (0: highest), or none of them when paused.
v1::SubscriptionDefaults video_defaults(uint32_t max_height, bool paused = false);

// All optional. Media payload spans are valid only during the callback.
struct ClientEvents {
  std::function<void(const JoinInfo&)> on_joined;
  std::function<void(const v1::Participant&)> on_participant_joined;
  std::function<void(uint64_t participant_id, v1::LeaveReason)> on_participant_left;
  std::function<void(const v1::Participant&)> on_participant_updated;
  std::function<void(const v1::MediaHeader&, std::span<const uint8_t> payload)> on_media;
  // A peer (via the server) asks us for a keyframe on one of our tracks.
  std::function<void(const v1::KeyframeRequest&)> on_keyframe_request;
  // Our own send queue dropped video: the encoder should emit a keyframe next.
  std::function<void(v1::MediaKind, uint32_t track_id)> on_local_video_dropped;
  // Chat (docs/PROTOCOL.md §12): every message once, live or from the history the server sends
  // after a join, oldest first. Our own messages come back too, with our client_message_id.
  std::function<void(const v1::ChatMessage&)> on_chat;
  // Someone reacted (participant id stamped by the server; ours come back too).
  std::function<void(const v1::Reaction&)> on_reaction;
  // The server refused one request (a too long or too fast chat message, ...); still connected.
  std::function<void(const v1::Refused&)> on_refused;
  // End-to-end encryption turned on, or its safety code changed (someone joined, left or
  // announced a new key).
  std::function<void(const E2eeStatus&)> on_e2ee_status;
  // The transport dropped and a reconnect is scheduled.
  std::function<void(const ClientError&, std::chrono::milliseconds retry_in)> on_reconnecting;
  // Final: the client will not reconnect. Called exactly once, and no other callback follows it,
  // so callbacks that point at an object may rely on it living until on_closed has run.
  std::function<void(const ClientError&)> on_closed;
};

struct ClientStats {
  uint64_t media_sent = 0;
  uint64_t media_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t audio_dropped = 0;
  uint64_t video_dropped = 0;
  uint64_t reconnects = 0;
  // Bytes queued to send and not yet handed to the transport (like a WebSocket's bufferedAmount).
  uint64_t send_queue_bytes = 0;
  // End-to-end encryption: frames encrypted and decrypted, and received frames dropped because
  // they did not authenticate (tampered header or payload, wrong key), because no key for their
  // sender and key id was known (yet), or because they carried no E2EE header at all.
  uint64_t e2ee_encrypted = 0;
  uint64_t e2ee_decrypted = 0;
  uint64_t e2ee_auth_failed = 0;
  uint64_t e2ee_no_key = 0;
  uint64_t e2ee_malformed = 0;
};

class Client {
 public:
  static std::shared_ptr<Client> create(EventLoop& loop, ClientConfig config, ClientEvents events);
  virtual ~Client() = default;

  // Joins (REST, then WebTransport or WebSocket). Results arrive as events.
  virtual void start() = 0;
  // Publishes a track, or updates one already published (same track_id). The server forwards media
  // only on published tracks. Tracks published before start() go out right behind Hello, so the
  // server knows them before the first frame; every track is re-published on each reconnect.
  virtual void publish_track(const v1::Track& track) = 0;
  virtual void unpublish_track(uint32_t track_id) = 0;
  // Sends one encoded frame. sender ids are stamped by the server; the rest of the header is ours.
  // Cheap to call from a capture thread: the envelope is encoded here, queued on the strand.
  // track_id 0 means the default track of the header's kind. A frame on a track not yet published
  // publishes it first (default_track with the header's codec and size); over WebTransport the
  // first frames of such a track can overtake its PublishTrack and be dropped, so publish tracks
  // before start(), and always to offer simulcast layers.
  virtual void send_media(const v1::MediaHeader& header, std::span<const uint8_t> payload) = 0;
  // Changes what this client receives (docs/PROTOCOL.md §11.3): `set` adds or replaces per-track
  // subscriptions (track_subscription()), `remove` returns tracks to the defaults, `defaults`,
  // when present, replaces them. The client keeps the result and states it again on every
  // reconnect (defaults in Hello, explicit entries right behind it); entries of a publisher that
  // left are forgotten, as the server forgets them. Callable before start().
  virtual void update_subscriptions(const v1::UpdateSubscriptions& update) = 0;
  virtual void request_keyframe(uint64_t publisher_participant_id, v1::MediaKind kind,
                                uint32_t track_id) = 0;
  virtual void set_media_state(const v1::MediaState& state) = 0;
  // Chat, raised hand and reactions (docs/PROTOCOL.md §12), sent while joined (dropped
  // otherwise). Raised hands are in Participant.hand_raised_at_us (on_participant_updated; ours
  // too). The allowed reactions are listed in docs/PROTOCOL.md §12.3.
  virtual void send_chat(const std::string& text, uint64_t client_message_id = 0) = 0;
  virtual void raise_hand(bool raised) = 0;
  virtual void send_reaction(const std::string& emoji) = 0;
  // Sends Leave, closes, and ends with on_closed(kLocalClose).
  virtual void leave() = 0;
  virtual ClientStats stats() const = 0;
};

}  // namespace vc::client
