// WebTransport against the real server binary: a native WebTransport participant and a
// WebSocket participant join one meeting and exchange media both ways; bad CONNECTs get HTTP
// error statuses; a malformed HTTP/3 frame closes only the offending connection with the right
// H3 error code; --no-quic removes WebTransport from the join response. Every wait is on an
// event with a deadline, never a fixed sleep.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/limits.hpp"
#include "net/h3/varint.hpp"
#include "net/h3/wire.hpp"
#include "server_process.hpp"
#include "webtransport/wt_client.hpp"
#include "wt_test_support.hpp"

namespace vc {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using namespace std::chrono_literals;
using namespace wt_test;

// Collected envelopes of one participant, thread-safe (the WebSocket reader runs on a thread).
struct Inbox {
  std::mutex mutex;
  std::condition_variable changed;
  bool join_accepted = false;
  uint64_t self_id = 0;
  // Host powers (PROTOCOL.md §14): the last JoinAccepted's role and roster, settings seen.
  int join_accepted_count = 0;
  v1::ParticipantRole self_role = v1::PARTICIPANT_ROLE_UNSPECIFIED;
  int roster_size = 0;
  bool waiting_room_on = false;
  std::vector<std::pair<v1::MediaHeader, std::string>> media;
  int datagram_media = 0;
  void add(const DecodedEnvelope& envelope, bool datagram) {
    std::lock_guard lock(mutex);
    if (envelope.body == DecodedEnvelope::Body::kControl) {
      if (envelope.control.has_join_accepted()) {
        join_accepted = true;
        ++join_accepted_count;
        self_id = envelope.control.join_accepted().participant_id();
        self_role = envelope.control.join_accepted().self().role();
        roster_size = envelope.control.join_accepted().roster_size();
      }
      if (envelope.control.has_meeting_settings()) {
        waiting_room_on = envelope.control.meeting_settings().waiting_room();
      }
    } else {
      media.emplace_back(envelope.header,
                         std::string(envelope.payload.begin(), envelope.payload.end()));
      if (datagram) ++datagram_media;
    }
    changed.notify_all();
  }
  std::size_t media_count(v1::MediaKind kind) {
    std::lock_guard lock(mutex);
    std::size_t count = 0;
    for (const auto& [header, payload] : media) count += header.kind() == kind;
    return count;
  }
};

class WebSocketParticipant {
 public:
  WebSocketParticipant(const testing::ServerProcess& server, const std::string& token)
      : socket_(io_) {
    tcp::socket& raw = socket_.next_layer();
    raw.connect(tcp::endpoint(asio::ip::make_address(server.host()), server.port()));
    socket_.binary(true);
    socket_.handshake(server.host(), "/ws?token=" + token);
    reader_ = std::thread([this] { read_loop(); });
  }
  ~WebSocketParticipant() {
    beast::error_code ignored;
    socket_.next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    socket_.next_layer().close(ignored);
    reader_.join();
  }
  void send(const FrameRef& frame) {
    std::lock_guard lock(write_mutex_);
    socket_.write(asio::buffer(frame->bytes().data(), frame->bytes().size()));
  }
  Inbox inbox;

 private:
  void read_loop() {
    DecodedEnvelope decoded;
    for (;;) {
      beast::flat_buffer buffer;
      beast::error_code ec;
      socket_.read(buffer, ec);
      if (ec) return;
      const auto data = buffer.data();
      if (decode_envelope({static_cast<const uint8_t*>(data.data()), data.size()},
                          limits::kMaxEnvelopeBytes, decoded) == EnvelopeError::kNone) {
        inbox.add(decoded, false);
      }
    }
  }
  asio::io_context io_;
  websocket::stream<tcp::socket> socket_;
  std::mutex write_mutex_;
  std::thread reader_;
};

v1::MediaHeader media_header(v1::MediaKind kind, uint32_t sequence, bool keyframe) {
  v1::MediaHeader header;
  header.set_kind(kind);
  header.set_track_id(track_for(kind));
  header.set_sequence(sequence);
  header.set_keyframe(keyframe);
  header.set_codec(kind == v1::MEDIA_KIND_AUDIO ? v1::CODEC_OPUS : v1::CODEC_VP8);
  return header;
}

class WebTransportIntegration : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.start()) << "server did not start"; }
  testing::ServerProcess server;
};

TEST_F(WebTransportIntegration, JoinResponsePublishesUrlAndCertificateHashes) {
  const Join joined = join(server, "wt-info", "Ada");
  ASSERT_FALSE(joined.webtransport.is_null());
  const std::string url = joined.webtransport.at("url").get<std::string>();
  EXPECT_EQ(url, "https://127.0.0.1:" + std::to_string(server.port()) + "/wt");
  const auto& hashes = joined.webtransport.at("certificate_hashes");
  ASSERT_EQ(hashes.size(), 2u);  // current and next
  for (const auto& hash : hashes) EXPECT_EQ(base64_decode(hash.get<std::string>()).size(), 32u);
}

TEST_F(WebTransportIntegration, WebTransportAndWebSocketParticipantsExchangeMedia) {
  const Join wt_join = join(server, "wt-media", "WebTransport");
  const Join ws_join = join(server, "wt-media", "WebSocket");

  WebSocketParticipant websocket(server, ws_join.token);
  websocket.send(encode_control(hello("ws-test")));
  websocket.send(encode_control(publish(v1::MEDIA_KIND_VIDEO)));
  websocket.send(encode_control(publish(v1::MEDIA_KIND_AUDIO)));

  wt::WebTransportClient client(wt_options(server, wt_join, "/wt?token=" + wt_join.token));
  Inbox wt_inbox;
  client.on_envelope(
      [&](const DecodedEnvelope& envelope, bool datagram) { wt_inbox.add(envelope, datagram); });
  ASSERT_TRUE(client.start());
  client.poll(5s, [&] { return client.state() != wt::ClientState::kConnecting; });
  ASSERT_EQ(client.state(), wt::ClientState::kEstablished);
  ASSERT_TRUE(client.send_control(hello("wt-test")));
  client.poll(5s, [&] { return wt_inbox.join_accepted; });
  ASSERT_TRUE(wt_inbox.join_accepted);
  EXPECT_EQ(wt_inbox.self_id, wt_join.participant_id);
  ASSERT_TRUE(client.send_control(publish(v1::MEDIA_KIND_VIDEO)));
  ASSERT_TRUE(client.send_control(publish(v1::MEDIA_KIND_AUDIO)));

  // WebTransport -> WebSocket: video on a stream (keyframe first), audio as datagrams.
  const std::string video_payload(3000, 'v');
  const std::string audio_payload(120, 'a');
  constexpr int kFrames = 20;
  for (int i = 0; i < kFrames; ++i) {
    ASSERT_TRUE(client.send_media(
        media_header(v1::MEDIA_KIND_VIDEO, i, i == 0),
        {reinterpret_cast<const uint8_t*>(video_payload.data()), video_payload.size()},
        /*as_datagram=*/false));
    ASSERT_TRUE(client.send_media(
        media_header(v1::MEDIA_KIND_AUDIO, i, false),
        {reinterpret_cast<const uint8_t*>(audio_payload.data()), audio_payload.size()},
        /*as_datagram=*/true));
    client.poll(1ms);
  }
  const auto ws_got_all = [&] {
    return websocket.inbox.media_count(v1::MEDIA_KIND_VIDEO) == kFrames &&
           websocket.inbox.media_count(v1::MEDIA_KIND_AUDIO) >= kFrames - 2;
  };
  client.poll(5s, ws_got_all);
  ASSERT_EQ(websocket.inbox.media_count(v1::MEDIA_KIND_VIDEO), std::size_t{kFrames});
  // Datagrams are unreliable by design; on loopback at most a couple may be lost.
  EXPECT_GE(websocket.inbox.media_count(v1::MEDIA_KIND_AUDIO), std::size_t{kFrames - 2});
  {
    std::lock_guard lock(websocket.inbox.mutex);
    for (const auto& [header, payload] : websocket.inbox.media) {
      EXPECT_EQ(header.sender_participant_id(), wt_join.participant_id);  // stamped by server
      EXPECT_EQ(payload, header.kind() == v1::MEDIA_KIND_VIDEO ? video_payload : audio_payload);
    }
  }

  // WebSocket -> WebTransport: the server sends audio as datagrams and video on a stream.
  for (int i = 0; i < kFrames; ++i) {
    websocket.send(encode_media(
        media_header(v1::MEDIA_KIND_VIDEO, i, i == 0),
        {reinterpret_cast<const uint8_t*>(video_payload.data()), video_payload.size()}));
    websocket.send(encode_media(
        media_header(v1::MEDIA_KIND_AUDIO, i, false),
        {reinterpret_cast<const uint8_t*>(audio_payload.data()), audio_payload.size()}));
  }
  client.poll(5s, [&] {
    return wt_inbox.media_count(v1::MEDIA_KIND_VIDEO) == kFrames &&
           wt_inbox.media_count(v1::MEDIA_KIND_AUDIO) >= kFrames - 2;
  });
  EXPECT_EQ(wt_inbox.media_count(v1::MEDIA_KIND_VIDEO), std::size_t{kFrames});
  EXPECT_GE(wt_inbox.media_count(v1::MEDIA_KIND_AUDIO), std::size_t{kFrames - 2});
  EXPECT_GT(wt_inbox.datagram_media, 0);  // audio arrived as datagrams
  // The same traffic is visible to operators in /metrics.
  EXPECT_GE(metric(server, "videocall_wt_sessions_established_total"), 1);
  EXPECT_GT(metric(server, "videocall_wt_envelopes_out_total"), 0);
  EXPECT_GT(metric(server, "videocall_wt_datagrams_out_total"), 0);
  EXPECT_GT(metric(server, "videocall_quic_bytes_out_total"),
            metric(server, "videocall_wt_bytes_out_total"));  // + QUIC/UDP framing
  {
    std::lock_guard lock(wt_inbox.mutex);
    uint32_t expected_video_sequence = 0;
    for (const auto& [header, payload] : wt_inbox.media) {
      EXPECT_EQ(header.sender_participant_id(), ws_join.participant_id);
      if (header.kind() == v1::MEDIA_KIND_VIDEO) {
        EXPECT_EQ(header.sequence(), expected_video_sequence++);  // one stream: in order
        EXPECT_EQ(payload, video_payload);
      }
    }
  }
  client.close(0, "bye");
  client.poll(2s, [&] { return client.state() == wt::ClientState::kClosed; });
}

// The waiting room over WebTransport (PROTOCOL.md §14.3): a waiting participant receives zero media
// bytes (counted at its WebTransport client) until the host admits it, then media flows.
TEST_F(WebTransportIntegration, WaitingParticipantReceivesNoMediaUntilAdmitted) {
  const Join host_join = join(server, "wt-wait", "Host");
  WebSocketParticipant host(server, host_join.token);
  host.send(encode_control(hello("ws-host")));
  host.send(encode_control(publish(v1::MEDIA_KIND_AUDIO)));
  v1::Control settings;
  settings.mutable_host_update_settings()->set_waiting_room(true);
  host.send(encode_control(settings));
  {
    std::unique_lock lock(host.inbox.mutex);
    ASSERT_TRUE(host.inbox.changed.wait_for(lock, 5s, [&] { return host.inbox.waiting_room_on; }));
  }
  const Join wt_join = join(server, "wt-wait", "Waiter");
  wt::WebTransportClient client(wt_options(server, wt_join, "/wt?token=" + wt_join.token));
  Inbox inbox;
  std::size_t media_bytes_while_waiting = 0;
  bool admitted = false;
  client.on_envelope([&](const DecodedEnvelope& envelope, bool datagram) {
    if (envelope.body == DecodedEnvelope::Body::kMedia && !admitted) {
      media_bytes_while_waiting += envelope.payload.size();
    }
    inbox.add(envelope, datagram);
  });
  ASSERT_TRUE(client.start());
  client.poll(5s, [&] { return client.state() != wt::ClientState::kConnecting; });
  ASSERT_EQ(client.state(), wt::ClientState::kEstablished);
  ASSERT_TRUE(client.send_control(hello("wt-waiter")));
  client.poll(5s, [&] { return inbox.join_accepted; });
  ASSERT_EQ(inbox.self_role, v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_EQ(inbox.roster_size, 0) << "no roster in the waiting room";

  // The host talks (sequences 0..9), then admits, then talks on (10..19).
  const std::string audio(160, 'a');
  const auto talk = [&](uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; ++i) {
      host.send(encode_media(media_header(v1::MEDIA_KIND_AUDIO, i, false),
                             {reinterpret_cast<const uint8_t*>(audio.data()), audio.size()}));
    }
  };
  talk(0, 10);
  v1::Control admit;
  admit.mutable_host_request()->set_action(v1::HOST_ACTION_ADMIT);
  admit.mutable_host_request()->set_target_participant_id(wt_join.participant_id);
  host.send(encode_control(admit));
  client.poll(5s, [&] { return inbox.join_accepted_count == 2; });
  ASSERT_EQ(inbox.join_accepted_count, 2) << "admitted: a second JoinAccepted";
  EXPECT_EQ(inbox.self_role, v1::PARTICIPANT_ROLE_PARTICIPANT);
  EXPECT_EQ(inbox.roster_size, 1);
  admitted = true;
  talk(10, 30);
  client.poll(5s, [&] { return inbox.media_count(v1::MEDIA_KIND_AUDIO) > 0; });
  EXPECT_GT(inbox.media_count(v1::MEDIA_KIND_AUDIO), 0u) << "media flows once admitted";
  EXPECT_EQ(media_bytes_while_waiting, 0u) << "nothing while waiting";
  std::lock_guard lock(inbox.mutex);
  for (const auto& [header, payload] : inbox.media) {
    EXPECT_GE(header.sequence(), 10u) << "no frame the host sent while it waited";
  }
}

int connect_status(const testing::ServerProcess& server, const Join& joined,
                   const std::string& path) {
  wt::WebTransportClient client(wt_options(server, joined, path));
  if (!client.start()) return -1;
  client.poll(5s, [&] { return client.state() != wt::ClientState::kConnecting; });
  if (client.state() == wt::ClientState::kEstablished) return 200;
  return client.rejected_status();
}

TEST_F(WebTransportIntegration, BadConnectsGetHttpErrorStatuses) {
  const Join joined = join(server, "wt-bad", "Mallory");
  EXPECT_EQ(connect_status(server, joined, "/nope?token=" + joined.token), 404);
  EXPECT_EQ(connect_status(server, joined, "/wt"), 401);
  EXPECT_EQ(connect_status(server, joined, "/wt?token=not.a.jwt"), 401);
  std::string tampered = joined.token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(connect_status(server, joined, "/wt?token=" + tampered), 401);
  EXPECT_EQ(connect_status(server, joined, "/wt?token=" + joined.token), 200);
}

TEST_F(WebTransportIntegration, MalformedFrameClosesOnlyThatConnection) {
  const Join good_join = join(server, "wt-malformed", "Good");
  const Join bad_join = join(server, "wt-malformed", "Bad");
  wt::WebTransportClient good(wt_options(server, good_join, "/wt?token=" + good_join.token));
  Inbox good_inbox;
  good.on_envelope([&](const DecodedEnvelope& e, bool d) { good_inbox.add(e, d); });
  ASSERT_TRUE(good.start());
  good.poll(5s, [&] { return good.state() != wt::ClientState::kConnecting; });
  ASSERT_EQ(good.state(), wt::ClientState::kEstablished);
  ASSERT_TRUE(good.send_control(hello("good")));
  good.poll(5s, [&] { return good_inbox.join_accepted; });
  ASSERT_TRUE(good_inbox.join_accepted);

  wt::WebTransportClient bad(wt_options(server, bad_join, "/wt?token=" + bad_join.token));
  ASSERT_TRUE(bad.start());
  bad.poll(5s, [&] { return bad.state() != wt::ClientState::kConnecting; });
  ASSERT_EQ(bad.state(), wt::ClientState::kEstablished);
  // A second HTTP/3 control stream: H3_STREAM_CREATION_ERROR (RFC 9114 §6.2.1).
  h3::Bytes second_control = {0x00};
  h3::append_frame(second_control, h3::frame_type::kSettings, h3::Bytes{});
  ASSERT_TRUE(bad.send_raw_uni_stream(second_control));
  bad.poll(5s, [&] { return bad.connection_error().has_value(); });
  ASSERT_TRUE(bad.connection_error().has_value());
  EXPECT_EQ(*bad.connection_error(), static_cast<uint64_t>(h3::H3Error::kStreamCreationError));

  // The other participant is unaffected: it still gets answers from the server.
  v1::Control ping;
  ping.mutable_ping()->set_nonce(42);
  ASSERT_TRUE(good.send_control(ping));
  bool got_pong = false;
  good.on_envelope([&](const DecodedEnvelope& e, bool) {
    if (e.body == DecodedEnvelope::Body::kControl && e.control.has_pong()) got_pong = true;
  });
  good.poll(5s, [&] { return got_pong; });
  EXPECT_TRUE(got_pong);
  EXPECT_EQ(good.state(), wt::ClientState::kEstablished);
}

TEST_F(WebTransportIntegration, OversizedEnvelopeClosesSessionWith4413) {
  const Join joined = join(server, "wt-large", "Big");
  wt::WebTransportClient client(wt_options(server, joined, "/wt?token=" + joined.token));
  Inbox inbox;
  uint32_t error_code = 0;
  client.on_envelope([&](const DecodedEnvelope& e, bool d) {
    if (e.body == DecodedEnvelope::Body::kControl && e.control.has_error()) {
      error_code = e.control.error().code();
    }
    inbox.add(e, d);
  });
  ASSERT_TRUE(client.start());
  client.poll(5s, [&] { return client.state() != wt::ClientState::kConnecting; });
  ASSERT_TRUE(client.send_control(hello("big")));
  client.poll(5s, [&] { return inbox.join_accepted; });
  ASSERT_TRUE(inbox.join_accepted);
  const std::string huge(limits::kMaxEnvelopeBytes + 100, 'x');
  ASSERT_TRUE(client.send_media(media_header(v1::MEDIA_KIND_VIDEO, 0, true),
                                {reinterpret_cast<const uint8_t*>(huge.data()), huge.size()},
                                false));
  client.poll(10s, [&] { return client.session_close().has_value(); });
  EXPECT_EQ(error_code, 4413u);
  ASSERT_TRUE(client.session_close().has_value());
  EXPECT_EQ(client.session_close()->first, 4413u);
}

// One source address may hold limits::kMaxQuicConnectionsPerAddress connections; the next Initial
// is dropped (and counted) while the others carry on, and a slot frees when one closes.
TEST_F(WebTransportIntegration, ConnectionsPerAddressAreLimited) {
  const Join joined = join(server, "wt-limit", "Many");
  const auto options = wt_options(server, joined, "/wt?token=" + joined.token);
  std::vector<std::unique_ptr<wt::WebTransportClient>> clients;
  for (std::size_t i = 0; i < limits::kMaxQuicConnectionsPerAddress; ++i) {
    auto client = std::make_unique<wt::WebTransportClient>(options);
    ASSERT_TRUE(client->start());
    client->poll(5s, [&] { return client->state() != wt::ClientState::kConnecting; });
    ASSERT_EQ(client->state(), wt::ClientState::kEstablished) << "connection " << i;
    clients.push_back(std::move(client));
  }
  EXPECT_EQ(metric(server, "videocall_quic_connections_refused_total"), 0);

  wt::WebTransportClient over_limit(options);
  ASSERT_TRUE(over_limit.start());
  ASSERT_TRUE(wait_for_metric(
      server, "videocall_quic_connections_refused_total", [](int64_t v) { return v >= 1; }, 5s));
  over_limit.poll(100ms);
  EXPECT_EQ(over_limit.state(), wt::ClientState::kConnecting) << "refused: no handshake";

  clients.front()->close(0, "bye");
  clients.front()->poll(2s, [&] { return clients.front()->state() == wt::ClientState::kClosed; });
  const auto below_limit = static_cast<int64_t>(limits::kMaxQuicConnectionsPerAddress) - 1;
  ASSERT_TRUE(wait_for_metric(
      server, "videocall_quic_connections", [&](int64_t v) { return v <= below_limit; }, 10s));
  wt::WebTransportClient after_close(options);
  ASSERT_TRUE(after_close.start());
  after_close.poll(5s, [&] { return after_close.state() != wt::ClientState::kConnecting; });
  EXPECT_EQ(after_close.state(), wt::ClientState::kEstablished);
}

// A QUIC peer that goes silent is closed after --idle-timeout (the minimum, 12 s, here).
TEST(WebTransportIdle, SilentConnectionIsClosedAfterIdleTimeoutWhileItsNeighbourTalks) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start({"--idle-timeout", "12"})) << "server did not start";
  const Join joined = join(server, "wt-idle", "Quiet");
  wt::WebTransportClient client(wt_options(server, joined, "/wt?token=" + joined.token));
  ASSERT_TRUE(client.start());
  client.poll(5s, [&] { return client.state() != wt::ClientState::kConnecting; });
  ASSERT_EQ(client.state(), wt::ClientState::kEstablished);

  // A second connection keeps talking, so its QUIC timers re-arm all the time: the endpoint's one
  // timer (a heap of every connection's expiry) fills with its stale entries, and the silent
  // connection's expiry must still fire on time.
  const Join talker_join = join(server, "wt-idle", "Talker");
  wt::WebTransportClient talker(wt_options(server, talker_join, "/wt?token=" + talker_join.token));
  bool talker_joined = false;
  uint64_t pongs = 0;
  talker.on_envelope([&](const DecodedEnvelope& envelope, bool) {
    if (envelope.body != DecodedEnvelope::Body::kControl) return;
    if (envelope.control.has_join_accepted()) talker_joined = true;
    if (envelope.control.has_pong()) ++pongs;
  });
  ASSERT_TRUE(talker.start());
  talker.poll(5s, [&] { return talker.state() != wt::ClientState::kConnecting; });
  ASSERT_EQ(talker.state(), wt::ClientState::kEstablished);
  ASSERT_TRUE(talker.send_control(hello("idle-test")));
  talker.poll(5s, [&] { return talker_joined; });
  ASSERT_TRUE(talker_joined);
  EXPECT_EQ(metric(server, "videocall_quic_connections"), 2);

  // The first client stops reading and sending; the server must drop it on its own.
  const auto silent_since = std::chrono::steady_clock::now();
  v1::Control ping;
  int64_t connections = 2;
  for (uint64_t nonce = 1; connections > 1 && std::chrono::steady_clock::now() < silent_since + 30s;
       ++nonce) {
    ping.mutable_ping()->set_nonce(nonce);
    ASSERT_TRUE(talker.send_control(ping));
    const uint64_t answered = pongs;
    talker.poll(2s, [&] { return pongs > answered; });
    // About 10 pings a second, well under the control rate limit; the client keeps reading.
    talker.poll(100ms, [] { return false; });
    connections = metric(server, "videocall_quic_connections");
  }
  EXPECT_EQ(connections, 1) << "the silent connection is still there";
  EXPECT_GE(std::chrono::steady_clock::now() - silent_since, 11s) << "closed before the timeout";
  EXPECT_EQ(talker.state(), wt::ClientState::kEstablished) << "the talking neighbour was dropped";
  EXPECT_GT(pongs, 10u);
}

TEST(WebTransportDisabled, NoQuicRemovesWebTransportFromJoinResponse) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start({"--no-quic"}));
  const Join joined = join(server, "wt-off", "Ada");
  EXPECT_TRUE(joined.webtransport.is_null());
}

}  // namespace
}  // namespace vc
