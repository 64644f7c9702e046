#include "server/http/client_address.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace vc::http {

namespace asio = boost::asio;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// IPv4-mapped IPv6 peers (::ffff:a.b.c.d on dual-stack sockets) compare as IPv4.
asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<asio::ip::address> parse_address(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return unmapped(address);
}

// One hop of a forwarding list: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1", "[2001:db8::1]:80".
std::optional<asio::ip::address> parse_hop(std::string_view node) {
  node = trim(node);
  if (node.size() >= 2 && node.front() == '"' && node.back() == '"') {
    node = node.substr(1, node.size() - 2);
  }
  if (!node.empty() && node.front() == '[') {
    const std::size_t close = node.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_address(node.substr(1, close - 1));
  }
  if (std::count(node.begin(), node.end(), ':') == 1) node = node.substr(0, node.find(':'));
  return parse_address(node);
}

// The node of a Forwarded element's for= parameter ("for=1.2.3.4;proto=https").
std::string_view forwarded_for(std::string_view element) {
  while (!element.empty()) {
    const std::size_t semicolon = element.find(';');
    const std::string_view pair = trim(element.substr(0, semicolon));
    if (pair.size() > 4 && std::equal(pair.begin(), pair.begin() + 4, "for=", [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return pair.substr(4);
    }
    if (semicolon == std::string_view::npos) break;
    element.remove_prefix(semicolon + 1);
  }
  return {};
}

}  // namespace

bool Cidr::contains(const asio::ip::address& address_in) const {
  const asio::ip::address address = unmapped(address_in);
  if (address.is_v4() != network.is_v4()) return false;
  auto matches = [this](const auto& a, const auto& b) {
    unsigned left = prefix_length;
    for (std::size_t i = 0; i < a.size() && left > 0; ++i) {
      const unsigned bits = std::min(left, 8u);
      const auto mask = static_cast<uint8_t>(0xff00u >> bits);
      if ((a[i] & mask) != (b[i] & mask)) return false;
      left -= bits;
    }
    return true;
  };
  if (address.is_v4()) return matches(address.to_v4().to_bytes(), network.to_v4().to_bytes());
  return matches(address.to_v6().to_bytes(), network.to_v6().to_bytes());
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  text = trim(text);
  const std::size_t slash = text.find('/');
  const auto network = parse_address(text.substr(0, slash));
  if (!network) return std::nullopt;
  const unsigned max_length = network->is_v4() ? 32 : 128;
  unsigned length = max_length;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    length = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      length = length * 10 + static_cast<unsigned>(c - '0');
    }
    if (length > max_length) return std::nullopt;
  }
  return Cidr{*network, length};
}

bool in_any(const std::vector<Cidr>& blocks, const asio::ip::address& address) {
  return std::any_of(blocks.begin(), blocks.end(),
                     [&](const Cidr& block) { return block.contains(address); });
}

asio::ip::address client_address(const asio::ip::address& peer, std::string_view forwarded,
                                 std::string_view x_forwarded_for,
                                 const std::vector<Cidr>& trusted_proxies) {
  asio::ip::address client = unmapped(peer);
  if (!in_any(trusted_proxies, client)) return client;
  const bool use_forwarded = !trim(forwarded).empty();
  std::string_view list = use_forwarded ? forwarded : x_forwarded_for;
  while (!trim(list).empty()) {
    const std::size_t comma = list.rfind(',');
    const std::string_view element =
        comma == std::string_view::npos ? list : list.substr(comma + 1);
    const auto hop = parse_hop(use_forwarded ? forwarded_for(element) : element);
    if (!hop) break;
    client = *hop;
    if (!in_any(trusted_proxies, client)) break;
    if (comma == std::string_view::npos) break;
    list = list.substr(0, comma);
  }
  return client;
}

}  // namespace vc::http
