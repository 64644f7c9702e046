#include <gtest/gtest.h>

#include "backoff.hpp"
#include "http_join.hpp"
#include "protocol/envelope.hpp"
#include "subscriptions.hpp"
#include "transport.hpp"
#include "url.hpp"
#include "videocall/client.hpp"

namespace vc::client {
namespace {

TEST(ServerUrl, ParsesSchemesPortsAndPrefixes) {
  auto url = parse_server_url("http://127.0.0.1:8080");
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->secure);
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->base_path, "");

  url = parse_server_url("https://meet.example.org/video/");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->secure);
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->base_path, "/video");

  url = parse_server_url("wss://[::1]:9443");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header(), "[::1]:9443");
}

TEST(ServerUrl, RejectsWhatWeCannotConnectTo) {
  for (const char* bad :
       {"", "127.0.0.1:8080", "ftp://x", "http://", "http://host:0", "http://host:70000",
        "http://host:12ab", "http://user@host", "http://host/path?q=1"}) {
    EXPECT_FALSE(parse_server_url(bad)) << bad;
  }
}

TEST(Url, EncodesReservedCharacters) {
  EXPECT_EQ(url_encode("a.b-c_d~"), "a.b-c_d~");
  EXPECT_EQ(url_encode("a b/c+="), "a%20b%2Fc%2B%3D");
}

TEST(MeetingId, FollowsTheContract) {
  EXPECT_TRUE(is_valid_meeting_id("demo_1-A"));
  EXPECT_FALSE(is_valid_meeting_id(""));
  EXPECT_FALSE(is_valid_meeting_id("has space"));
  EXPECT_FALSE(is_valid_meeting_id(std::string(65, 'a')));
}

TEST(Backoff, GrowsWithJitterUpToTheCeilingAndResets) {
  Backoff backoff(std::chrono::milliseconds(100), std::chrono::milliseconds(1000), 42);
  int64_t previous_ceiling = 100;
  for (int i = 0; i < 10; ++i) {
    const auto delay = backoff.next().count();
    const int64_t ceiling = std::min<int64_t>(1000, 100LL << i);
    EXPECT_GE(delay, ceiling / 2);
    EXPECT_LE(delay, ceiling);
    previous_ceiling = ceiling;
  }
  EXPECT_EQ(previous_ceiling, 1000);
  backoff.reset();
  EXPECT_LE(backoff.next().count(), 100);
}

TEST(JoinResponse, ParsesTheContractFields) {
  const auto result = parse_join_response(
      200,
      R"({"token":"abc","participant_id":7,"meeting_id":"demo","role":"host","expires_at":1,"ws_url":"/ws"})");
  const auto* grant = std::get_if<JoinGrant>(&result);
  ASSERT_NE(grant, nullptr);
  EXPECT_EQ(grant->token, "abc");
  EXPECT_EQ(grant->participant_id, 7u);
  EXPECT_EQ(grant->ws_path, "/ws");
}

TEST(JoinResponse, ParsesTheWebTransportEndpointAndDecodesCertificateHashes) {
  // SHA-256 of "" and of "abc", base64.
  const auto result = parse_join_response(
      200, R"({"token":"abc","ws_url":"/ws","webtransport":{"url":"https://127.0.0.1:4433/wt",)"
           R"("certificate_hashes":["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",)"
           R"("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=","not base64","AAAA"]}})");
  const auto* grant = std::get_if<JoinGrant>(&result);
  ASSERT_NE(grant, nullptr);
  ASSERT_TRUE(grant->webtransport.has_value());
  EXPECT_EQ(grant->webtransport->url, "https://127.0.0.1:4433/wt");
  // Malformed or wrong-sized hashes are skipped, never pinned.
  ASSERT_EQ(grant->webtransport->certificate_sha256.size(), 2u);
  EXPECT_EQ(grant->webtransport->certificate_sha256[0].size(), 32u);
  EXPECT_EQ(grant->webtransport->certificate_sha256[0][0], 0xe3);  // e3b0c442...
  EXPECT_EQ(grant->webtransport->certificate_sha256[0][31], 0x55);
  EXPECT_EQ(grant->webtransport->certificate_sha256[1][0], 0xba);  // ba7816bf...

  const auto without = parse_join_response(200, R"({"token":"abc","ws_url":"/ws"})");
  EXPECT_FALSE(std::get<JoinGrant>(without).webtransport.has_value());
}

TEST(JoinResponse, ParsesAlternateServersAndSkipsNonStrings) {
  const auto result = parse_join_response(
      200, R"({"token":"abc","alternate_servers":["http://node2:8082",7,"https://node3:8443"]})");
  const auto* grant = std::get_if<JoinGrant>(&result);
  ASSERT_NE(grant, nullptr);
  EXPECT_EQ(grant->alternate_servers,
            (std::vector<std::string>{"http://node2:8082", "https://node3:8443"}));
  const auto none = parse_join_response(200, R"({"token":"abc","alternate_servers":"x"})");
  EXPECT_TRUE(std::get<JoinGrant>(none).alternate_servers.empty());
}

TEST(TransportPreference, ParsesTheThreeNamesOnly) {
  EXPECT_EQ(parse_transport_preference("auto"), TransportPreference::kAuto);
  EXPECT_EQ(parse_transport_preference("webtransport"), TransportPreference::kWebTransport);
  EXPECT_EQ(parse_transport_preference("websocket"), TransportPreference::kWebSocket);
  EXPECT_FALSE(parse_transport_preference("quic").has_value());
  EXPECT_EQ(to_string(TransportKind::kWebTransport), "webtransport");
}

TEST(JoinResponse, MapsErrorsToRefusedOrUnreachable) {
  auto result = parse_join_response(
      400, R"({"error":{"code":"bad_request","message":"display name too long"}})");
  auto* error = std::get_if<ClientError>(&result);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->kind, ErrorKind::kRefused);
  EXPECT_NE(error->message.find("display name too long"), std::string::npos);

  result = parse_join_response(503, "not json");
  error = std::get_if<ClientError>(&result);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->kind, ErrorKind::kUnreachable);

  result = parse_join_response(429, "");
  error = std::get_if<ClientError>(&result);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, 4429u);
  EXPECT_TRUE(is_retryable_close_code(error->code));

  result = parse_join_response(200, R"({"participant_id":1})");
  EXPECT_EQ(std::get<ClientError>(result).kind, ErrorKind::kProtocol);
}

TEST(CloseCodes, RefusedCodesAreFinalAndTransientOnesRetry) {
  for (uint32_t code : {4401u, 4403u, 4404u, 4406u, 4410u}) {
    EXPECT_EQ(classify_close_code(code), ErrorKind::kRefused) << code;
  }
  EXPECT_EQ(classify_close_code(4400), ErrorKind::kProtocol);
  EXPECT_EQ(classify_close_code(4409), ErrorKind::kServerClosed);
  EXPECT_FALSE(is_retryable_close_code(4409));
  EXPECT_TRUE(is_retryable_close_code(4503));
  EXPECT_TRUE(is_retryable_close_code(1006));
}

TEST(SubscriptionBook, KeepsWhatTheServerKeepsForReplay) {
  SubscriptionBook book(std::nullopt);
  EXPECT_FALSE(book.defaults());
  EXPECT_FALSE(book.replay());

  v1::UpdateSubscriptions update;
  *update.add_set() = track_subscription(7, 2, 180);
  *update.add_set() = track_subscription(8, 2, 0, /*paused=*/true);
  *update.add_set() = track_subscription(0, 2, 180);  // invalid: the server skips it
  book.apply(update);
  ASSERT_TRUE(book.replay());
  EXPECT_EQ(book.replay()->set_size(), 2);
  EXPECT_FALSE(book.replay()->has_defaults());  // defaults travel in Hello

  v1::UpdateSubscriptions change;
  *change.add_set() = track_subscription(7, 2, 360);  // replaces
  v1::TrackRef* removed = change.add_remove();
  removed->set_publisher_participant_id(8);
  removed->set_track_id(2);
  *change.mutable_defaults() = video_defaults(0, /*paused=*/true);
  book.apply(change);
  const auto replay = book.replay();
  ASSERT_TRUE(replay);
  ASSERT_EQ(replay->set_size(), 1);
  EXPECT_EQ(replay->set(0).max_height(), 360u);
  ASSERT_TRUE(book.defaults());
  EXPECT_EQ(book.defaults()->video(), v1::VIDEO_DEFAULT_PAUSED);

  book.forget_publisher(7);
  EXPECT_FALSE(book.replay());
}

TEST(SubscriptionBook, DefaultsHelperPicksTheMode) {
  EXPECT_EQ(video_defaults(0).video(), v1::VIDEO_DEFAULT_ALL);
  EXPECT_EQ(video_defaults(180).video(), v1::VIDEO_DEFAULT_MAX_HEIGHT);
  EXPECT_EQ(video_defaults(180).video_max_height(), 180u);
  EXPECT_EQ(video_defaults(180, true).video(), v1::VIDEO_DEFAULT_PAUSED);
}

}  // namespace
}  // namespace vc::client
