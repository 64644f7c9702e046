// RoomMembership: the part of a media session that is the same on every transport. It turns the
// client's Hello into a room join under the identity of the verified room token (never fields the
// client sends), forwards envelopes to the room, and leaves it. The WebSocket and WebTransport
// sessions each own one and keep only their framing, I/O and liveness.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "protocol/envelope.hpp"
#include "server/auth/room_token.hpp"
#include "server/room/endpoint.hpp"
#include "server/room/room.hpp"

namespace vc::core {

struct ServerContext;

// Why a Hello did not lead to a join: the session sends Control.error `code` and closes.
struct HelloRefusal {
  uint32_t code = 0;
  std::string_view reason;
};

class RoomMembership {
 public:
  // Validates the Hello (`control` must be one) and joins the token's meeting as `endpoint`.
  // `entering` runs just before Room::join, because the room queues JoinAccepted to the endpoint
  // synchronously and the session must already accept writes by then. `transport` is for logs.
  std::optional<HelloRefusal> join(ServerContext& ctx, const auth::RoomClaims& claims,
                                   const v1::Control& control, room::Endpoint& endpoint,
                                   std::string_view transport,
                                   const std::function<void()>& entering);
  // Envelopes of a joined session, on behalf of the token's participant.
  void on_media(v1::MediaHeader& header, std::span<const uint8_t> payload) {  // stamped in place
    room_->on_media(participant_id_, header, payload);
  }
  // A Leave is final: the token's identity may not be refreshed afterwards (see LeftParticipants).
  void on_control(const v1::Control& control);
  // The session ended or failed: the participant enters reconnect grace (or leaves, after a
  // Control.leave). Safe to call more than once.
  void leave(room::Endpoint& endpoint);

  bool joined() const { return joined_; }
  uint64_t session_id() const { return session_id_; }

 private:
  ServerContext* ctx_ = nullptr;
  std::shared_ptr<room::Room> room_;
  uint64_t participant_id_ = 0;
  uint64_t session_id_ = 0;
  bool joined_ = false;
};

}  // namespace vc::core
