// libvideocall: delivers the server's chat, reaction and refusal messages (docs/PROTOCOL.md §12) to
// ClientEvents. Chat arrives live and as history (after every join, and when a node learns older
// messages from another node), so messages are de-duplicated by id; the memory of ids is bounded.
#pragma once

#include <cstdint>
#include <deque>
#include <unordered_set>

#include "videocall/client.hpp"

namespace vc::client {

class ChatReceiver {
 public:
  // Delivers `control` if it is a ChatMessage, ChatHistory, Reaction or Refused; false otherwise.
  bool handle(const v1::Control& control, const ClientEvents& events);

 private:
  bool first_time(uint64_t message_id);

  std::deque<uint64_t> order_;  // oldest first
  std::unordered_set<uint64_t> seen_;
};

}  // namespace vc::client
