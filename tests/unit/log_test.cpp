#include "common/log.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/limits.hpp"

namespace vc::log {
namespace {

TEST(LogEscape, PlainTextIsUnchanged) {
  EXPECT_EQ(escape("videocall-web/1.2 (Linux; x86_64) Ada Lovelace"),
            "videocall-web/1.2 (Linux; x86_64) Ada Lovelace");
  EXPECT_EQ(escape("Zoë 李 🎉"), "Zoë 李 🎉");
}

TEST(LogEscape, LineBreaksQuotesAndControlsCannotForgeLinesOrFields) {
  const std::string forged = "x\"\nts=2026-01-01T00:00:00Z level=error event=forged\r\t\x1b[2J\\";
  const std::string out = escape(forged);
  EXPECT_EQ(out, "x\\\"\\nts=2026-01-01T00:00:00Z level=error event=forged\\r\\t\\x1B[2J\\\\");
  EXPECT_EQ(out.find('\n'), std::string::npos);
  EXPECT_EQ(escape(std::string("a\0b\x7f", 4)), "a\\x00b\\x7F");
}

TEST(LogEscape, InvalidUtf8AndInvisibleControlsAreShownAsCodes) {
  EXPECT_EQ(escape("\xff\xfe"), "\\xFF\\xFE");
  EXPECT_EQ(escape("\xc0\xaf"), "\\xC0\\xAF");           // overlong '/'
  EXPECT_EQ(escape("\xed\xa0\x80"), "\\xED\\xA0\\x80");  // a surrogate
  EXPECT_EQ(escape("a\xe2\x80\xae"
                   "b"),
            "a\\u{202E}b");                        // right-to-left override
  EXPECT_EQ(escape("\xe2\x80\xa8"), "\\u{2028}");  // line separator
  EXPECT_EQ(escape("\xc2\x85"), "\\u{0085}");      // NEL
}

TEST(LogEscape, LongInputIsCut) {
  const std::string out = escape(std::string(10000, 'a'));
  EXPECT_EQ(out, std::string(limits::kMaxLoggedClientStringBytes, 'a') + "…");
}

TEST(LogEscape, FormatsThroughFmt) {
  EXPECT_EQ(fmt::format("client=\"{}\"", escaped("a\nb")), "client=\"a\\nb\"");
}

TEST(RedactUrlCredentials, RemovesUserinfoOnly) {
  EXPECT_EQ(redact_url_credentials("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
  EXPECT_EQ(redact_url_credentials("nats://alice:s3cr%40t@nats.example:4222"),
            "nats://[redacted]@nats.example:4222");
  EXPECT_EQ(redact_url_credentials("tls://tok3n@nats.example"), "tls://[redacted]@nats.example");
  EXPECT_EQ(redact_url_credentials("nats://u:p@ss@h:1/x@y"), "nats://[redacted]@h:1/x@y");
  EXPECT_EQ(redact_url_credentials("nats://a:b@h1:1,nats://h2:2,c:d@h3:3"),
            "nats://[redacted]@h1:1,nats://h2:2,[redacted]@h3:3");
  EXPECT_EQ(redact_url_credentials(""), "");
}

}  // namespace
}  // namespace vc::log
