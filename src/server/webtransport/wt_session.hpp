// WebTransportSession: one participant over WebTransport (HTTP/3 over QUIC). It sits on one QUIC
// connection, runs the sans-I/O HTTP/3 layer on it, and is the room's Endpoint exactly like the
// WebSocket session. Media mapping (docs/PROTOCOL.md, "WebTransport mapping"):
//  - the client opens one bidirectional stream first: the control stream, length-prefixed control
//    envelopes both ways, Hello first;
//  - media from the client: unidirectional streams carrying length-prefixed media envelopes, and
//    datagrams carrying one media envelope each;
//  - media to the client: audio as a datagram when it fits, otherwise (and for video and screen)
//    on one persistent unidirectional stream per media kind, length-prefixed.
// Frames leave the room's SendQueue (control > audio > video, with its drop policy) only while
// the target stream's unsent backlog is small, so congestion keeps frames under the drop policy.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/h3/connection.hpp"
#include "net/h3/record_reader.hpp"
#include "net/quic/congestion_hint.hpp"
#include "net/quic/endpoint.hpp"
#include "protocol/envelope.hpp"
#include "server/core/media_host.hpp"
#include "server/core/room_membership.hpp"
#include "server/room/endpoint.hpp"

namespace vc::webtransport {

struct WebTransportStats {
  uint64_t sessions_established = 0;
  uint64_t connects_refused = 0;
  uint64_t envelopes_in = 0;
  uint64_t datagrams_in = 0;
  uint64_t media_dropped_before_join = 0;
  uint64_t frames_out = 0;
  uint64_t datagrams_out = 0;
  uint64_t bytes_out = 0;
};

struct SessionSettings {
  h3::ConnectPolicy policy;
  std::size_t stream_backlog_bytes = 64u << 10;
  // Unsent control on the control stream beyond which the client is too slow (4429).
  std::size_t control_backlog_bytes = 1u << 20;
};

class WebTransportSession final : public quic::QuicApplication,
                                  public h3::H3Transport,
                                  public room::Endpoint,
                                  public core::LiveConnection {
 public:
  WebTransportSession(core::MediaHost& host, quic::ConnectionHandle& connection,
                      const SessionSettings& settings, WebTransportStats& stats);
  ~WebTransportSession() override;

  // quic::QuicApplication
  void on_handshake_completed() override { h3_.on_handshake_completed(); }
  void on_stream_data(int64_t stream_id, h3::ByteView data, bool fin) override {
    h3_.on_stream_data(stream_id, data, fin);
  }
  void on_stream_reset(int64_t stream_id, uint64_t code) override {
    h3_.on_stream_reset(stream_id, code);
  }
  void on_stream_stop_sending(int64_t stream_id, uint64_t code) override;
  void on_stream_closed(int64_t stream_id) override;
  void on_datagram(h3::ByteView payload) override { h3_.on_datagram(payload); }
  void on_stream_writable(int64_t stream_id) override;
  void before_write() override;
  void on_connection_closed() override;

  // h3::H3Transport
  std::optional<int64_t> open_stream(bool bidirectional) override;
  bool write_stream(int64_t stream_id, h3::ByteView data, bool fin) override;
  void stop_sending(int64_t stream_id, uint64_t error_code) override;
  void reset_stream(int64_t stream_id, uint64_t error_code) override;
  bool send_datagram(h3::ByteView prefix, h3::ByteView payload) override;
  void close_connection(uint64_t error_code, std::string_view reason) override;

  // h3::SessionHandler, through H3Events (its stream/datagram methods share names with QUIC's).
  h3::ConnectDecision on_connect_request(const h3::RequestHeaders& request);
  void on_session_established(uint64_t session_id);
  void on_session_closed(uint32_t code, std::string_view reason);
  void on_session_stream_data(int64_t stream_id, h3::ByteView data, bool fin);
  void on_stream_reset_by_peer(int64_t stream_id, uint64_t code);
  void on_session_datagram(h3::ByteView payload);

  // room::Endpoint
  void on_queue_ready() override;
  void close_with_error(uint32_t code, std::string_view reason) override;
  std::optional<uint64_t> transport_bandwidth_bps() override;

  // core::LiveConnection
  void shut_down() override;
  void force_close() override;

 private:
  class H3Events;
  enum class State : uint8_t { kConnecting, kAwaitHello, kJoined, kClosing, kClosed };

  void on_record(int64_t stream_id, bool control_stream, h3::ByteView record);
  void on_hello();
  void fail(uint32_t code, std::string_view reason);
  void detach_from_room();
  bool write_frame(const FrameRef& frame);
  int64_t media_stream_for(uint32_t media_kind);
  uint64_t lane_backlog(Lane lane) const;
  void finish_close_if_delivered();
  void arm_deadline(std::chrono::steady_clock::duration after);

  core::MediaHost& host_;
  quic::ConnectionHandle& connection_;
  SessionSettings settings_;
  WebTransportStats& stats_;
  std::unique_ptr<H3Events> h3_events_;
  h3::Connection h3_;
  State state_ = State::kConnecting;
  std::optional<auth::RoomClaims> claims_;
  core::RoomMembership membership_;
  bool registered_live_ = false;
  bool close_delivered_ = false;  // closing: the peer acknowledged our goodbye; lingering
  int64_t control_stream_ = -1;
  std::unordered_map<int64_t, h3::RecordReader> readers_;
  std::unordered_map<uint32_t, int64_t> media_streams_;  // media kind -> our uni stream
  DecodedEnvelope decoded_;
  quic::CongestionHint congestion_hint_;
  boost::asio::steady_timer deadline_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vc::webtransport
