#include "server/http/client_address.hpp"

#include <gtest/gtest.h>

namespace vc::http {
namespace {

boost::asio::ip::address ip(const char* text) {
  return boost::asio::ip::make_address(text);
}

TEST(Cidr, ParsesBlocksAndSingleAddresses) {
  ASSERT_TRUE(parse_cidr("10.0.0.0/8"));
  EXPECT_TRUE(parse_cidr("10.0.0.0/8")->contains(ip("10.255.1.2")));
  EXPECT_FALSE(parse_cidr("10.0.0.0/8")->contains(ip("11.0.0.1")));
  EXPECT_TRUE(parse_cidr("127.0.0.1")->contains(ip("127.0.0.1")));
  EXPECT_FALSE(parse_cidr("127.0.0.1")->contains(ip("127.0.0.2")));
  EXPECT_TRUE(parse_cidr("fd00::/8")->contains(ip("fd12::1")));
  EXPECT_FALSE(parse_cidr("fd00::/8")->contains(ip("10.0.0.1")));
  EXPECT_TRUE(parse_cidr("0.0.0.0/0")->contains(ip("8.8.8.8")));
  EXPECT_TRUE(parse_cidr("192.168.1.0/23")->contains(ip("192.168.0.9")));
  // IPv4-mapped IPv6 peers (dual-stack sockets) match IPv4 blocks.
  EXPECT_TRUE(parse_cidr("127.0.0.1")->contains(ip("::ffff:127.0.0.1")));
  for (const char* bad :
       {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "host", "1.2.3", "10.0.0.0/8/8"}) {
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  }
}

TEST(ClientAddress, HeadersFromUntrustedPeersAreIgnored) {
  const std::vector<Cidr> none;
  EXPECT_EQ(client_address(ip("127.0.0.1"), "for=1.2.3.4", "5.6.7.8", none), ip("127.0.0.1"));
  const std::vector<Cidr> other = {*parse_cidr("10.0.0.0/8")};
  EXPECT_EQ(client_address(ip("192.0.2.1"), "", "5.6.7.8", other), ip("192.0.2.1"));
}

TEST(ClientAddress, TrustedProxyNamesTheNearestUntrustedHop) {
  const std::vector<Cidr> proxies = {*parse_cidr("10.0.0.0/8")};
  // The client may prepend anything; only hops added by our proxies count.
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", "6.6.6.6, 203.0.113.9", proxies), ip("203.0.113.9"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", "6.6.6.6, 203.0.113.9, 10.1.1.1", proxies),
            ip("203.0.113.9"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", "[2001:db8::1]:443", proxies), ip("2001:db8::1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", "203.0.113.9:5555", proxies), ip("203.0.113.9"));
  // Forwarded wins over X-Forwarded-For; quoted IPv6 with port; other parameters ignored.
  EXPECT_EQ(
      client_address(ip("10.0.0.1"), R"(for=1.1.1.1, for="[2001:db8:cafe::17]:4711";proto=https)",
                     "5.5.5.5", proxies),
      ip("2001:db8:cafe::17"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "proto=http;For=192.0.2.60", "", proxies),
            ip("192.0.2.60"));
  // Unknown or garbage hops stop the walk at the last trusted hop.
  EXPECT_EQ(client_address(ip("10.0.0.1"), "for=unknown", "", proxies), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", "1.2.3.4, garbage", proxies), ip("10.0.0.1"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", "1.2.3.4, bad, 10.9.9.9", proxies), ip("10.9.9.9"));
  EXPECT_EQ(client_address(ip("10.0.0.1"), "", "", proxies), ip("10.0.0.1"));
}

}  // namespace
}  // namespace vc::http
