// Extended CONNECT (RFC 9220) validation for WebTransport sessions: which requests get a session
// and which get an HTTP error status. Pure logic; the token check is injected.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/h3/header_decoder.hpp"

namespace vc::h3 {

struct ConnectPolicy {
  std::string path = "/wt";
  // When non-empty, the request's `origin` must be one of these (exact match).
  std::vector<std::string> allowed_origins;
};

struct ConnectDecision {
  int status = 200;         // 200 accepts the session; otherwise the HTTP status to answer with
  std::string token;        // the token from the query, when status == 200
  std::string_view reason;  // for logs
};

// Returns the value of query parameter `name` in a request target ("/wt?a=1&token=x"), with %XX
// and '+' decoded; empty when absent or malformed.
std::string query_parameter(std::string_view target, std::string_view name);

// Method/protocol (400), path (404), origin (403), token missing or rejected (401).
// `verify_token` is called only for a well-formed request on the right path from an allowed origin.
ConnectDecision evaluate_connect(const RequestHeaders& request, const ConnectPolicy& policy,
                                 const std::function<bool(std::string_view token)>& verify_token);

}  // namespace vc::h3
