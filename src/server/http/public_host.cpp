#include "server/http/public_host.hpp"

#include <boost/asio/ip/address.hpp>

namespace vc::http {

namespace {

constexpr std::size_t kMaxHostNameBytes = 253;
constexpr std::size_t kMaxLabelBytes = 63;

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxHostNameBytes) return false;
  if (name.back() == '.') name.remove_suffix(1);  // the fully qualified form
  std::size_t label = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      if (label == 0 || label > kMaxLabelBytes) return false;
      if (name[i - 1] == '-' || name[i - label] == '-') return false;
      label = 0;
    } else if (is_alnum(name[i]) || name[i] == '-') {
      ++label;
    } else {
      return false;
    }
  }
  return true;
}

bool is_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

std::optional<std::string> host_from_header(std::string_view header) {
  std::string_view host = header;
  std::string_view port;
  bool bracketed = false;
  if (!header.empty() && header.front() == '[') {
    const std::size_t close = header.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = header.substr(1, close - 1);
    const std::string_view rest = header.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
      if (!is_port(port)) return std::nullopt;
    }
    bracketed = true;
  } else if (const std::size_t colon = header.find(':'); colon != std::string_view::npos) {
    host = header.substr(0, colon);
    port = header.substr(colon + 1);
    if (!is_port(port)) return std::nullopt;
  }
  if (bracketed) {
    // Only plain IPv6 (no zone id: "%eth0" has no meaning to a remote client).
    if (host.find('%') != std::string_view::npos) return std::nullopt;
    boost::system::error_code ec;
    const auto v6 = boost::asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return std::nullopt;
    return "[" + v6.to_string() + "]";
  }
  if (!is_dns_name(host)) return std::nullopt;  // also covers dotted IPv4 syntax
  return std::string(host);
}

std::optional<std::string> host_from_base_url(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.starts_with(scheme)) {
      std::string_view authority = url.substr(scheme.size());
      if (!authority.empty() && authority.back() == '/') authority.remove_suffix(1);
      return host_from_header(authority);
    }
  }
  return std::nullopt;
}

std::string public_host(std::string_view public_url, std::string_view host_header,
                        std::string_view listen_address) {
  if (!public_url.empty()) {
    if (auto host = host_from_base_url(public_url)) return *host;
  }
  if (auto host = host_from_header(host_header)) return *host;
  boost::system::error_code ec;
  const auto listen = boost::asio::ip::make_address(std::string(listen_address), ec);
  if (ec || listen.is_unspecified()) return "localhost";
  return listen.is_v6() ? "[" + listen.to_string() + "]" : listen.to_string();
}

}  // namespace vc::http
