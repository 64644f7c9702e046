// HTTP and REST hardening against the real binary (docs/SECURITY.md "HTTP and REST"): no request
// header is reflected, a throwing handler closes only its own request or connection, static files
// stay inside the web root, security headers, JSON-only join/token calls, the join rate limit and
// trusted proxies, data directory permissions.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server_harness.hpp"

namespace vc::test {
namespace {

std::string ws_target(const JoinInfo& join) {
  return "/ws?token=" + join.token;
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

uint64_t metric_value(const std::string& metrics, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const auto at = metrics.find(prefix);
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(metrics.substr(at + prefix.size()));
}

HttpCall join_call(const std::string& meeting,
                   std::vector<std::pair<std::string, std::string>> headers = {
                       {"Content-Type", "application/json"}}) {
  return {"POST", "/api/v1/meetings/" + meeting + "/join", R"({"display_name":"ada"})",
          std::move(headers)};
}

std::string raw_join(const std::string& host_header) {
  return "POST /api/v1/meetings/x/join HTTP/1.1\r\nHost: " + host_header +
         "\r\nContent-Type: application/json\r\nContent-Length: 22\r\nConnection: close\r\n\r\n"
         R"({"display_name":"ada"})";
}

nlohmann::json body_of(const std::string& raw_response) {
  const auto start = raw_response.find("\r\n\r\n");
  if (start == std::string::npos) return {};
  return nlohmann::json::parse(raw_response.substr(start + 4), nullptr, false);
}

// Issue 9 item 1: a non-UTF-8 Host went into the WebTransport URL and its dump() threw out of the
// relay loop, ending every call on the node.
TEST(HttpHardening, NonUtf8HostIsNeverReflectedAndTheServerSurvives) {
  ServerProcess server({}, ServerOptions{.quic = true});
  const std::string answer = raw_exchange(server.port(), raw_join("\xff"));
  ASSERT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  const auto body = body_of(answer);
  ASSERT_TRUE(body.contains("webtransport")) << answer;
  // An invalid Host falls back to the listen address.
  EXPECT_EQ(body["webtransport"]["url"].get<std::string>().rfind("https://127.0.0.1:", 0), 0u);
  EXPECT_TRUE(server.running());
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz").status, 200u);

  for (const char* hostile : {"a b", "x\"y", "evil/path", "[::1", "h:99999", "\xc3\xa9.example"}) {
    const auto hostile_body = body_of(raw_exchange(server.port(), raw_join(hostile)));
    ASSERT_TRUE(hostile_body.contains("webtransport")) << hostile;
    EXPECT_EQ(hostile_body["webtransport"]["url"].get<std::string>().rfind("https://127.0.0.1:", 0),
              0u)
        << hostile;
  }
  // A valid name is used (browsers reach the UDP port under the name they used for the page).
  const auto named = body_of(raw_exchange(server.port(), raw_join("meet.example:8443")));
  EXPECT_EQ(named["webtransport"]["url"].get<std::string>().rfind("https://meet.example:", 0), 0u);
  EXPECT_TRUE(server.running());
}

TEST(HttpHardening, PublicUrlWinsOverTheHostHeader) {
  ServerProcess server({"--public-url", "https://meet.example.org"}, ServerOptions{.quic = true});
  const auto body = body_of(raw_exchange(server.port(), raw_join("attacker.example")));
  ASSERT_TRUE(body.contains("webtransport"));
  EXPECT_EQ(body["webtransport"]["url"].get<std::string>().rfind("https://meet.example.org:", 0),
            0u);
}

// Issue 9 item 1, the class: exceptions in an HTTP handler (now or in a later completion) and in a
// media session's message handler close only that request or connection; others keep media.
TEST(HttpHardening, ThrowingHandlersCloseOnlyTheirOwnConnection) {
  ServerProcess server({"--test-fault-injection"});
  const auto ja = join_meeting(server.port(), "contain", "A");
  const auto jb = join_meeting(server.port(), "contain", "B");
  const auto jc = join_meeting(server.port(), "contain", "C");
  WsClient a(server.port(), ws_target(ja));
  a.join();
  WsClient b(server.port(), ws_target(jb));
  b.join();
  WsClient c(server.port(), ws_target(jc));
  c.join();

  EXPECT_EQ(http_request(server.port(), "GET", "/__test/throw").status, 500u);
  EXPECT_EQ(http_request(server.port(), "GET", "/__test/throw-later").status, 500u);
  c.send_raw("__videocall_test_throw__");
  EXPECT_EQ(c.wait_close(), 4500u);

  a.send_media(v1::MEDIA_KIND_VIDEO, "still-relayed");
  const auto at_b = b.read_media();
  ASSERT_TRUE(at_b);
  EXPECT_EQ(at_b->payload(), "still-relayed");
  b.send_media(v1::MEDIA_KIND_AUDIO, "and-back");
  const auto at_a = a.read_media();
  ASSERT_TRUE(at_a);
  EXPECT_EQ(at_a->payload(), "and-back");

  const auto metrics = http_request(server.port(), "GET", "/metrics").body;
  EXPECT_EQ(metric_value(metrics, "videocall_handler_exceptions_total"), 3u) << metrics;
  EXPECT_TRUE(server.running());
  EXPECT_NE(server.stderr_text().find("event=handler_exception"), std::string::npos);
}

// A client that sends WebSocket frames with its upgrade request, before our 101 (RFC 6455 §4.1
// forbids it), used to lose the bytes the HTTP read had already taken and then time out waiting
// for a join: it gets a clear 400 now, and nobody else is affected.
TEST(HttpHardening, FramesSentBeforeTheUpgradeAnswerAreRefusedClearly) {
  ServerProcess server;
  const auto joined = join_meeting(server.port(), "eager", "A");
  const std::string upgrade = "GET " + ws_target(joined) +
                              " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n\r\n";
  // A masked binary frame of 3 bytes, in the same write as the request.
  const std::string frame("\x82\x83\x01\x02\x03\x04\x61\x62\x63", 9);
  const std::string answer = raw_exchange(server.port(), upgrade + frame);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_EQ(body_of(answer)["error"]["message"], "data arrived before the WebSocket handshake completed")
      << answer;

  // The same request alone is upgraded, and the participant joins.
  WsClient a(server.port(), ws_target(joined));
  EXPECT_EQ(a.join().self().display_name(), "A");
  EXPECT_TRUE(server.running());
}

// Issue 9 item 14.
TEST(HttpHardening, StaticFilesAreRegularFilesInsideTheWebRoot) {
  ServerProcess server;
  const auto outside = server.data_dir().parent_path() / "outside-secret.txt";
  std::ofstream(outside) << "secret\n";
  std::filesystem::create_symlink(outside, server.web_root() / "leak.txt");
  std::filesystem::create_symlink("/etc", server.web_root() / "etc-link");
  std::filesystem::create_directories(server.web_root() / "x.d");
  std::filesystem::create_symlink(server.web_root() / "assets" / "app-1234.js",
                                  server.web_root() / "inside-link.js");

  for (const char* refused : {"/leak.txt", "/etc-link/passwd", "/x.d"}) {
    const auto res = http_request(server.port(), "GET", refused);
    EXPECT_EQ(res.status, 404u) << refused;
    EXPECT_EQ(res.body.find("secret"), std::string::npos) << refused;
  }
  EXPECT_EQ(http_request(server.port(), "GET", "/inside-link.js").status, 200u);
  EXPECT_EQ(http_request(server.port(), "GET", "/assets/app-1234.js").status, 200u);
  EXPECT_TRUE(server.running());
}

// Issue 9 item 16.
TEST(HttpHardening, SecurityHeadersAndJsonOnlyJoinAndToken) {
  ServerProcess server;
  const auto page = http_call(server.port(), {"GET", "/meeting/demo", "", {}});
  ASSERT_EQ(page.status, 200u);
  const std::string csp = page.header("Content-Security-Policy");
  for (const char* directive :
       {"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"}) {
    EXPECT_NE(csp.find(directive), std::string::npos) << directive << " in " << csp;
  }
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(page.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page.header("Referrer-Policy"), "no-referrer");
  const auto api = http_call(server.port(), {"GET", "/api/v1/meetings/nope", "", {}});
  EXPECT_EQ(api.header("X-Content-Type-Options"), "nosniff");
  EXPECT_NE(api.header("Content-Security-Policy").find("frame-ancestors 'none'"),
            std::string::npos);

  // What a cross-site form or simple fetch can send is refused before any state is created.
  for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", "application/jsonx"}) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (*type != '\0') headers.emplace_back("Content-Type", type);
    EXPECT_EQ(http_call(server.port(), join_call("csrf", headers)).status, 415u) << type;
  }
  const auto ok = http_call(
      server.port(), join_call("csrf", {{"Content-Type", "Application/JSON; charset=utf-8"}}));
  ASSERT_EQ(ok.status, 200u) << ok.body;
  const std::string token = ok.json()["token"].get<std::string>();
  EXPECT_EQ(
      http_call(server.port(),
                {"POST", "/api/v1/meetings/csrf/token", "", {{"Authorization", "Bearer " + token}}})
          .status,
      415u);
  EXPECT_EQ(http_call(server.port(), {"POST",
                                      "/api/v1/meetings/csrf/token",
                                      "",
                                      {{"Authorization", "Bearer " + token},
                                       {"Content-Type", "application/json"}}})
                .status,
            200u);
}

// Issue 9 item 18, end to end: the REST join names the problem.
TEST(HttpHardening, BidiAndZeroWidthNamesAreRefused) {
  ServerProcess server;
  const auto res = http_request(server.port(), "POST", "/api/v1/meetings/names/join",
                                R"({"display_name":"Ada\u202Egnp.exe"})");
  EXPECT_EQ(res.status, 400u);
  EXPECT_NE(res.body.find("bidi"), std::string::npos) << res.body;
  EXPECT_EQ(http_request(server.port(), "POST", "/api/v1/meetings/names/join",
                         R"({"display_name":"A\u200Bda"})")
                .status,
            400u);
}

// Issue 9 item 17: loopback is rate limited like any address unless exempted by flag.
TEST(HttpHardening, JoinRateLimitAppliesToLoopbackUnlessExempt) {
  auto count_limited = [](uint16_t port, int joins) {
    int limited = 0;
    for (int i = 0; i < joins; ++i) limited += http_call(port, join_call("rate")).status == 429u;
    return limited;
  };
  ServerProcess limited({}, ServerOptions{.exempt_loopback_from_join_rate = false});
  EXPECT_GT(count_limited(limited.port(), 45), 0);
  ServerProcess exempt;  // the harness passes --join-rate-exempt 127.0.0.1
  EXPECT_EQ(count_limited(exempt.port(), 45), 0);
}

TEST(HttpHardening, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  auto join_as = [](uint16_t port, const std::string& header, const std::string& client) {
    return http_call(port,
                     join_call("proxy", {{"Content-Type", "application/json"}, {header, client}}))
        .status;
  };
  // Untrusted peer: forged X-Forwarded-For values do not escape the limit of the real address.
  ServerProcess direct({}, ServerOptions{.exempt_loopback_from_join_rate = false});
  int limited = 0;
  for (int i = 0; i < 45; ++i) {
    limited += join_as(direct.port(), "X-Forwarded-For", "203.0.113." + std::to_string(i)) == 429u;
  }
  EXPECT_GT(limited, 0);

  // Trusted proxy: each forwarded client has its own bucket; one client exhausts only its own.
  ServerProcess proxied({"--trusted-proxy", "127.0.0.1/32"},
                        ServerOptions{.exempt_loopback_from_join_rate = false});
  for (int i = 0; i < 45; ++i) {
    EXPECT_EQ(
        join_as(proxied.port(), "X-Forwarded-For", "198.51.100.7, 203.0.113." + std::to_string(i)),
        200u)
        << i;
  }
  int same_client_limited = 0;
  for (int i = 0; i < 45; ++i) {
    same_client_limited +=
        join_as(proxied.port(), "Forwarded", "for=\"[2001:db8::1]:4711\"") == 429u;
  }
  EXPECT_GT(same_client_limited, 0);
  EXPECT_EQ(join_as(proxied.port(), "Forwarded", "for=192.0.2.60;proto=https"), 200u);
}

// Issue 9 item 15.
TEST(HttpHardening, DataDirIsTightenedAndItsFilesAreOwnerOnly) {
  ServerProcess server({}, ServerOptions{.existing_data_dir_mode = 0755});
  ASSERT_EQ(join_meeting(server.port(), "perm", "A").role, "host");  // the database was written
  EXPECT_EQ(mode_of(server.data_dir()), 0700u);
  for (const char* file :
       {"videocall.db", "videocall.db-wal", "videocall.db-shm", "token_secret"}) {
    EXPECT_EQ(mode_of(server.data_dir() / file), 0600u) << file;
  }
}

}  // namespace
}  // namespace vc::test
