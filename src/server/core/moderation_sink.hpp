// Persists host actions: settings, host, co-hosts, bars and the audit trail go to the meeting
// store on the store pool (never the relay thread); the registry's cache learns the new state at
// once, so a room recreated here (or an ended meeting's old tokens) follows it.
#pragma once

#include <memory>

#include "server/room/room.hpp"
#include "server/store/meeting_store.hpp"

namespace vc::core {

struct ServerContext;

room::ModerationState to_room_state(const store::MeetingModeration& stored);
store::MeetingModeration to_store_state(const room::ModerationState& state);
// The audit trail's words for a settings change.
std::string settings_audit_detail(const v1::MeetingSettings& settings);
// The role a join API call gives (the room still decides on connect, PROTOCOL.md §14.3).
v1::ParticipantRole join_role(const store::JoinOutcome& outcome);

std::unique_ptr<room::ModerationObserver> make_store_moderation_sink(ServerContext& ctx);

}  // namespace vc::core
