#include "server/http/client_address.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace vc::http {

namespace asio = boost::asio;

namespace {

// One hop of a forwarding list: "1.2.3.4", "1.2.3.4:5678", "2001:db8::1", "[2001:db8::1]:80".
std::optional<asio::ip::address> parse_hop(std::string_view node) {
  node = trim_blanks(node);
  if (node.size() >= 2 && node.front() == '"' && node.back() == '"') {
    node = node.substr(1, node.size() - 2);
  }
  if (!node.empty() && node.front() == '[') {
    const std::size_t close = node.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_ip_address(node.substr(1, close - 1));
  }
  if (std::count(node.begin(), node.end(), ':') == 1) node = node.substr(0, node.find(':'));
  return parse_ip_address(node);
}

// The node of a Forwarded element's for= parameter ("for=1.2.3.4;proto=https").
std::string_view forwarded_for(std::string_view element) {
  while (!element.empty()) {
    const std::size_t semicolon = element.find(';');
    const std::string_view pair = trim_blanks(element.substr(0, semicolon));
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

asio::ip::address client_address(const asio::ip::address& peer, std::string_view forwarded,
                                 std::string_view x_forwarded_for,
                                 const std::vector<Cidr>& trusted_proxies) {
  asio::ip::address client = unmapped(peer);
  if (!in_any(trusted_proxies, client)) return client;
  const bool use_forwarded = !trim_blanks(forwarded).empty();
  std::string_view list = use_forwarded ? forwarded : x_forwarded_for;
  while (!trim_blanks(list).empty()) {
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
