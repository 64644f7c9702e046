// libvideocall: builds the chat, raised-hand and reaction requests, and delivers the server's
// chat, reaction and refusal messages (docs/PROTOCOL.md §12) to ClientEvents. Chat arrives live
// and as history (after every join, and when a node learns older messages from another node), so
// messages are de-duplicated by id; the memory of ids is bounded.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_set>

#include "videocall/client.hpp"

namespace vc::client {

// What Client::send_chat, raise_hand and send_reaction send.
v1::Control chat_control(const std::string& text, uint64_t client_message_id);
v1::Control raise_hand_control(bool raised);
v1::Control reaction_control(const std::string& emoji);

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
