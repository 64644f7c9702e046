// Client and server QuicConnection wired back to back in memory, on a virtual clock, with
// deterministic packet loss: exercises the ngtcp2 adapter end to end (handshake with a pinned
// certificate, stream data kept until acknowledged and retransmitted, flow-control credit,
// datagrams, close and draining) without sockets or sleeps.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "net/quic/certificate_store.hpp"
#include "net/quic/quic_connection.hpp"

namespace vc::quic {
namespace {

struct PacketQueue final : PacketSink {
  std::vector<std::vector<uint8_t>> packets;
  uint8_t buffer[2048];
  std::span<uint8_t> reserve(std::size_t) override { return buffer; }
  void commit(const SocketAddress&, std::size_t size) override {
    packets.emplace_back(buffer, buffer + size);
  }
};

struct Recorder final : ConnectionEvents {
  bool handshake = false;
  std::map<int64_t, std::string> data;
  std::map<int64_t, bool> fin;
  std::vector<std::string> datagrams;
  void on_handshake_completed() override { handshake = true; }
  void on_stream_data(int64_t id, ByteView bytes, bool end) override {
    data[id].append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (end) fin[id] = true;
  }
  void on_stream_reset(int64_t, uint64_t) override {}
  void on_stream_stop_sending(int64_t, uint64_t) override {}
  void on_stream_closed(int64_t) override {}
  void on_datagram(ByteView bytes) override {
    datagrams.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  void on_stream_writable(int64_t) override {}
};

struct NoIds final : ConnectionIdListener {
  int added = 0;
  void on_connection_id_added(const ConnectionId&) override { ++added; }
  void on_connection_id_removed(const ConnectionId&) override {}
};

SocketAddress loopback(uint16_t port) {
  SocketAddress address;
  auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  in->sin_addr.s_addr = htonl(0x7f000001);
  address.size = sizeof(sockaddr_in);
  return address;
}

class QuicLoopback : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    // The certificate's validity is checked against the real clock by GnuTLS: mint for now.
    ASSERT_TRUE(mint_certificate(std::time(nullptr), certificate, error)) << error;
    client = QuicConnection::connect(
        client_address, server_address, {},
        {std::vector<uint8_t>(certificate.sha256.begin(), certificate.sha256.end())}, config, now);
    ASSERT_TRUE(client);
    client->set_events(&client_events);
  }

  // Moves packets both ways until `done` or the virtual deadline; drops every `drop_every`-th
  // packet (0: none).
  template <typename Done>
  bool run(Done done, int drop_every = 0, Timestamp budget = 10'000 * kNanosecondsPerMillisecond) {
    const Timestamp deadline = now + budget;
    int counter = 0;
    while (now < deadline) {
      if (done()) return true;
      PacketQueue to_server;
      PacketQueue to_client;
      client->write_packets(to_server, now);
      if (server) server->write_packets(to_client, now);
      for (auto& packet : to_server.packets) {
        if (drop_every > 0 && ++counter % drop_every == 0) continue;
        if (!server) {
          server = QuicConnection::accept(packet, server_address, client_address,
                                          certificate.credentials, config, ids, now);
          if (!server) continue;
          server->set_events(&server_events);
        }
        server->read_packet(server_address, client_address, packet, now);
      }
      for (auto& packet : to_client.packets) {
        if (drop_every > 0 && ++counter % drop_every == 0) continue;
        client->read_packet(client_address, server_address, packet, now);
      }
      if (to_server.packets.empty() && to_client.packets.empty()) {
        // Idle: jump the virtual clock to the next timer.
        Timestamp next = client->next_timer();
        if (server) next = std::min(next, server->next_timer());
        now = std::max(now + kNanosecondsPerMillisecond, std::min(next, deadline));
      } else {
        now += 100'000;  // 0.1 ms per round trip
      }
      client->handle_timer(now);
      if (server) server->handle_timer(now);
    }
    return done();
  }

  Timestamp now = 1'000'000'000;
  TransportConfig config;
  Certificate certificate;
  SocketAddress client_address = loopback(40000);
  SocketAddress server_address = loopback(4433);
  std::unique_ptr<QuicConnection> client;
  std::unique_ptr<QuicConnection> server;
  Recorder client_events;
  Recorder server_events;
  NoIds ids;
};

TEST_F(QuicLoopback, HandshakeThenReliableStreamUnderLossThenClose) {
  ASSERT_TRUE(run([&] { return client_events.handshake && server_events.handshake; }));
  EXPECT_GE(ids.added, 2);  // our SCID and the client's original DCID are routable

  // 3 MiB (more than the 1 MiB stream window: needs flow-control credit) with 1 in 7 lost.
  const int64_t stream = client->open_stream(/*bidirectional=*/true, 0);
  ASSERT_GE(stream, 0);
  std::string sent;
  for (int i = 0; i < 3 * 64; ++i) {
    std::string chunk(16 * 1024, static_cast<char>('a' + i % 26));
    ASSERT_TRUE(client->write_stream(
        stream, {reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size()}, i == 3 * 64 - 1));
    sent += chunk;
  }
  ASSERT_TRUE(run([&] { return server_events.fin[stream]; }, /*drop_every=*/7,
                  60'000 * kNanosecondsPerMillisecond));
  EXPECT_EQ(server_events.data[stream].size(), sent.size());
  EXPECT_TRUE(server_events.data[stream] == sent);
  // Everything acknowledged: the send buffer is released.
  ASSERT_TRUE(run([&] { return client->stream_buffered_bytes(stream) == 0; }));

  // Datagrams (no loss): delivered whole, prefix and payload joined.
  const uint8_t prefix[] = {0x00};
  const std::string payload = "audio-frame";
  ASSERT_TRUE(client->send_datagram_copy(
      prefix, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()}));
  ASSERT_TRUE(run([&] { return !server_events.datagrams.empty(); }));
  EXPECT_EQ(server_events.datagrams[0], std::string("\0audio-frame", 12));
  // Too big for one packet: refused up front.
  const std::string huge(1500, 'x');
  EXPECT_FALSE(client->send_datagram_copy(
      prefix, {reinterpret_cast<const uint8_t*>(huge.data()), huge.size()}));

  // Application close: the server drains and sees the code.
  client->close(0x10c, "bye");
  ASSERT_TRUE(run([&] { return server->state() == ConnectionState::kDraining; }));
  ASSERT_TRUE(server->peer_close_error().has_value());
  EXPECT_EQ(*server->peer_close_error(), 0x10cu);
  EXPECT_EQ(client->state(), ConnectionState::kClosing);
  ASSERT_TRUE(run([&] { return server->closed_for_good(now) && client->closed_for_good(now); }));
}

TEST_F(QuicLoopback, WrongPinnedCertificateFailsTheHandshake) {
  client = QuicConnection::connect(client_address, server_address, {},
                                   {std::vector<uint8_t>(32, 0xab)}, config, now);
  client->set_events(&client_events);
  run([&] { return client->state() != ConnectionState::kHandshaking; });
  EXPECT_FALSE(client_events.handshake);
  EXPECT_NE(client->state(), ConnectionState::kActive);
}

}  // namespace
}  // namespace vc::quic
