// REST join: POST {base}/api/v1/meetings/{id}/join {"display_name": ...} -> room token.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <variant>

#include "url.hpp"
#include "videocall/client.hpp"

namespace vc::client {

struct JoinGrant {
  std::string token;  // secret: never log it
  uint64_t participant_id = 0;
  std::string role;
  std::string ws_path = "/ws";
};

struct HttpOptions {
  std::chrono::milliseconds timeout{5000};
  bool tls_verify = true;
  std::string tls_ca_file;
};

boost::asio::awaitable<std::variant<JoinGrant, ClientError>> http_join(
    boost::asio::any_io_executor executor, const ServerUrl& server, const std::string& meeting_id,
    const std::string& display_name, const HttpOptions& options);

// Parses the join response body; exposed for tests.
std::variant<JoinGrant, ClientError> parse_join_response(unsigned status, const std::string& body);

}  // namespace vc::client
