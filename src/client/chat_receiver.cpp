#include "chat_receiver.hpp"

#include "common/limits.hpp"

namespace vc::client {

namespace {
// Twice the server's history: a replayed history never repeats a message we still remember.
constexpr std::size_t kRememberedMessageIds = 2 * limits::kChatHistoryMessages;
}  // namespace

v1::Control chat_control(const std::string& text, uint64_t client_message_id) {
  v1::Control control;
  control.mutable_send_chat()->set_text(text);
  control.mutable_send_chat()->set_client_message_id(client_message_id);
  return control;
}

v1::Control raise_hand_control(bool raised) {
  v1::Control control;
  control.mutable_raise_hand()->set_raised(raised);
  return control;
}

v1::Control reaction_control(const std::string& emoji) {
  v1::Control control;
  control.mutable_send_reaction()->set_emoji(emoji);
  return control;
}

bool ChatReceiver::first_time(uint64_t message_id) {
  if (!seen_.insert(message_id).second) return false;
  order_.push_back(message_id);
  if (order_.size() > kRememberedMessageIds) {
    seen_.erase(order_.front());
    order_.pop_front();
  }
  return true;
}

bool ChatReceiver::handle(const v1::Control& control, const ClientEvents& events) {
  switch (control.message_case()) {
    case v1::Control::kChatMessage:
      if (first_time(control.chat_message().message_id()) && events.on_chat) {
        events.on_chat(control.chat_message());
      }
      return true;
    case v1::Control::kChatHistory:
      for (const v1::ChatMessage& message : control.chat_history().messages()) {
        if (first_time(message.message_id()) && events.on_chat) events.on_chat(message);
      }
      return true;
    case v1::Control::kReaction:
      if (events.on_reaction) events.on_reaction(control.reaction());
      return true;
    case v1::Control::kRefused:
      if (events.on_refused) events.on_refused(control.refused());
      return true;
    default:
      return false;
  }
}

}  // namespace vc::client
