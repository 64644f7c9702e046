// Client-controlled strings cannot forge log lines: a Hello.client carrying a newline and a fake
// logfmt line is written escaped, inside its one session_joined line.
#include <gtest/gtest.h>

#include <sstream>

#include "server_harness.hpp"

namespace vc::test {
namespace {

TEST(ServerLogs, ClientStringWithNewlineStaysOnItsOwnLogLine) {
  ServerProcess server;
  const JoinInfo join = join_meeting(server.port(), "logs", "Ada");
  WsClient client(server.port(), "/ws?token=" + join.token);
  v1::Envelope envelope;
  auto* hello = envelope.mutable_control()->mutable_hello();
  hello->set_protocol_version(v1::PROTOCOL_VERSION_1);
  hello->set_client("evil\nts=2026-01-01T00:00:00Z level=error event=forged \"x\"");
  client.send(envelope);
  ASSERT_TRUE(
      client.read_control_until([](const v1::Control& c) { return c.has_join_accepted(); }));
  // The join is logged by the Hello handler, which may still be running when the JoinAccepted
  // arrives; the relay thread answers this request only after that handler has finished.
  ASSERT_EQ(http_request(server.port(), "GET", "/healthz").status, 200u);

  std::istringstream log(server.stderr_text());
  int joined_lines = 0;
  for (std::string line; std::getline(log, line);) {
    const bool joined = line.find("event=session_joined") != std::string::npos;
    EXPECT_FALSE(!joined && line.find("event=forged") != std::string::npos)
        << "a forged line: " << line;
    if (!joined) continue;
    ++joined_lines;
    EXPECT_NE(line.find(R"(client="evil\nts=2026-01-01T00:00:00Z level=error )"
                        R"(event=forged \"x\"")"),
              std::string::npos)
        << line;
  }
  EXPECT_EQ(joined_lines, 1);
}

}  // namespace
}  // namespace vc::test
