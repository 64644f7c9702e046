// WebTransport hardening against the real server binary: with --quic-retry-threshold 0 every
// client first gets a Retry and still joins; a client that acknowledges packets but never grants
// stream credit is closed with 4429 once its unsent control passes its bound, instead of growing
// the server's memory.
#include <gtest/gtest.h>

#include "protocol/close_codes.hpp"
#include "server_process.hpp"
#include "webtransport/wt_client.hpp"
#include "wt_test_support.hpp"

namespace vc {
namespace {

using namespace std::chrono_literals;
using namespace wt_test;

bool joined_over_webtransport(wt::WebTransportClient& client) {
  bool accepted = false;
  client.on_envelope([&](const DecodedEnvelope& envelope, bool) {
    if (envelope.body == DecodedEnvelope::Body::kControl && envelope.control.has_join_accepted()) {
      accepted = true;
    }
  });
  if (!client.start()) return false;
  client.poll(5s, [&] { return client.state() != wt::ClientState::kConnecting; });
  if (client.state() != wt::ClientState::kEstablished) return false;
  if (!client.send_control(hello("hardening-test"))) return false;
  client.poll(5s, [&] { return accepted; });
  return accepted;
}

TEST(WebTransportRetry, WithThresholdZeroClientsAreRetriedAndStillJoin) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start({"--quic-retry-threshold", "0"})) << "server did not start";
  const Join joined = join(server, "wt-retry", "Ada");
  wt::WebTransportClient client(wt_options(server, joined, "/wt?token=" + joined.token));
  ASSERT_TRUE(joined_over_webtransport(client));
  EXPECT_GE(metric(server, "videocall_quic_retries_sent_total"), 1);
  EXPECT_EQ(metric(server, "videocall_quic_tokens_invalid_total"), 0);
  EXPECT_EQ(metric(server, "videocall_quic_half_open"), 0);
}

TEST(WebTransportControlBacklog, ClientThatGrantsNoStreamCreditIsClosedWith4429) {
  testing::ServerProcess server;
  // The control rate limit would close this client first (also 4429): lift it, so only the
  // backlog bound is at work.
  ASSERT_TRUE(server.start({"--control-rate", "1000000", "--control-burst", "1000000"}))
      << "server did not start";
  const Join joined = join(server, "wt-credit", "Mallory");
  wt::ClientOptions options = wt_options(server, joined, "/wt?token=" + joined.token);
  options.withhold_stream_credit = true;
  wt::WebTransportClient client(options);
  ASSERT_TRUE(joined_over_webtransport(client));
  // Every Ping is answered with a Pong on the control stream, which the client never lets
  // through: the server's unsent control grows until the bound closes the session.
  v1::Control ping;
  ping.mutable_ping()->set_nonce(1);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  uint64_t pings = 0;
  while (!client.session_close() && client.state() == wt::ClientState::kEstablished &&
         std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 100; ++i, ++pings) client.send_control(ping);
    client.poll(1ms, [&] { return client.session_close().has_value(); });
  }
  ASSERT_TRUE(client.session_close().has_value()) << "still open after " << pings << " pings";
  EXPECT_EQ(client.session_close()->first, close_code::kTooSlow);
  // This bound, not a control rate limit (also 4429), closed it.
  EXPECT_EQ(client.session_close()->second, "control backlog over its limit");
}

}  // namespace
}  // namespace vc
