// REST moderation API (docs/PROTOCOL.md §14.5). The room enforces every action exactly as for the
// control channel; this file only authenticates the caller and translates JSON.
#include <optional>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "protocol/close_codes.hpp"
#include "server/auth/room_token.hpp"
#include "server/core/moderation_sink.hpp"
#include "server/core/store_call.hpp"
#include "server/http/moderation_request.hpp"
#include "server/http/router.hpp"
#include "server/room/host_action_names.hpp"
#include "server/room/meeting_settings.hpp"
#include "server/room/moderation_cluster_event.hpp"
#include "server/room/permissions.hpp"

namespace vc::http {

namespace {

namespace v1 = ::videocall::v1;
using bhttp::status;

struct Authorized {
  room::Identity identity;  // participant_id 0: the server API (an API key)
};

// The one authentication hook of the moderation API. Either a server API key (Authorization:
// Basic base64(key:secret), §13.3), which acts as the server with a host's powers
// (participant_id 0), or a room token of this meeting (Authorization: Bearer <room token>); the
// room then decides whether its holder is a host or co-host.
std::optional<Authorized> authenticate_moderation_request(core::ServerContext& ctx,
                                                          const Request& req,
                                                          std::string_view meeting_id,
                                                          std::string& why) {
  constexpr std::string_view kBearer = "Bearer ";
  constexpr std::string_view kBasic = "Basic ";
  const std::string_view authorization = req[bhttp::field::authorization];
  if (authorization.substr(0, kBasic.size()) == kBasic) {
    if (!ctx.tokens.api_keys().authorises(authorization)) {
      why = "unknown API key or wrong secret";
      return std::nullopt;
    }
    Authorized server;
    server.identity.participant_id = 0;
    server.identity.display_name = "Server API";
    server.identity.role = v1::PARTICIPANT_ROLE_HOST;
    return server;
  }
  if (authorization.substr(0, kBearer.size()) != kBearer) {
    why = "missing Authorization: Bearer <room token> or Basic <API key:secret>";
    return std::nullopt;
  }
  auto verified = ctx.tokens.verify(authorization.substr(kBearer.size()), auth::unix_now());
  if (!verified.claims) {
    why = std::string(auth::to_string(verified.error));
    return std::nullopt;
  }
  if (verified.claims->meeting_id != meeting_id) {
    why = "token is for another meeting";
    return std::nullopt;
  }
  Authorized result;
  result.identity.participant_id = verified.claims->participant_id;
  result.identity.display_name = verified.claims->display_name;
  result.identity.role = verified.claims->role;
  result.identity.subject = verified.claims->subject;
  return result;
}

status http_status(uint32_t code) {
  switch (code) {
    case close_code::kForbidden:
      return status::forbidden;
    case close_code::kUnknownMeeting:
      return status::not_found;
    case close_code::kNotApplicable:
    case close_code::kMeetingFull:
      return status::conflict;
    default:
      return status::bad_request;
  }
}

bhttp::message_generator host_result_response(core::ServerContext& ctx, const room::HostResult& r,
                                              const room::Room& room, const RequestInfo& info) {
  if (r.ok()) {
    return json_response(
        status::ok, {{"ok", true}, {"settings", settings_json(room.moderation_state().settings)}},
        info);
  }
  ++ctx.metrics.http_responses_4xx;
  return json_response(http_status(r.code),
                       {{"error", r.code == close_code::kForbidden ? "forbidden" : "refused"},
                        {"code", r.code},
                        {"message", r.message}},
                       info);
}

// The audit trail, for hosts and co-hosts (read from the store on its pool).
void send_audit(core::ServerContext& ctx, std::string meeting_id, const RequestInfo& info,
                Responder respond) {
  core::run_on_store(
      ctx,
      [&ctx, meeting_id]() {
        return ctx.store.audit(meeting_id, limits::kMaxAuditEntriesPerQuery);
      },
      [&ctx, info,
       respond = std::move(respond)](std::optional<std::vector<store::AuditEntry>> entries) {
        if (!entries) {
          return respond(fail(ctx, status::service_unavailable, "unavailable",
                              "meeting store unavailable", info));
        }
        nlohmann::json list = nlohmann::json::array();
        for (const store::AuditEntry& e : *entries) {
          list.push_back({{"at_ms", e.at_ms},
                          {"actor_participant_id", e.actor_participant_id},
                          {"actor_name", e.actor_name},
                          {"action", e.action},
                          {"target_participant_id", e.target_participant_id},
                          {"target_name", e.target_name},
                          {"detail", e.detail}});
        }
        respond(json_response(status::ok, {{"entries", std::move(list)}}, info));
      });
}

// The meeting may be live on another node: it follows the change as it follows a host's settings
// update there (members see the new settings and who changed them). Audited here, not there.
void publish_stored_settings(core::ServerContext& ctx, const std::string& meeting_id,
                             const room::Identity& actor, const room::ModerationState& state) {
  if (!ctx.publish_stored_moderation) return;
  v1::HostActionEvent action;
  action.set_action(v1::HOST_ACTION_UPDATE_SETTINGS);
  action.set_actor_participant_id(actor.participant_id);
  action.set_actor_display_name(actor.display_name);
  action.set_at_ms(auth::unix_now() * 1000);
  ctx.publish_stored_moderation(meeting_id, room::to_cluster_event(state, action));
}

// Settings of a meeting nobody is connected to on this node (PROTOCOL.md §14.5): read and changed
// in the store (a change creates the meeting if need be), so a host or the site's backend can set
// it up before anyone joins. The same rule as the live room (apply_settings_update), audited alike.
void settings_in_store(core::ServerContext& ctx, std::string meeting_id,
                       const room::Identity& actor, std::optional<v1::HostUpdateSettings> update,
                       const RequestInfo& info, Responder respond) {
  struct Outcome {
    bool found = false;
    std::string invalid;
    store::MeetingModeration moderation;
  };
  core::run_on_store(
      ctx,
      [&ctx, meeting_id, actor, update]() {
        Outcome outcome;
        // Setting up a meeting that does not exist yet creates it: the caller holds an API key
        // or a token signed for this meeting id, so the id is theirs to use.
        if (update) ctx.store.create_meeting(meeting_id, auth::unix_now());
        if (!ctx.store.find_meeting(meeting_id)) return outcome;
        outcome.found = true;
        outcome.moderation = ctx.store.moderation(meeting_id).value_or(store::MeetingModeration{});
        if (!update) return outcome;
        room::ModerationState state = core::to_room_state(outcome.moderation);
        if (const auto invalid = room::apply_settings_update(state.settings, *update)) {
          outcome.invalid = std::string(*invalid);
          return outcome;
        }
        outcome.moderation = core::to_store_state(state);
        ctx.store.save_moderation(meeting_id, outcome.moderation);
        store::AuditEntry entry;
        entry.meeting_id = meeting_id;
        entry.at_ms = auth::unix_now() * 1000;
        entry.actor_participant_id = actor.participant_id;
        entry.actor_subject = actor.subject;
        entry.actor_name = actor.display_name;
        entry.action = std::string(room::host_action_name(v1::HOST_ACTION_UPDATE_SETTINGS));
        entry.detail = core::settings_audit_detail(state.settings);
        ctx.store.record_audit(entry);
        return outcome;
      },
      [&ctx, meeting_id, actor, changed = update.has_value(), info,
       respond = std::move(respond)](std::optional<Outcome> outcome) {
        if (!outcome) {
          return respond(fail(ctx, status::service_unavailable, "unavailable",
                              "meeting store unavailable", info));
        }
        if (!outcome->found) {
          return respond(fail(ctx, status::not_found, "not_found", "no such meeting", info));
        }
        if (!outcome->invalid.empty()) {
          return respond(json_response(status::bad_request,
                                       {{"error", "refused"},
                                        {"code", close_code::kInvalidContent},
                                        {"message", outcome->invalid}},
                                       info));
        }
        const room::ModerationState state = core::to_room_state(outcome->moderation);
        // A room that starts here later (or an ended meeting's old tokens) follows the change.
        if (changed) {
          ctx.rooms.remember_moderation(meeting_id, state);
          publish_stored_settings(ctx, meeting_id, actor, state);
        }
        respond(json_response(status::ok,
                              {{"ok", true},
                               {"settings", settings_json(state.settings)},
                               {"waiting", nlohmann::json::array()}},
                              info));
      });
}

}  // namespace

bool is_moderation_resource(std::string_view resource) {
  return resource == "moderation" || resource == "settings" || resource == "audit";
}

void handle_moderation_api(core::ServerContext& ctx, const Request& req, std::string meeting_id,
                           std::string_view resource, const RequestInfo& info, Responder respond) {
  std::string why;
  const auto authorized = authenticate_moderation_request(ctx, req, meeting_id, why);
  if (!authorized) return respond(fail(ctx, status::unauthorized, "unauthorized", why, info));
  // Moderation acts on the live room on this node (the one its members are connected to);
  // settings and the audit also live in the store.
  room::Room* live = ctx.rooms.find(meeting_id);
  if (live == nullptr || live->empty()) {
    const bool is_get = req.method() == bhttp::verb::get;
    if (resource == "moderation") {
      return respond(fail(ctx, status::conflict, "not_live",
                          "the meeting has nobody connected to this server node", info));
    }
    if (!room::may_moderate(authorized->identity.role)) {
      return respond(
          fail(ctx, status::forbidden, "forbidden", "only a host or co-host can do this", info));
    }
    if (resource == "audit") {
      if (!is_get) {
        return respond(
            fail(ctx, status::method_not_allowed, "method_not_allowed", "GET the audit", info));
      }
      return send_audit(ctx, std::move(meeting_id), info, std::move(respond));
    }
    std::optional<v1::HostUpdateSettings> update;
    if (!is_get) {
      update = parse_settings_update(req.body(), why);
      if (!update) return respond(fail(ctx, status::bad_request, "bad_request", why, info));
    }
    return settings_in_store(ctx, std::move(meeting_id), authorized->identity, std::move(update),
                             info, std::move(respond));
  }
  const room::HostActor actor = live->actor_for(authorized->identity);
  const bool is_get = req.method() == bhttp::verb::get;
  if (is_get) {
    if (resource == "moderation") {
      return respond(fail(ctx, status::method_not_allowed, "method_not_allowed",
                          "POST an action to /moderation", info));
    }
    if (!room::may_moderate(actor.role)) {
      return respond(
          fail(ctx, status::forbidden, "forbidden", "only a host or co-host can do this", info));
    }
    if (resource == "audit")
      return send_audit(ctx, std::move(meeting_id), info, std::move(respond));
    nlohmann::json waiting = nlohmann::json::array();
    for (const v1::Participant& p : live->waiting_list()) {
      waiting.push_back(
          {{"participant_id", p.participant_id()}, {"display_name", p.display_name()}});
    }
    return respond(json_response(status::ok,
                                 {{"settings", settings_json(live->moderation_state().settings)},
                                  {"waiting", std::move(waiting)}},
                                 info));
  }
  if (resource == "audit") {
    return respond(
        fail(ctx, status::method_not_allowed, "method_not_allowed", "GET the audit", info));
  }
  // The room may close connections and free itself during the action: keep it alive.
  const auto room = ctx.rooms.get_or_create(meeting_id);
  room::HostResult result;
  if (resource == "settings") {
    auto update = parse_settings_update(req.body(), why);
    if (!update) return respond(fail(ctx, status::bad_request, "bad_request", why, info));
    result = room->update_settings(actor, *update);
  } else {
    auto request = parse_host_request(req.body(), why);
    if (!request) return respond(fail(ctx, status::bad_request, "bad_request", why, info));
    result = room->host_request(actor, *request);
  }
  VC_LOG_INFO("event=moderation_api meeting=\"{}\" actor={} resource={} result={}",
              log::escaped(meeting_id), actor.participant_id, resource, result.code);
  respond(host_result_response(ctx, result, *room, info));
}

}  // namespace vc::http
