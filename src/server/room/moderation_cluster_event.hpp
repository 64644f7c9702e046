// The one translation between a meeting's moderation state and the HostClusterEvent that carries
// it to the other nodes (PROTOCOL.md §14.5): a host action in a live room and a change the REST API
// stored for a meeting not live on its node both publish it this way, and every node reads it back
// the same way.
#pragma once

#include "server/room/room.hpp"

namespace vc::room {

// `event` with the state after it: settings, host, co-hosts, ended.
v1::HostClusterEvent to_cluster_event(const ModerationState& state,
                                      const v1::HostActionEvent& event);

ModerationState moderation_state_of(const v1::HostClusterEvent& event);

}  // namespace vc::room
