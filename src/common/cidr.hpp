// Address blocks ("10.0.0.0/8", "fd00::/8", one address) for the lists an operator configures:
// trusted proxies, rate-limit exemptions. IPv4-mapped IPv6 addresses compare as IPv4.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace vc {

// An address block: "10.0.0.0/8", "fd00::/8", or one address ("127.0.0.1" = /32, "::1" = /128).
struct Cidr {
  boost::asio::ip::address network;
  unsigned prefix_length = 0;
  bool contains(const boost::asio::ip::address& address) const;
};

std::optional<Cidr> parse_cidr(std::string_view text);

bool in_any(const std::vector<Cidr>& blocks, const boost::asio::ip::address& address);

// An IP address without a port; IPv4-mapped IPv6 comes back as IPv4.
std::optional<boost::asio::ip::address> parse_ip_address(std::string_view text);
boost::asio::ip::address unmapped(const boost::asio::ip::address& address);
// Without leading and trailing spaces and tabs (the blanks of HTTP header lists).
std::string_view trim_blanks(std::string_view s);

}  // namespace vc
