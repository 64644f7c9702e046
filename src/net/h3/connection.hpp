// Sans-I/O HTTP/3 + WebTransport connection: everything between QUIC streams and a WebTransport
// session. It is fed stream bytes, resets and datagrams, asks the QUIC layer (H3Transport) to open
// streams and write bytes, and reports the session's life and its streams to a SessionHandler.
// One WebTransport session per connection (Chromium opens a dedicated connection per session).
//
// Covered: our control stream with fixed SETTINGS; the peer's control stream (first frame must be
// SETTINGS, GREASE frames and settings skipped); QPACK encoder/decoder streams drained; stream
// type demux (uni 0x00/0x02/0x03/0x54, bidi 0x41 vs request); extended CONNECT (server validates
// through the handler, client sends it); capsules on the CONNECT stream; datagrams with the
// quarter-stream-id prefix. Protocol violations close the connection with the RFC 9114 code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/h3/connect_policy.hpp"
#include "net/h3/header_decoder.hpp"
#include "net/h3/stream_parsers.hpp"
#include "net/h3/varint.hpp"
#include "net/h3/wire.hpp"

namespace vc::h3 {

enum class Role : uint8_t { kServer, kClient };

// What the H3 layer needs from QUIC. Implemented by the QUIC connection adapter (and test fakes).
class H3Transport {
 public:
  virtual ~H3Transport() = default;
  // Opens a locally initiated stream; nullopt when the peer's stream limit is reached.
  virtual std::optional<int64_t> open_stream(bool bidirectional) = 0;
  // Queues bytes (copied) on a stream; false if the stream is gone or its send buffer is full.
  virtual bool write_stream(int64_t stream_id, ByteView data, bool fin) = 0;
  virtual void stop_sending(int64_t stream_id, uint64_t error_code) = 0;
  virtual void reset_stream(int64_t stream_id, uint64_t error_code) = 0;
  // Sends one QUIC DATAGRAM made of prefix + payload; false if it does not fit or is not allowed.
  virtual bool send_datagram(ByteView prefix, ByteView payload) = 0;
  virtual void close_connection(uint64_t error_code, std::string_view reason) = 0;
};

// What the H3 layer reports to the WebTransport session above it.
class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // Server: an extended CONNECT arrived; 200 accepts, anything else is answered with that status.
  virtual ConnectDecision on_connect_request(const RequestHeaders& request) = 0;
  // Server: after a 200 was sent. Client: when the 2xx arrived.
  virtual void on_session_established(uint64_t session_id) = 0;
  // Client: the server answered the CONNECT with a non-2xx status.
  virtual void on_session_rejected(int status) = 0;
  // The peer closed the session (CLOSE capsule, or FIN / reset of the CONNECT stream).
  virtual void on_session_closed(uint32_t code, std::string_view reason) = 0;
  virtual void on_session_draining() = 0;
  // Payload bytes of a WebTransport stream of our session (headers already removed).
  virtual void on_stream_data(int64_t stream_id, ByteView data, bool fin) = 0;
  virtual void on_stream_reset(int64_t stream_id, uint64_t error_code) = 0;
  virtual void on_datagram(ByteView payload) = 0;
};

struct ConnectionLimits {
  std::size_t max_frame_bytes = 16u << 10;   // SETTINGS, HEADERS, GOAWAY...
  std::size_t max_capsule_bytes = 4u << 10;  // CLOSE (1028 max) / DRAIN
  std::size_t max_tracked_streams = 256;     // streams with parser state at once
  uint64_t max_webtransport_sessions = 1;
};

class Connection {
 public:
  Connection(Role role, H3Transport& transport, SessionHandler& handler, ConnectPolicy policy = {},
             ConnectionLimits limits = {});
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The QUIC handshake finished: opens our control stream with SETTINGS.
  void on_handshake_completed();
  // Client: sends the extended CONNECT (call after on_handshake_completed()).
  bool start_session(std::string_view authority, std::string_view path, std::string_view origin);

  // Input from QUIC.
  void on_stream_data(int64_t stream_id, ByteView data, bool fin);
  void on_stream_reset(int64_t stream_id, uint64_t error_code);
  void on_stream_closed(int64_t stream_id);
  void on_datagram(ByteView datagram);

  // Output from the session. A new WebTransport stream starts with its header already queued.
  std::optional<int64_t> open_webtransport_stream(bool bidirectional);
  bool send_datagram(ByteView payload);
  // Sends CLOSE_WEBTRANSPORT_SESSION and FIN on the CONNECT stream.
  void close_session(uint32_t code, std::string_view reason);
  void drain_session();

  bool session_established() const { return session_state_ == SessionState::kEstablished; }
  bool session_closed() const { return session_state_ == SessionState::kClosed; }
  uint64_t session_id() const { return session_id_; }
  // The error this connection was closed with by the H3 layer (kNone while healthy).
  H3Error error() const { return error_; }
  const PeerSettings& peer_settings() const { return peer_settings_; }
  bool peer_settings_received() const { return peer_settings_received_; }
  std::size_t tracked_streams() const { return streams_.size(); }

 private:
  enum class StreamKind : uint8_t {
    kUnknown,              // type not read yet
    kRequest,              // the CONNECT stream (H3 frames, then capsules)
    kControl,              // the peer's control stream
    kDrained,              // QPACK encoder/decoder: read and ignored
    kIgnored,              // unknown uni stream type or rejected: STOP_SENDING sent
    kWebTransport,         // a WebTransport stream whose session id is still to be read
    kWebTransportPayload,  // a WebTransport stream of our session: payload to the handler
    kLocalControl,         // our control stream (we never read it)
  };
  struct StreamState {
    StreamKind kind = StreamKind::kUnknown;
    uint8_t varint[kMaxVarintBytes] = {};  // a stream-type or session-id varint split across reads
    std::size_t varint_size = 0;
    FrameReader frames{0};
    CapsuleReader capsules{0};
    bool headers_received = false;
  };
  class RequestStreamSink;
  class ControlStreamSink;
  class SessionCapsuleSink;

  bool is_local(int64_t stream_id) const;
  static bool is_bidirectional(int64_t stream_id) { return (stream_id & 2) == 0; }
  StreamState* state_for(int64_t stream_id);
  void fail(H3Error error, std::string_view reason);
  void classify(int64_t stream_id, StreamState& state, ByteView& data);
  void read_webtransport_header(int64_t stream_id, StreamState& state, ByteView& data);
  H3Error on_request_headers(int64_t stream_id, StreamState& state, ByteView field_section);
  void finish_session(uint32_t code, std::string_view reason);

  Role role_;
  H3Transport& transport_;
  SessionHandler& handler_;
  ConnectPolicy policy_;
  ConnectionLimits limits_;
  HeaderDecoder header_decoder_;
  std::unordered_map<int64_t, StreamState> streams_;
  PeerSettings peer_settings_;
  bool peer_settings_received_ = false;
  bool peer_control_stream_seen_ = false;
  bool peer_qpack_encoder_seen_ = false;
  bool peer_qpack_decoder_seen_ = false;
  int64_t control_stream_id_ = -1;
  enum class SessionState : uint8_t { kNone, kRequested, kEstablished, kClosed };
  SessionState session_state_ = SessionState::kNone;
  int64_t session_stream_id_ = -1;
  uint64_t session_id_ = 0;
  H3Error error_ = H3Error::kNone;
};

}  // namespace vc::h3
