// Fuzzes what the server derives from request headers: the public host for WebTransport URLs (from
// Host), the client address (from Forwarded / X-Forwarded-For) and --trusted-proxy CIDRs.
// Invariants: an accepted host is ASCII from the host/port alphabet and the URL built from it
// serialises as JSON without throwing (issue 9 item 1); the client address of a request
// from an untrusted peer ignores the headers; nothing throws.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "server/http/client_address.hpp"
#include "server/http/public_host.hpp"

namespace {

bool is_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':' || c == '[' || c == ']';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  const std::string host = vc::http::public_host("", input, "0.0.0.0");
  for (char c : host) {
    if (!is_host_char(c)) abort();
  }
  const nlohmann::json url = {{"url", "https://" + host + ":4433/wt"}};
  (void)url.dump();  // throws on invalid UTF-8: must never happen
  if (auto from_url = vc::http::host_from_base_url(input)) {
    for (char c : *from_url) {
      if (!is_host_char(c)) abort();
    }
  }

  // Split the input into Forwarded and X-Forwarded-For at the first NUL.
  const std::size_t split = input.find('\0');
  const std::string_view forwarded = input.substr(0, split);
  const std::string_view xff = split == std::string_view::npos ? "" : input.substr(split + 1);
  static const std::vector<vc::http::Cidr> trusted = {*vc::http::parse_cidr("10.0.0.0/8"),
                                                      *vc::http::parse_cidr("::1")};
  const auto peer = boost::asio::ip::make_address("10.1.2.3");
  const auto client = vc::http::client_address(peer, forwarded, xff, trusted);
  // From an untrusted peer the headers are never consulted.
  if (vc::http::client_address(boost::asio::ip::make_address("192.0.2.1"), forwarded, xff,
                               trusted) != boost::asio::ip::make_address("192.0.2.1")) {
    abort();
  }
  (void)client;
  (void)vc::http::parse_cidr(input);
  return 0;
}
