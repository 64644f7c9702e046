// Server URL parsing: http(s)://host[:port][/prefix] (ws:// and wss:// accepted as synonyms).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/meeting_id.hpp"

namespace vc::client {

struct ServerUrl {
  bool secure = false;
  std::string host;  // without brackets for IPv6
  uint16_t port = 0;
  std::string base_path;  // "" or "/prefix" without trailing slash

  // Host header value ("host:port", IPv6 in brackets).
  std::string host_header() const;
};

// Returns nullopt when the URL is not one we can connect to.
std::optional<ServerUrl> parse_server_url(std::string_view url);

// Percent-encodes a string for use in a path segment or query value.
std::string url_encode(std::string_view text);

// Meeting ids the server accepts: vc::is_valid_meeting_id (common/meeting_id.hpp).
using vc::is_valid_meeting_id;

}  // namespace vc::client
