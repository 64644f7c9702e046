// QUIC address validation and stateless reset: Retry tokens bind the client's address and
// connection id and expire; with a Retry threshold of 0 every client pays one round trip and
// still completes its handshake; half-open connections are capped; packets for unknown
// connection ids get a rate-limited Stateless Reset carrying the token derived for that id.
#include <gtest/gtest.h>

#include "endpoint_harness.hpp"
#include "net/quic/stateless.hpp"

namespace vc::quic {
namespace {

using testing::Client;
using testing::EndpointHarness;
using testing::UdpSocket;

using Packets = testing::CapturedPackets;
using testing::null_application;

constexpr std::array<uint8_t, 32> kSecret = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

TEST(RetryToken, BindsAddressAndConnectionIdAndExpires) {
  Certificate certificate;
  std::string error;
  ASSERT_TRUE(mint_certificate(std::time(nullptr), certificate, error)) << error;
  const SocketAddress client_address = testing::ipv4(0x7f000001, 40000);
  const SocketAddress server_address = testing::ipv4(0x7f000001, 4433);
  const Timestamp now = 5'000'000'000;
  auto client = QuicConnection::connect(
      client_address, server_address, {},
      {std::vector<uint8_t>(certificate.sha256.begin(), certificate.sha256.end())},
      TransportConfig{}, now);
  ASSERT_TRUE(client);
  Packets first;
  client->write_packets(first, now);
  ASSERT_FALSE(first.sent.empty());
  ClientInitial initial;
  ASSERT_TRUE(parse_client_initial(first.sent[0], initial));
  EXPECT_TRUE(initial.token.empty());

  const StatelessKeys keys(kSecret);
  ConnectionId original;
  EXPECT_EQ(keys.check_retry_token(initial, client_address, now, original), TokenCheck::kAbsent);
  uint8_t retry[1500];
  const std::size_t retry_size = keys.write_retry(retry, initial, client_address, now);
  ASSERT_GT(retry_size, 0u);
  // The client accepts the Retry and sends its Initial again, with the token, to the new id.
  client->read_packet(client_address, server_address, {retry, retry_size}, now);
  Packets second;
  client->write_packets(second, now);
  ASSERT_FALSE(second.sent.empty());
  ClientInitial retried;
  ASSERT_TRUE(parse_client_initial(second.sent[0], retried));
  ASSERT_FALSE(retried.token.empty());
  EXPECT_FALSE(retried.dcid == initial.dcid);

  EXPECT_EQ(keys.check_retry_token(retried, client_address, now, original), TokenCheck::kValid);
  EXPECT_TRUE(original == initial.dcid);
  // Another address, another secret, or too late: invalid.
  const SocketAddress other_port = testing::ipv4(0x7f000001, 40001);
  EXPECT_EQ(keys.check_retry_token(retried, other_port, now, original), TokenCheck::kInvalid);
  EXPECT_EQ(StatelessKeys().check_retry_token(retried, client_address, now, original),
            TokenCheck::kInvalid);
  const Timestamp late = now + 11 * 1'000'000'000ull;
  EXPECT_EQ(keys.check_retry_token(retried, client_address, late, original), TokenCheck::kInvalid);
  // Bound to the id the Retry gave: the same token towards another id does not verify.
  ClientInitial moved = retried;
  moved.dcid = initial.dcid;
  EXPECT_EQ(keys.check_retry_token(moved, client_address, now, original), TokenCheck::kInvalid);
}

TEST(AddressValidation, WithRetryThresholdZeroEveryClientIsRetriedAndStillConnects) {
  EndpointConfig config;
  config.retry_threshold = 0;
  EndpointHarness harness(config, null_application());
  Client first(harness.server, harness.certificate);
  Client second(harness.server, harness.certificate);
  ASSERT_TRUE(harness.wait_until(
      [&] {
        return first.events.handshake && second.events.handshake &&
               harness.endpoint->connection_count() == 2 &&
               harness.endpoint->half_open_count() == 0;
      },
      {&first, &second}));
  const EndpointStats& stats = harness.endpoint->stats();
  EXPECT_EQ(stats.retries_sent, 2u);
  EXPECT_EQ(stats.tokens_invalid, 0u);
  EXPECT_EQ(stats.connections_accepted, 2u);
}

TEST(AddressValidation, HalfOpenConnectionsAreCappedAndDropsCounted) {
  EndpointConfig config;
  config.max_half_open = 3;
  config.retry_threshold = 1000;  // no Retry: the cap alone
  EndpointHarness harness(config, null_application());
  // Clients that send their first Initial and never continue.
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(harness.server, harness.certificate));
    clients.back()->write_only();
  }
  ASSERT_TRUE(harness.wait_until([&] {
    return harness.endpoint->stats().half_open_dropped >= 2 &&
           harness.endpoint->half_open_count() == 3;
  }));
  EXPECT_EQ(harness.endpoint->connection_count(), 3u);
  EXPECT_EQ(harness.endpoint->stats().connections_accepted, 3u);

  // A newcomer is dropped too while the cap holds (its Initial retransmissions as well).
  Client newcomer(harness.server, harness.certificate);
  ASSERT_TRUE(harness.wait_until([&] { return harness.endpoint->stats().half_open_dropped >= 3; },
                                 {&newcomer}));
  EXPECT_FALSE(newcomer.events.handshake);
  EXPECT_EQ(harness.endpoint->connection_count(), 3u);
}

TEST(AddressValidation, RetryTokenFromAnotherAddressIsRefusedAndCounted) {
  EndpointConfig config;
  config.retry_threshold = 0;
  config.stateless_secret = kSecret;
  EndpointHarness harness(config, null_application());
  // A token minted for 127.0.0.1:1 (another client) replayed from our socket.
  Certificate& certificate = harness.certificate;
  const SocketAddress victim = testing::ipv4(0x7f000001, 1);
  const Timestamp now = monotonic_now();
  auto client = QuicConnection::connect(
      victim, harness.server, {},
      {std::vector<uint8_t>(certificate.sha256.begin(), certificate.sha256.end())},
      TransportConfig{}, now);
  Packets first;
  client->write_packets(first, now);
  ClientInitial initial;
  ASSERT_TRUE(parse_client_initial(first.sent.at(0), initial));
  uint8_t retry[1500];
  const std::size_t retry_size = StatelessKeys(kSecret).write_retry(retry, initial, victim, now);
  client->read_packet(victim, harness.server, {retry, retry_size}, now);
  Packets second;
  client->write_packets(second, now);
  UdpSocket attacker;
  attacker.send(harness.server, second.sent.at(0));
  ASSERT_TRUE(harness.wait_until([&] { return harness.endpoint->stats().tokens_invalid == 1; }));
  EXPECT_EQ(harness.endpoint->connection_count(), 0u);
  // The refusal is an Initial with CONNECTION_CLOSE, not a connection.
  std::optional<std::vector<uint8_t>> reply;
  ASSERT_TRUE(harness.wait_until([&] { return (reply = attacker.receive()).has_value(); }));
  EXPECT_NE((*reply)[0] & 0x80, 0);  // long header
}

std::vector<uint8_t> short_header_packet(const ConnectionId& dcid, std::size_t size) {
  std::vector<uint8_t> packet(size, 0x5a);
  packet[0] = 0x40 | 0x01;  // short header, fixed bit
  std::memcpy(packet.data() + 1, dcid.bytes, dcid.size);
  return packet;
}

TEST(StatelessReset, UnknownConnectionIdGetsAResetWithItsDerivedToken) {
  EndpointConfig config;
  config.stateless_secret = kSecret;
  config.stateless_reset_burst = 2;
  config.stateless_resets_per_second = 0.001;  // no refill during the test
  EndpointHarness harness(config, null_application());
  UdpSocket peer;
  ConnectionId unknown;
  unknown.size = kServerConnectionIdBytes;
  for (uint8_t i = 0; i < unknown.size; ++i) unknown.bytes[i] = static_cast<uint8_t>(0xa0 + i);

  peer.send(harness.server, short_header_packet(unknown, 100));
  std::optional<std::vector<uint8_t>> reset;
  ASSERT_TRUE(harness.wait_until([&] { return (reset = peer.receive()).has_value(); }));
  // Shorter than the trigger, at least 21 bytes, looks like a short-header packet, and ends with
  // the token a client was given for that id.
  EXPECT_LT(reset->size(), 100u);
  EXPECT_GE(reset->size(), kMinStatelessResetBytes);
  EXPECT_EQ((*reset)[0] & 0xc0, 0x40);
  uint8_t expected[kStatelessResetTokenBytes];
  ASSERT_TRUE(StatelessKeys(kSecret).reset_token(unknown, expected));
  EXPECT_TRUE(std::equal(expected, expected + sizeof(expected),
                         reset->end() - static_cast<std::ptrdiff_t>(sizeof(expected))));
  EXPECT_EQ(harness.endpoint->stats().stateless_resets_sent, 1u);

  // Too short to be answered by something shorter: no reset (no ping-pong between endpoints).
  peer.send(harness.server, short_header_packet(unknown, kMinStatelessResetBytes));
  // Rate limited: the burst of 2 allows one more, then nothing.
  for (int i = 0; i < 5; ++i) peer.send(harness.server, short_header_packet(unknown, 100));
  ASSERT_TRUE(harness.wait_until([&] { return harness.endpoint->stats().datagrams_in >= 7; }));
  EXPECT_EQ(harness.endpoint->stats().stateless_resets_sent, 2u);
}

TEST(StatelessReset, TokensAdvertisedToClientsAreTheDerivedOnes) {
  // The token in the server's transport parameters is the one a later reset carries: a client
  // can recognise the reset after the server forgot the connection.
  EndpointConfig config;
  config.stateless_secret = kSecret;
  EndpointHarness harness(config, null_application());
  Client client(harness.server, harness.certificate);
  // Confirmed: the client sends only short-header packets now (a coalesced long-header Handshake
  // packet would make the datagram look like a stray Initial, which gets no reset).
  ASSERT_TRUE(
      harness.wait_until([&] { return client.connection->handshake_confirmed(); }, {&client}));
  harness.endpoint->close_now();  // forget it without a goodbye
  harness.io.restart();
  harness.io.poll();
  // A new endpoint with the same secret on the same port answers the client's next packet with
  // a Stateless Reset, which the client accepts: it stops (draining) instead of timing out.
  config.address = "127.0.0.1";
  config.port = harness.endpoint->port();
  boost::asio::io_context io;
  QuicEndpoint restarted(
      io, config, [&] { return harness.certificate.credentials; }, null_application());
  std::string error;
  ASSERT_TRUE(restarted.start(error)) << error;
  const int64_t stream = client.connection->open_stream(true, 0);
  ASSERT_GE(stream, 0);
  const uint8_t ping[] = {1, 2, 3};
  ASSERT_TRUE(client.connection->write_stream(stream, ping, false));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (client.connection->state() == ConnectionState::kActive &&
         std::chrono::steady_clock::now() < deadline) {
    client.pump();
    io.restart();
    io.run_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(restarted.stats().stateless_resets_sent, 1u)
      << "datagrams in " << restarted.stats().datagrams_in << " dropped "
      << restarted.stats().datagrams_dropped << " accepted "
      << restarted.stats().connections_accepted;
  EXPECT_EQ(client.connection->state(), ConnectionState::kDraining);
}

}  // namespace
}  // namespace vc::quic
