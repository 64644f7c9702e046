// The host name this node tells clients to connect to (the WebTransport URL in join and token
// responses). Request headers are never reflected as they are: the host comes from --public-url,
// else from a Host header that is strictly a host name or an IP address, else from --listen.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vc::http {

// The host part of a Host header ("name", "name:port", "1.2.3.4:port", "[v6]:port"), or nullopt
// unless it is a DNS name (letters, digits, '-', dot-separated labels of 1..63, at most 253 bytes),
// an IPv4 address or a bracketed IPv6 address, with an optional decimal port 1..65535. IPv6 keeps
// its brackets. The result is plain ASCII and safe to put into a URL.
std::optional<std::string> host_from_header(std::string_view host_header);

// The host of an http(s)://host[:port] base URL, or nullopt if it is not one.
std::optional<std::string> host_from_base_url(std::string_view url);

// Where clients should connect: the host of `public_url` when set, else a valid Host header, else
// the listen address (or "localhost" when listening on all addresses).
std::string public_host(std::string_view public_url, std::string_view host_header,
                        std::string_view listen_address);

}  // namespace vc::http
