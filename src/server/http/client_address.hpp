// Which address a request really comes from. Behind a reverse proxy every TCP peer is the proxy;
// the proxy names the client in Forwarded (RFC 7239) or X-Forwarded-For. Those headers are only
// believed from peers in --trusted-proxy, since anyone else can write them.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "common/cidr.hpp"

namespace vc::http {

using vc::Cidr;
using vc::in_any;
using vc::parse_cidr;

// The client's address: `peer` unless it is a trusted proxy. Then the forwarding chain (Forwarded
// if present, else X-Forwarded-For; each a comma-separated list, nearest hop last) is walked from
// the right past further trusted proxies; the first untrusted hop is the client. A hop that cannot
// be parsed ("unknown", obfuscated names, garbage) ends the walk at the last trusted hop, so a
// forged entry can never pick an arbitrary address.
boost::asio::ip::address client_address(const boost::asio::ip::address& peer,
                                        std::string_view forwarded,
                                        std::string_view x_forwarded_for,
                                        const std::vector<Cidr>& trusted_proxies);

}  // namespace vc::http
