#include "common/cidr.hpp"

#include <algorithm>
#include <string>

namespace vc {

namespace asio = boost::asio;

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

asio::ip::address unmapped(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address;
}

std::optional<asio::ip::address> parse_ip_address(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return unmapped(address);
}

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
  text = trim_blanks(text);
  const std::size_t slash = text.find('/');
  const auto network = parse_ip_address(text.substr(0, slash));
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

}  // namespace vc
