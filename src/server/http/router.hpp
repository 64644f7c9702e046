// Request routing for everything on the HTTP port except the WebSocket upgrade: REST API,
// /healthz, /metrics and the static web app. Runs on the relay thread; blocking store work is
// posted to the store pool and the response comes back through `respond` on the relay thread.
#pragma once

#include <boost/beast/http/message_generator.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "server/core/server_context.hpp"

namespace vc::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Responder = std::function<void(bhttp::message_generator)>;

// What a response needs to know about its request once the request itself is gone.
inline constexpr std::string_view kServerName = "videocall-server";

struct RequestInfo {
  unsigned version = 11;
  bool keep_alive = true;
  bool head = false;
  // Set for REST calls from another node's page (an origin in --peer-url): the response then
  // carries Access-Control-Allow-Origin so a browser that moved nodes can use this node's API.
  std::string cors_origin;
};

inline RequestInfo info_of(const Request& req) {
  return {req.version(), req.keep_alive(), req.method() == bhttp::verb::head, {}};
}

// `remote` is the client's address (for per-address rate limits).
void handle_request(core::ServerContext& ctx, Request&& req, const boost::asio::ip::address& remote,
                    Responder respond);

// REST API under /api/v1 (api.cpp).
void handle_api(core::ServerContext& ctx, Request&& req, std::string_view path,
                const boost::asio::ip::address& remote, Responder respond);

// Meeting settings as JSON (api.cpp): the join response and the moderation API.
nlohmann::json settings_json(const ::videocall::v1::MeetingSettings& s);

// Moderation API (moderation_api.cpp, docs/PROTOCOL.md §14.5): /api/v1/meetings/{id}/moderation,
// /settings and /audit, authorised by a host's or co-host's room token.
bool is_moderation_resource(std::string_view resource);
void handle_moderation_api(core::ServerContext& ctx, const Request& req, std::string meeting_id,
                           std::string_view resource, const RequestInfo& info, Responder respond);

// Static web app with the SPA fallback (static_files.cpp).
bhttp::message_generator serve_static(const core::ServerContext& ctx, const Request& req,
                                      std::string_view path);

bhttp::message_generator json_response(bhttp::status status, const nlohmann::json& body,
                                       const RequestInfo& info);
bhttp::message_generator error_response(bhttp::status status, std::string_view code,
                                        std::string_view message, const RequestInfo& info);
// error_response that also counts the failure in the metrics.
bhttp::message_generator fail(core::ServerContext& ctx, bhttp::status status, std::string_view code,
                              std::string_view message, const RequestInfo& info);
bhttp::message_generator text_response(bhttp::status status, std::string body,
                                       std::string_view content_type, const RequestInfo& info);

// Headers every response carries: nosniff, no Referer leaking meeting ids to other sites, and
// no framing. API and text responses get a CSP that allows nothing (they are never documents).
void set_common_security_headers(bhttp::fields& headers);
inline constexpr std::string_view kNonDocumentCsp = "default-src 'none'; frame-ancestors 'none'";

// The web app's Content-Security-Policy: scripts, styles and worklets only from this origin, no
// inline code; connections to this origin, to WebTransport (https on any host, it runs on its own
// UDP port) and to the other nodes of the deployment (--peer-url, for reconnects and token
// renewal).
std::string web_app_csp(const std::vector<std::string>& peer_urls);

// Join and token calls must declare a JSON body, so a cross-site form or "simple" fetch (which
// can only send text/plain, urlencoded or multipart without a CORS preflight) is refused.
bool has_json_content_type(const Request& req);

// Path part of a request target (before '?').
std::string_view target_path(std::string_view target);

// Value of one query parameter, percent-decoded; empty if absent.
std::string query_param(std::string_view target, std::string_view name);

}  // namespace vc::http
