// REST join: POST {base}/api/v1/meetings/{id}/join {"display_name": ...} -> room token (and
// the WebTransport endpoint); token renewal on any node of the deployment.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "url.hpp"
#include "videocall/client.hpp"

namespace vc::client {

// Where the server's WebTransport endpoint is (join response "webtransport", PROTOCOL.md §7).
struct WebTransportEndpoint {
  std::string url;                                       // https://HOST:PORT/wt
  std::vector<std::vector<uint8_t>> certificate_sha256;  // decoded certificate_hashes
};

struct JoinGrant {
  std::string token;  // secret: never log it
  uint64_t participant_id = 0;
  std::string role;
  int64_t expires_at = 0;  // Unix seconds; 0 when the server did not say
  std::string ws_path = "/ws";
  std::optional<WebTransportEndpoint> webtransport;  // absent: the server runs no QUIC endpoint
  // The other nodes of the deployment ("alternate_servers", the server's --peer-url list).
  std::vector<std::string> alternate_servers;
};

struct HttpOptions {
  std::chrono::milliseconds timeout{5000};
  bool tls_verify = true;
  std::string tls_ca_file;
};

boost::asio::awaitable<std::variant<JoinGrant, ClientError>> http_join(
    boost::asio::any_io_executor executor, const ServerUrl& server, const std::string& meeting_id,
    const std::string& display_name, const HttpOptions& options);

// POST {base}/api/v1/meetings/{id}/token with the current token: the same participant's join
// response from this server (a fresh token, and this node's WebTransport endpoint).
boost::asio::awaitable<std::variant<JoinGrant, ClientError>> http_renew_token(
    boost::asio::any_io_executor executor, const ServerUrl& server, const std::string& meeting_id,
    const std::string& room_token, const HttpOptions& options);

// Parses the join response body; exposed for tests.
std::variant<JoinGrant, ClientError> parse_join_response(unsigned status, const std::string& body);

}  // namespace vc::client
