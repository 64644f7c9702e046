#include "server/http/router.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/version.hpp>
#include <cctype>
#include <stdexcept>

#include "server/http/client_address.hpp"

namespace vc::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size()) {
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi << 4 | lo));
        i += 2;
        continue;
      }
    }
    out.push_back(in[i] == '+' ? ' ' : in[i]);
  }
  return out;
}

std::string metrics_text(const core::ServerContext& ctx) {
  const core::ServerMetrics& m = ctx.metrics;
  const room::RoomStats rooms = ctx.rooms.total_stats();
  std::string out;
  auto metric = [&out](std::string_view name, std::string_view type, std::string_view help,
                       uint64_t value) {
    fmt::format_to(std::back_inserter(out), "# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help,
                   type, value);
  };
  metric("videocall_http_requests_total", "counter", "HTTP requests", m.http_requests);
  metric("videocall_http_responses_4xx_total", "counter", "HTTP 4xx responses",
         m.http_responses_4xx);
  metric("videocall_http_responses_5xx_total", "counter", "HTTP 5xx responses",
         m.http_responses_5xx);
  metric("videocall_connections_accepted_total", "counter", "TCP connections accepted",
         m.connections_accepted);
  metric("videocall_connections_refused_total", "counter",
         "TCP connections refused (per-address limit, shutdown)", m.connections_refused);
  metric("videocall_joins_total", "counter", "Room tokens issued by the join API", m.joins);
  metric("videocall_token_refreshes_total", "counter", "Room tokens renewed (POST .../token)",
         m.token_refreshes);
  metric("videocall_token_refreshes_refused_after_leave_total", "counter",
         "Token refreshes refused: the participant had left on purpose",
         m.token_refreshes_refused_after_leave);
  metric("videocall_tokens_refused_total", "counter", "Media connections refused with 4401",
         m.media.tokens_refused);
  metric("videocall_rate_limited_total", "counter", "REST calls refused with 429", m.rate_limited);
  metric("videocall_ws_sessions_opened_total", "counter", "Media WebSocket sessions opened",
         m.media.ws_sessions_opened);
  metric("videocall_ws_sessions", "gauge", "Live media sessions", ctx.media_sessions.size());
  metric("videocall_ws_messages_in_total", "counter", "WebSocket messages received",
         m.media.ws_messages_in);
  metric("videocall_ws_bytes_in_total", "counter", "WebSocket payload bytes received",
         m.media.ws_bytes_in);
  metric("videocall_ws_frames_out_total", "counter", "Envelopes written to WebSockets",
         m.media.ws_frames_out);
  metric("videocall_ws_bytes_out_total", "counter", "Envelope bytes written to WebSockets",
         m.media.ws_bytes_out);
  metric("videocall_rooms", "gauge", "Live rooms", ctx.rooms.room_count());
  metric("videocall_participants", "gauge", "Participants in live rooms",
         ctx.rooms.participant_count());
  metric("videocall_media_in_total", "counter", "Media envelopes accepted by rooms",
         rooms.media_in);
  metric("videocall_frames_forwarded_total", "counter", "Frames queued to receivers",
         rooms.frames_forwarded);
  metric("videocall_bytes_forwarded_total", "counter", "Bytes queued to receivers",
         rooms.bytes_forwarded);
  metric("videocall_keyframe_requests_sent_total", "counter", "Keyframe requests sent",
         rooms.keyframe_requests_sent);
  metric("videocall_keyframe_requests_coalesced_total", "counter", "Keyframe requests coalesced",
         rooms.keyframe_requests_coalesced);
  metric("videocall_slow_receivers_closed_total", "counter", "Receivers closed as too slow",
         rooms.slow_receivers_closed);
  metric("videocall_control_messages_dropped_total", "counter",
         "Client control messages dropped over the per-connection rate",
         rooms.control_messages_dropped);
  metric("videocall_control_flood_closes_total", "counter",
         "Connections closed (4429) for sustained control floods", rooms.control_flood_closes);
  metric("videocall_keyframe_requests_unknown_track_total", "counter",
         "Keyframe requests dropped: no such published video track or encoding",
         rooms.keyframe_requests_unknown_track);
  // Queues and memory (docs/SECURITY.md).
  const SendQueueBudget& queues = ctx.send_queue_budget;
  metric("videocall_send_queue_bytes", "gauge", "Bytes held in all receivers' send queues",
         queues.held_bytes());
  metric("videocall_send_queue_limit_bytes", "gauge", "Cap on videocall_send_queue_bytes",
         queues.limit_bytes());
  metric("videocall_send_queue_dropped_audio_total", "counter",
         "Audio frames dropped by send queues (oldest first)", queues.totals().dropped_audio);
  metric("videocall_send_queue_dropped_video_total", "counter",
         "Video frames dropped by send queues (until the next keyframe)",
         queues.totals().dropped_video);
  metric("videocall_send_queue_over_connection_cap_total", "counter",
         "Receivers found over their own queue cap (closed with 4429)",
         queues.totals().over_connection_cap);
  metric("videocall_send_queue_over_process_cap_total", "counter",
         "Receivers refused a frame over the process queue cap (closed with 4429)",
         queues.totals().over_process_cap);
  metric("videocall_audio_oversized_dropped_total", "counter",
         "Audio envelopes over the audio size limit, dropped", rooms.oversized_audio_dropped);
  metric("videocall_keyframe_requests_backed_off_total", "counter",
         "Keyframe requests deferred because the same receiver keeps losing the track",
         rooms.keyframe_requests_backed_off);
  // Chat, raised hands and reactions (docs/PROTOCOL.md §12).
  metric("videocall_chat_messages_total", "counter", "Chat messages accepted from local members",
         rooms.chat_messages);
  metric("videocall_chat_refused_total", "counter",
         "Chat messages refused (too long, invalid text, over the rate, not allowed)",
         rooms.chat_refused);
  metric("videocall_reactions_total", "counter", "Reactions accepted from local members",
         rooms.reactions);
  metric("videocall_reactions_refused_total", "counter",
         "Reactions refused (not in the allowed set, over the rate, not allowed)",
         rooms.reactions_refused);
  metric("videocall_hands_raised_total", "counter", "Hands raised", rooms.hands_raised);
  // Grants (docs/PROTOCOL.md §13): what participants tried without the grant.
  metric("videocall_media_not_granted_total", "counter",
         "Media frames dropped because the publisher's token does not grant that source",
         rooms.media_not_granted);
  metric("videocall_tracks_not_granted_total", "counter",
         "Track publications refused because the token does not grant that source",
         rooms.tracks_not_granted);
  metric("videocall_subscriptions_not_granted_total", "counter",
         "Subscription updates refused because the token does not grant subscribe",
         rooms.subscriptions_not_granted);
  metric("videocall_chat_not_granted_total", "counter",
         "Chat messages refused because the token does not grant chat", rooms.chat_not_granted);
  metric("videocall_host_actions_total", "counter", "Host actions carried out", rooms.host_actions);
  metric("videocall_host_actions_refused_total", "counter",
         "Host actions refused (not a host or co-host, bad target)", rooms.host_actions_refused);
  metric("videocall_media_forced_off_total", "counter",
         "Frames dropped because a host muted or stopped that source", rooms.media_forced_off);
  // Tracks and selective forwarding (docs/PROTOCOL.md §11).
  metric("videocall_tracks_refused_total", "counter",
         "PublishTrack/UnpublishTrack refused (invalid, over the track cap, unknown track)",
         rooms.tracks_refused);
  metric("videocall_media_unknown_track_total", "counter",
         "Media on a track or encoding that is not published, dropped", rooms.media_unknown_track);
  metric("videocall_frames_not_subscribed_total", "counter",
         "Frames not forwarded to a receiver that paused or did not subscribe to the track",
         rooms.frames_not_subscribed);
  metric("videocall_frames_layer_filtered_total", "counter",
         "Frames not forwarded to a receiver by layer choice (another encoding or temporal layer)",
         rooms.frames_layer_filtered);
  metric("videocall_audio_not_top_k_total", "counter",
         "Audio frames not forwarded in large rooms (not among the loudest)",
         rooms.audio_not_top_k);
  metric("videocall_gop_cache_starts_total", "counter",
         "Subscribers started from cached frames instead of waiting for a keyframe",
         rooms.gop_cache_starts);
  metric("videocall_layer_switches_total", "counter",
         "Spatial layer switches at a keyframe of the target encoding", rooms.layer_switches);
  metric("videocall_dominant_speaker_changes_total", "counter", "Dominant speaker changes",
         rooms.dominant_speaker_changes);
  metric("videocall_subscription_updates_total", "counter", "UpdateSubscriptions received",
         rooms.subscription_updates);
  metric("videocall_handler_exceptions_total", "counter",
         "Exceptions contained in handlers (that request or connection closed)",
         m.handler_exceptions);
  metric("videocall_accept_fd_exhausted_total", "counter",
         "accept() out of file descriptors (accepting paused briefly)", m.accept_fd_exhausted);
  metric("videocall_connections_over_limit_total", "counter",
         "TCP connections refused at --max-connections", m.connections_over_limit);
  metric("videocall_http_unsupported_media_type_total", "counter",
         "Join/token calls refused with 415 (not application/json)", m.unsupported_media_type);
  for (const auto& [name, source] : ctx.metric_sources) source(metric);
  out += "# HELP videocall_ws_errors_total Control.error codes sent before closing\n";
  out += "# TYPE videocall_ws_errors_total counter\n";
  for (const auto& [code, count] : m.media.ws_closed_with_code) {
    fmt::format_to(std::back_inserter(out), "videocall_ws_errors_total{{code=\"{}\"}} {}\n", code,
                   count);
  }
  return out;
}

}  // namespace

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

std::string query_param(std::string_view target, std::string_view name) {
  const auto question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

void set_common_security_headers(bhttp::fields& headers) {
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("X-Frame-Options", "DENY");  // frame-ancestors for browsers without CSP level 2
}

std::string web_app_csp(const std::vector<std::string>& peer_urls) {
  std::string connect = "'self' https: wss:";
  for (const std::string& peer : peer_urls) {
    // Peers are validated base URLs (http[s]://host[:port]); ws(s) follows their scheme.
    const bool tls = peer.starts_with("https://");
    connect += " " + peer;
    connect += (tls ? " wss://" : " ws://") + peer.substr(tls ? 8 : 7);
  }
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "media-src 'self' blob: mediastream:; connect-src " +
         connect +
         "; worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
         "frame-ancestors 'none'";
}

bool has_json_content_type(const Request& req) {
  std::string_view type = req[bhttp::field::content_type];
  type = type.substr(0, type.find(';'));  // parameters (charset) are fine
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  return type.size() == kJson.size() &&
         std::equal(type.begin(), type.end(), kJson.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

bhttp::message_generator text_response(bhttp::status status, std::string body,
                                       std::string_view content_type, const RequestInfo& info) {
  bhttp::response<bhttp::string_body> res{status, info.version};
  res.set(bhttp::field::server, kServerName);
  res.set(bhttp::field::content_type, content_type);
  res.set(bhttp::field::cache_control, "no-store");
  set_common_security_headers(res.base());
  res.set("Content-Security-Policy", kNonDocumentCsp);
  if (!info.cors_origin.empty()) {
    res.set(bhttp::field::access_control_allow_origin, info.cors_origin);
    res.set(bhttp::field::vary, "Origin");
  }
  res.keep_alive(info.keep_alive);
  const std::size_t length = body.size();
  if (!info.head) res.body() = std::move(body);
  res.content_length(length);
  return res;
}

bhttp::message_generator json_response(bhttp::status status, const nlohmann::json& body,
                                       const RequestInfo& info) {
  // Replace rather than throw on invalid UTF-8: no input may turn a response into an exception.
  return text_response(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json", info);
}

bhttp::message_generator error_response(bhttp::status status, std::string_view code,
                                        std::string_view message, const RequestInfo& info) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}}, info);
}

bhttp::message_generator fail(core::ServerContext& ctx, bhttp::status status, std::string_view code,
                              std::string_view message, const RequestInfo& info) {
  if (static_cast<unsigned>(status) >= 500) {
    ++ctx.metrics.http_responses_5xx;
  } else {
    ++ctx.metrics.http_responses_4xx;
  }
  return error_response(status, code, message, info);
}

namespace {

// All values of a header that may be repeated, comma-joined (a proxy may add its own line).
std::string joined_header(const Request& req, std::string_view name) {
  std::string joined;
  for (auto [it, end] = req.equal_range(name); it != end; ++it) {
    if (!joined.empty()) joined += ',';
    joined.append(it->value());
  }
  return joined;
}

// --test-fault-injection only: handlers that throw, to prove the containment.
void inject_fault(core::ServerContext& ctx, std::string_view path, Responder respond) {
  if (path == "/__test/throw-later") {
    // Throws from a later handler that owns the responder, like a store completion would.
    boost::asio::post(ctx.io, [respond = std::move(respond)] {
      throw std::runtime_error("injected fault (later)");
    });
    return;
  }
  throw std::runtime_error("injected fault");
}

}  // namespace

void handle_request(core::ServerContext& ctx, Request&& req, const boost::asio::ip::address& peer,
                    Responder respond) {
  ++ctx.metrics.http_requests;
  Responder& counted = respond;
  const RequestInfo info = info_of(req);
  const std::string_view path = target_path(req.target());
  const boost::asio::ip::address remote =
      client_address(peer, joined_header(req, "Forwarded"), joined_header(req, "X-Forwarded-For"),
                     ctx.trusted_proxies);
  if (ctx.config.test_fault_injection && path.starts_with("/__test/")) {
    return inject_fault(ctx, path, std::move(respond));
  }

  if (path.starts_with("/api/")) {
    constexpr std::string_view kPrefix = "/api/v1/meetings";
    if (!path.starts_with(kPrefix)) {
      return counted(fail(ctx, bhttp::status::not_found, "not_found", "no such API", info));
    }
    const std::string path_copy(path.substr(kPrefix.size()));
    return handle_api(ctx, std::move(req), path_copy, remote, std::move(counted));
  }
  if (path == "/healthz") {
    if (ctx.shutting_down) {
      return counted(
          text_response(bhttp::status::service_unavailable, "shutting down\n", "text/plain", info));
    }
    return counted(text_response(bhttp::status::ok, "ok\n", "text/plain", info));
  }
  if (path == "/metrics") {
    return counted(
        text_response(bhttp::status::ok, metrics_text(ctx), "text/plain; version=0.0.4", info));
  }
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    return counted(fail(ctx, bhttp::status::method_not_allowed, "method_not_allowed",
                        "only GET and HEAD are served here", info));
  }
  return counted(serve_static(ctx, req, path));
}

}  // namespace vc::http
