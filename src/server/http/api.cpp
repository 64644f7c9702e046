// REST API: meetings, join (room tokens) and the live participant list. See docs/PROTOCOL.md.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <exception>
#include <optional>

#include "common/log.hpp"
#include "server/auth/grants_claim.hpp"
#include "server/auth/room_token.hpp"
#include "server/core/store_call.hpp"
#include "server/http/public_host.hpp"
#include "server/http/request_validation.hpp"
#include "server/http/router.hpp"

namespace vc::http {

namespace {

namespace v1 = ::videocall::v1;
namespace asio = boost::asio;
using bhttp::status;

using core::run_on_store;

std::string to_base36(uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[value % 36]);
    value /= 36;
  } while (value != 0);
  return out;
}

std::string_view connection_state_name(v1::ConnectionState state) {
  return state == v1::CONNECTION_STATE_RECONNECTING ? "reconnecting" : "connected";
}

std::string_view track_source_name(v1::TrackSource source) {
  switch (source) {
    case v1::TRACK_SOURCE_CAMERA:
      return "camera";
    case v1::TRACK_SOURCE_MICROPHONE:
      return "microphone";
    case v1::TRACK_SOURCE_SCREEN:
      return "screen";
    case v1::TRACK_SOURCE_SCREEN_AUDIO:
      return "screen_audio";
    default:
      return "unknown";
  }
}

nlohmann::json tracks_json(const v1::Participant& p) {
  nlohmann::json tracks = nlohmann::json::array();
  for (const v1::Track& track : p.tracks()) {
    nlohmann::json layers = nlohmann::json::array();
    for (const v1::VideoLayer& layer : track.layers()) {
      layers.push_back({{"width", layer.width()}, {"height", layer.height()}});
    }
    tracks.push_back({{"track_id", track.track_id()},
                      {"source", track_source_name(track.source())},
                      {"muted", track.muted()},
                      {"layers", std::move(layers)}});
  }
  return tracks;
}

}  // namespace

nlohmann::json settings_json(const v1::MeetingSettings& s) {
  return {{"waiting_room", s.waiting_room()},
          {"locked", s.locked()},
          {"e2ee_required", s.e2ee_required()},
          {"max_participants", s.max_participants()}};
}

namespace {

nlohmann::json participant_json(const v1::Participant& p) {
  return {{"participant_id", p.participant_id()},
          {"display_name", p.display_name()},
          {"mic_on", p.mic_on()},
          {"camera_on", p.camera_on()},
          {"screen_on", p.screen_on()},
          {"role", auth::role_name(p.role())},
          {"connection_state", connection_state_name(p.connection_state())},
          {"receive_only", p.receive_only()},
          {"tracks", tracks_json(p)}};
}

void create_meeting(core::ServerContext& ctx, const RequestInfo& info, Responder respond) {
  run_on_store(
      ctx,
      [&ctx]() -> std::string {
        // 53 random bits in base36: unguessable enough for a link, short enough to read out.
        for (int attempt = 0; attempt < 5; ++attempt) {
          std::string id = to_base36(auth::random_id53());
          if (ctx.store.create_meeting(id, auth::unix_now())) return id;
        }
        throw store::StoreError("could not allocate a meeting id");
      },
      [&ctx, info, respond = std::move(respond)](std::optional<std::string> id) {
        if (!id) {
          return respond(fail(ctx, status::service_unavailable, "unavailable",
                              "meeting store unavailable", info));
        }
        VC_LOG_INFO("event=meeting_created meeting=\"{}\"", log::escaped(*id));
        respond(json_response(status::created, {{"meeting_id", *id}}, info));
      });
}

struct JoinResult {
  auth::RoomClaims claims;
  std::string token;
  store::JoinOutcome outcome;
};

// The join and token-refresh response (docs/PROTOCOL.md §9).
nlohmann::json token_body(core::ServerContext& ctx, const auth::RoomClaims& c,
                          const std::string& token, const std::string& host) {
  nlohmann::json body = {{"token", token},
                         {"participant_id", c.participant_id},
                         {"meeting_id", c.meeting_id},
                         {"display_name", c.display_name},
                         {"role", auth::role_name(c.role)},
                         {"grants", auth::grants_claim(c.grants)},
                         {"expires_at", c.expires_at},
                         {"ws_url", "/ws"},
                         {"alternate_servers", ctx.config.peer_urls}};
  if (ctx.webtransport_info) {
    const std::string public_name =
        public_host(ctx.config.public_url, host, ctx.config.listen_address);
    if (auto wt = ctx.webtransport_info(public_name)) body["webtransport"] = std::move(*wt);
  }
  return body;
}

void join_meeting(core::ServerContext& ctx, Request&& req, std::string meeting_id,
                  const RequestInfo& info, Responder respond) {
  if (ctx.config.no_guest_join) {
    // --no-guest-join: only tokens from the site's backend (API key) or an operator admit.
    return respond(fail(ctx, status::forbidden, "guest_join_disabled",
                        "guest join is turned off on this server: join with the link your "
                        "organisation gave you",
                        info));
  }
  auto parsed = parse_join_request(req.body());
  if (!parsed.body) {
    return respond(fail(ctx, status::bad_request, "bad_request", parsed.error, info));
  }
  const std::string host(req[bhttp::field::host]);
  auto claims = std::make_shared<auth::RoomClaims>();
  claims->meeting_id = std::move(meeting_id);
  claims->display_name = std::move(parsed.body->display_name);
  claims->participant_id = auth::random_id53();
  // A guest's stable identity (PROTOCOL.md §14.2): the key its browser keeps, or a new one.
  const std::string identity_key = parsed.body->identity_key.empty()
                                       ? auth::random_identity_key()
                                       : std::move(parsed.body->identity_key);
  claims->subject = ctx.tokens.guest_subject(identity_key);
  run_on_store(
      ctx,
      [&ctx, claims]() -> JoinResult {
        const int64_t now = auth::unix_now();
        JoinResult result{*claims, {}, {}};
        result.outcome = ctx.store.record_join(claims->meeting_id, claims->participant_id,
                                               claims->display_name, now, claims->subject);
        if (result.outcome.barred || result.outcome.ended) return result;
        result.claims.role = core::join_role(result.outcome);
        result.claims.grants = room::role_default_grants(result.claims.role);
        result.token = ctx.tokens.issue(result.claims, now);
        return result;
      },
      [&ctx, info, host, identity_key,
       respond = std::move(respond)](std::optional<JoinResult> result) {
        if (!result) {
          return respond(fail(ctx, status::service_unavailable, "unavailable",
                              "meeting store unavailable", info));
        }
        const auth::RoomClaims& c = result->claims;
        if (result->outcome.barred) {
          return respond(fail(ctx, status::forbidden, "barred",
                              "a host removed you from this meeting and you cannot rejoin it",
                              info));
        }
        if (result->outcome.ended) {
          return respond(
              fail(ctx, status::gone, "meeting_ended", "the host ended this meeting", info));
        }
        ctx.rooms.remember_moderation(c.meeting_id,
                                      core::to_room_state(result->outcome.moderation));
        ++ctx.metrics.joins;
        VC_LOG_INFO("event=join meeting=\"{}\" participant={} role={}", log::escaped(c.meeting_id),
                    c.participant_id, auth::role_name(c.role));
        nlohmann::json body = token_body(ctx, c, result->token, host);
        body["identity_key"] = identity_key;
        body["settings"] = settings_json(core::to_room_state(result->outcome.moderation).settings);
        respond(json_response(status::ok, std::move(body), info));
      });
}

// POST /{id}/token with `Authorization: Bearer <current token>`: a fresh token for the same
// identity, so a long call can still resume within the reconnect grace after its first token
// expired. Needs no store access: it keeps working while the database is down.
void refresh_token(core::ServerContext& ctx, const Request& req, std::string_view meeting_id,
                   const RequestInfo& info, Responder respond) {
  constexpr std::string_view kBearer = "Bearer ";
  const std::string_view authorization = req[bhttp::field::authorization];
  if (authorization.substr(0, kBearer.size()) != kBearer) {
    return respond(fail(ctx, status::unauthorized, "unauthorized",
                        "missing Authorization: Bearer <room token>", info));
  }
  const int64_t now = auth::unix_now();
  auto verified = ctx.tokens.verify(authorization.substr(kBearer.size()), now);
  if (!verified.claims) {
    return respond(fail(ctx, status::unauthorized, "unauthorized",
                        std::string(auth::to_string(verified.error)), info));
  }
  if (verified.claims->meeting_id != meeting_id) {
    return respond(fail(ctx, status::forbidden, "forbidden", "token is for another meeting", info));
  }
  if (ctx.left_participants.has_left(verified.claims->participant_id,
                                     std::chrono::steady_clock::now())) {
    // Leave is final: a kept (or stolen) token must not carry the identity on.
    ++ctx.metrics.token_refreshes_refused_after_leave;
    return respond(
        fail(ctx, status::forbidden, "forbidden", "participant has left the meeting", info));
  }
  auth::RoomClaims claims = std::move(*verified.claims);
  std::string token;
  try {
    token = ctx.tokens.issue(claims, now);
  } catch (const std::exception& error) {
    VC_LOG_ERROR("event=token_refresh_failed error=\"{}\"", log::escaped(error.what()));
    return respond(
        fail(ctx, status::internal_server_error, "internal", "could not sign a token", info));
  }
  ++ctx.metrics.token_refreshes;
  respond(json_response(
      status::ok, token_body(ctx, claims, token, std::string(req[bhttp::field::host])), info));
}

void meeting_info(core::ServerContext& ctx, std::string meeting_id, const RequestInfo& info,
                  Responder respond, bool with_participants) {
  run_on_store(
      ctx, [&ctx, meeting_id]() { return ctx.store.find_meeting(meeting_id); },
      [&ctx, info, with_participants, meeting_id,
       respond = std::move(respond)](std::optional<std::optional<store::MeetingInfo>> found) {
        if (!found) {
          return respond(fail(ctx, status::service_unavailable, "unavailable",
                              "meeting store unavailable", info));
        }
        if (!*found) {
          return respond(fail(ctx, status::not_found, "not_found", "no such meeting", info));
        }
        // The roster is live state: read it on the relay thread that owns the rooms. A node with
        // local members follows the room and knows every node's members; one without asks the
        // other nodes (a short bus query) instead of answering "nobody".
        auto answer = [&ctx, info, with_participants, meeting = **found,
                       respond](const std::vector<v1::Participant>& roster) {
          if (!with_participants) {
            return respond(json_response(status::ok,
                                         {{"meeting_id", meeting.meeting_id},
                                          {"created_at", meeting.created_at},
                                          {"participant_count", roster.size()}},
                                         info));
          }
          nlohmann::json list = nlohmann::json::array();
          for (const v1::Participant& p : roster) list.push_back(participant_json(p));
          respond(json_response(status::ok, {{"participants", std::move(list)}}, info));
        };
        const room::Room* live = ctx.rooms.find(meeting_id);
        const bool follows_room = live != nullptr && live->local_member_count() > 0;
        if (!follows_room && ctx.query_remote_roster &&
            ctx.query_remote_roster(meeting_id, answer)) {
          return;
        }
        answer(live != nullptr ? live->roster() : std::vector<v1::Participant>{});
      });
}

// The Origin header if it is one of the other nodes (--peer-url), else empty. A browser whose node
// died keeps its page (and so its origin) and calls the next node's REST API cross-origin.
std::string peer_origin(const core::ServerContext& ctx, std::string_view origin) {
  if (origin.empty()) return {};
  for (const std::string& peer : ctx.config.peer_urls) {
    if (peer == origin) return peer;
  }
  return {};
}

// CORS preflight for the token-refresh POST (Authorization header) from a peer node's page.
bhttp::message_generator cors_preflight(core::ServerContext& ctx, const RequestInfo& info) {
  if (info.cors_origin.empty()) {
    return fail(ctx, status::forbidden, "forbidden", "origin not allowed", info);
  }
  bhttp::response<bhttp::empty_body> res{status::no_content, info.version};
  res.set(bhttp::field::server, kServerName);
  res.set(bhttp::field::access_control_allow_origin, info.cors_origin);
  res.set(bhttp::field::access_control_allow_methods, "GET, POST");
  res.set(bhttp::field::access_control_allow_headers, "Authorization, Content-Type");
  res.set(bhttp::field::access_control_max_age, "600");
  res.set(bhttp::field::vary, "Origin");
  set_common_security_headers(res.base());
  res.keep_alive(info.keep_alive);
  return res;
}

}  // namespace

void handle_api(core::ServerContext& ctx, Request&& req, std::string_view path,
                const boost::asio::ip::address& remote, Responder respond) {
  RequestInfo info = info_of(req);
  info.cors_origin = peer_origin(ctx, req[bhttp::field::origin]);
  const bhttp::verb method = req.method();
  if (method == bhttp::verb::options) return respond(cors_preflight(ctx, info));
  if (ctx.shutting_down) {
    return respond(
        fail(ctx, status::service_unavailable, "unavailable", "server shutting down", info));
  }
  if (method == bhttp::verb::post &&
      !ctx.join_rate.allow(remote, std::chrono::steady_clock::now())) {
    ++ctx.metrics.rate_limited;
    return respond(fail(ctx, status::too_many_requests, "rate_limited", "too many requests", info));
  }
  auto method_not_allowed = [&] {
    return respond(fail(ctx, status::method_not_allowed, "method_not_allowed",
                        "method not allowed for this resource", info));
  };

  // path is what follows /api/v1/meetings: "", "/{id}", "/{id}/join", "/{id}/token",
  // "/{id}/participants".
  if (path.empty() || path == "/") {
    if (method != bhttp::verb::post) return method_not_allowed();
    return create_meeting(ctx, info, std::move(respond));
  }
  if (path.front() != '/') {
    return respond(fail(ctx, status::not_found, "not_found", "no such API", info));
  }
  path.remove_prefix(1);
  const auto slash = path.find('/');
  const std::string_view id = path.substr(0, slash);
  const std::string_view action =
      slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
  if (!is_valid_meeting_id(id)) {
    return respond(fail(ctx, status::bad_request, "bad_request",
                        "meeting id must match [A-Za-z0-9_-]{1,64}", info));
  }
  if (action.empty()) {
    if (method != bhttp::verb::get) return method_not_allowed();
    return meeting_info(ctx, std::string(id), info, std::move(respond), false);
  }
  auto unsupported_media_type = [&] {
    ++ctx.metrics.unsupported_media_type;
    return respond(fail(ctx, status::unsupported_media_type, "unsupported_media_type",
                        "Content-Type must be application/json", info));
  };
  if (action == "join") {
    if (method != bhttp::verb::post) return method_not_allowed();
    if (!has_json_content_type(req)) return unsupported_media_type();
    return join_meeting(ctx, std::move(req), std::string(id), info, std::move(respond));
  }
  if (action == "token") {
    if (method != bhttp::verb::post) return method_not_allowed();
    if (!has_json_content_type(req)) return unsupported_media_type();
    return refresh_token(ctx, req, id, info, std::move(respond));
  }
  if (is_moderation_resource(action)) {
    if (method == bhttp::verb::post && !has_json_content_type(req)) return unsupported_media_type();
    if (method != bhttp::verb::post && method != bhttp::verb::get) return method_not_allowed();
    return handle_moderation_api(ctx, req, std::string(id), action, info, std::move(respond));
  }
  if (action == "participants") {
    if (method != bhttp::verb::get) return method_not_allowed();
    return meeting_info(ctx, std::string(id), info, std::move(respond), true);
  }
  respond(fail(ctx, status::not_found, "not_found", "no such API", info));
}

}  // namespace vc::http
