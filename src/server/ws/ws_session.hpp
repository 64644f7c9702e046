// Media WebSocket sessions (GET /ws?token=...). One per connected participant; implements the
// room's Endpoint. See ws_session.cpp for the lifecycle and docs/PROTOCOL.md for the contract.
#pragma once

#include "server/core/connection_limiter.hpp"
#include "server/core/media_host.hpp"
#include "server/http/router.hpp"
#include "server/http/streams.hpp"

namespace vc::ws {

class EgressShards;

// Takes over a connection whose upgrade request `req` asked for /ws. Verifies the token, completes
// the upgrade and runs the session on the relay thread. Plain TCP sessions may have their media
// written by one of `egress`'s shards (ws/egress_shards.hpp).
void start_media_session(core::MediaHost& host, EgressShards& egress, http::PlainStream&& stream,
                         http::Request&& req, core::ConnectionSlot slot);
void start_media_session(core::MediaHost& host, EgressShards& egress, http::TlsStream&& stream,
                         http::Request&& req, core::ConnectionSlot slot);

}  // namespace vc::ws
