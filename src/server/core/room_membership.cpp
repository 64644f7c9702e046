#include "server/core/room_membership.hpp"

#include "common/limits.hpp"
#include "common/log.hpp"
#include "protocol/close_codes.hpp"
#include "server/core/e2ee_policy.hpp"
#include "server/core/server_context.hpp"
#include "server/core/store_call.hpp"

namespace vc::core {

namespace {

// A meeting entered only with backend-minted tokens (§13) never went through the join API, which
// records meetings: record it when its room starts here, so REST (participants, settings,
// moderation) knows it. Idempotent: an existing row stays as it is.
void record_meeting(ServerContext& ctx, const std::string& meeting_id) {
  run_on_store(
      ctx, [&ctx, meeting_id] { return ctx.store.create_meeting(meeting_id, auth::unix_now()); },
      [](std::optional<bool>) {});
}

}  // namespace

std::optional<HelloRefusal> RoomMembership::join(ServerContext& ctx, const auth::RoomClaims& claims,
                                                 const v1::Control& control,
                                                 room::Endpoint& endpoint,
                                                 std::string_view transport,
                                                 const std::function<void()>& entering) {
  using namespace close_code;
  if (!control.has_hello())
    return HelloRefusal{kProtocolViolation, "the first message must be Control.hello"};
  const v1::Hello& hello = control.hello();
  if (hello.protocol_version() != v1::PROTOCOL_VERSION_1) {
    return HelloRefusal{kUnsupportedVersion, "unsupported protocol version (server speaks 1)"};
  }
  if (ctx.shutting_down) return HelloRefusal{kShuttingDown, "server shutting down"};
  if (ctx.left_participants.has_left(claims.participant_id, std::chrono::steady_clock::now())) {
    // Leave is final: a kept token does not bring the identity back (join again for a new one).
    return HelloRefusal{kUnauthorized, "participant has left the meeting"};
  }

  const bool e2ee_required = !admits_without_e2ee(ctx.config, claims.meeting_id);
  if (e2ee_required && !hello.e2ee_capable()) {
    return HelloRefusal{kE2eeRequired,
                        "this meeting requires end-to-end encryption, which this client does not "
                        "support"};
  }
  if (!hello.e2ee_public_key().empty() &&
      hello.e2ee_public_key().size() != limits::kE2eePublicKeyBytes) {
    return HelloRefusal{kMalformed, "Hello.e2ee_public_key must be 32 bytes"};
  }

  room::JoinRequest request;
  request.identity.participant_id = claims.participant_id;
  request.identity.display_name = claims.display_name;
  request.identity.role = claims.role;
  request.identity.grants = claims.grants;
  request.identity.subject = claims.subject;
  request.session_id = auth::random_id53();
  request.receive_only = hello.receive_only();
  request.media_state = hello.media_state();
  if (hello.has_subscriptions()) request.subscriptions = hello.subscriptions();
  request.e2ee_capable = hello.e2ee_capable();
  request.e2ee_public_key = hello.e2ee_public_key();
  request.e2ee_required = e2ee_required;

  const bool new_room = ctx.rooms.find(claims.meeting_id) == nullptr;
  auto room = ctx.rooms.get_or_create(claims.meeting_id);
  if (new_room) record_meeting(ctx, claims.meeting_id);
  entering();
  const room::JoinResult result = room->join(endpoint, request);
  if (result == room::JoinResult::kRoomFull) return HelloRefusal{kMeetingFull, "meeting is full"};
  if (result == room::JoinResult::kBarred) {
    return HelloRefusal{kBarred, "a host removed you and you cannot rejoin this meeting"};
  }
  if (result == room::JoinResult::kE2eeRequired) {
    return HelloRefusal{kE2eeRequired,
                        "this meeting requires end-to-end encryption, which this client does not "
                        "support"};
  }
  if (result == room::JoinResult::kMeetingEnded) {
    return HelloRefusal{kMeetingEnded, "the host ended the meeting"};
  }
  if (result == room::JoinResult::kFloodCooldown) {
    return HelloRefusal{kTooSlow, "rate limited after a control flood; try again later"};
  }
  ctx_ = &ctx;
  room_ = std::move(room);
  participant_id_ = claims.participant_id;
  session_id_ = request.session_id;
  joined_ = true;
  VC_LOG_INFO(
      "event=session_joined transport={} meeting=\"{}\" participant={} session={} resumed={} "
      "client=\"{}\"",
      transport, log::escaped(claims.meeting_id), claims.participant_id, session_id_,
      result == room::JoinResult::kResumed, log::escaped(hello.client().substr(0, 64)));
  return std::nullopt;
}

void RoomMembership::on_control(const v1::Control& control) {
  if (control.has_leave()) {
    // Every token issued for this participant until now expires within this.
    const auto now = std::chrono::steady_clock::now();
    ctx_->left_participants.remember(
        participant_id_, now + ctx_->tokens.longest_lifetime() + limits::kTokenClockSkew, now);
  }
  room_->on_control(participant_id_, control);
}

void RoomMembership::leave(room::Endpoint& endpoint) {
  if (!joined_) return;
  joined_ = false;
  room_->disconnect(participant_id_, endpoint);
}

}  // namespace vc::core
