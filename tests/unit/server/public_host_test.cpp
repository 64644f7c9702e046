#include "server/http/public_host.hpp"

#include <gtest/gtest.h>

namespace vc::http {
namespace {

TEST(PublicHost, HostHeadersAreStrictlyNamesOrAddresses) {
  EXPECT_EQ(host_from_header("meet.example.com"), "meet.example.com");
  EXPECT_EQ(host_from_header("meet.example.com:8443"), "meet.example.com");
  EXPECT_EQ(host_from_header("Meet-1.Example.COM."), "Meet-1.Example.COM.");
  EXPECT_EQ(host_from_header("192.0.2.7:80"), "192.0.2.7");
  EXPECT_EQ(host_from_header("[2001:DB8::1]:443"), "[2001:db8::1]");
  EXPECT_EQ(host_from_header("[::1]"), "[::1]");
  EXPECT_EQ(host_from_header("localhost"), "localhost");
  for (const char* bad : {"",
                          "\xff",
                          "caf\xc3\xa9.example",
                          "a b",
                          "a\"b",
                          "a/b",
                          "a@b",
                          "a..b",
                          ".a",
                          "-a.b",
                          "a-.b",
                          "a:",
                          "a:0",
                          "a:65536",
                          "a:12x",
                          "a:1:2",
                          "[::1",
                          "[::1]x",
                          "[::1]:",
                          "[fe80::1%eth0]",
                          "[1.2.3.4]",
                          "[zz::1]",
                          "a\r\nSet-Cookie: x",
                          "a%41"}) {
    EXPECT_FALSE(host_from_header(bad)) << bad;
  }
  EXPECT_FALSE(host_from_header(std::string(64, 'a') + ".example"));  // label > 63
  EXPECT_TRUE(host_from_header(std::string(63, 'a') + ".example"));
  EXPECT_FALSE(host_from_header(std::string(254, 'a')));
}

TEST(PublicHost, ConfiguredUrlThenValidHostThenListenAddress) {
  EXPECT_EQ(public_host("https://meet.example.org", "evil.example", "0.0.0.0"), "meet.example.org");
  EXPECT_EQ(public_host("https://[2001:db8::5]:8443/", "evil.example", "0.0.0.0"), "[2001:db8::5]");
  EXPECT_EQ(public_host("", "node1.example:8080", "0.0.0.0"), "node1.example");
  EXPECT_EQ(public_host("", "\xff", "0.0.0.0"), "localhost");
  EXPECT_EQ(public_host("", "\xff", "::"), "localhost");
  EXPECT_EQ(public_host("", "\xff", "192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(public_host("", "", "::1"), "[::1]");
}

}  // namespace
}  // namespace vc::http
