// Room: chat, raised hands and reactions (docs/PROTOCOL.md §12). The room stamps who and when;
// permissions.hpp decides who may; every refusal is a Refused message, never a close.
#include <algorithm>

#include "protocol/close_codes.hpp"
#include "server/room/chat_text.hpp"
#include "server/room/permissions.hpp"
#include "server/room/room.hpp"
#include "server/room/wall_clock.hpp"

namespace vc::room {

namespace {

constexpr uint64_t kMessageIdMask = (uint64_t{1} << 53) - 1;  // exact as a JavaScript number

v1::Control chat_control(const v1::ChatMessage& message) {
  v1::Control control;
  *control.mutable_chat_message() = message;
  return control;
}

v1::Control reaction_control(const v1::Reaction& reaction) {
  v1::Control control;
  *control.mutable_reaction() = reaction;
  return control;
}

}  // namespace

uint64_t Room::new_chat_message_id() {
  uint64_t id = 0;
  while (id == 0 || chat_.contains(id)) id = chat_ids_() & kMessageIdMask;
  return id;
}

void Room::refuse(Member& member, uint32_t code, std::string_view message, uint32_t request,
                  uint64_t client_message_id) {
  v1::Control control;
  auto* refused = control.mutable_refused();
  refused->set_code(code);
  refused->set_message(std::string(message));
  refused->set_request(request);
  refused->set_client_message_id(client_message_id);
  send(member, encode_control(control));
}

void Room::send_to_chat_members(const FrameRef& frame) {
  for (auto& member : members_) {
    if (sees_chat(member->info)) send(*member, frame);
  }
}

void Room::send_chat_history(Member& member) {
  if (chat_.empty() || !sees_chat(member.info)) return;
  v1::Control control;
  auto* history = control.mutable_chat_history();
  for (const v1::ChatMessage& message : chat_.messages()) *history->add_messages() = message;
  send(member, encode_control(control));
}

void Room::handle_chat(Member& sender, const v1::SendChat& chat) {
  constexpr uint32_t kRequest = v1::Control::kSendChat;
  const uint64_t client_id = chat.client_message_id();
  if (!may_chat(sender.info)) {
    ++stats_.chat_refused;
    if (sender.info.role() == v1::PARTICIPANT_ROLE_WAITING) {
      return refuse(sender, close_code::kForbidden, "chat is not allowed", kRequest, client_id);
    }
    ++stats_.chat_not_granted;
    return refuse(sender, close_code::kNotGrantedChat, "chat not granted", kRequest, client_id);
  }
  switch (check_chat_text(chat.text())) {
    case ChatTextResult::kOk:
      break;
    case ChatTextResult::kTooLong:
      ++stats_.chat_refused;
      return refuse(sender, close_code::kTooLarge, "chat message too long", kRequest, client_id);
    case ChatTextResult::kEmpty:
    case ChatTextResult::kInvalid:
      ++stats_.chat_refused;
      return refuse(sender, close_code::kInvalidContent,
                    "chat text must be UTF-8 without control characters", kRequest, client_id);
  }
  if (!sender.chat_budget.allow(now_())) {
    ++stats_.chat_refused;
    return refuse(sender, close_code::kTooSlow, "too many chat messages", kRequest, client_id);
  }
  ++stats_.chat_messages;
  v1::ChatMessage message;
  message.set_message_id(new_chat_message_id());
  message.set_sender_participant_id(sender.info.participant_id());
  message.set_sender_display_name(sender.info.display_name());
  message.set_sent_at_ms(wall_ms());
  message.set_text(chat.text());
  chat_.add(message);
  // One frame for everyone: the echoed client id means something only to the sender.
  message.set_client_message_id(client_id);
  send_to_chat_members(encode_control(chat_control(message)));
  if (observer_ != nullptr && remote_count_ > 0) {
    message.clear_client_message_id();
    observer_->on_local_chat(*this, message);
  }
}

void Room::handle_reaction(Member& sender, const v1::SendReaction& reaction) {
  constexpr uint32_t kRequest = v1::Control::kSendReaction;
  if (!may_react(sender.info)) {
    ++stats_.reactions_refused;
    return refuse(sender, close_code::kForbidden, "reactions are not allowed", kRequest);
  }
  if (!is_allowed_reaction(reaction.emoji())) {
    ++stats_.reactions_refused;
    return refuse(sender, close_code::kInvalidContent, "not an allowed reaction", kRequest);
  }
  if (!sender.reaction_budget.allow(now_())) {
    ++stats_.reactions_refused;
    return refuse(sender, close_code::kTooSlow, "too many reactions", kRequest);
  }
  ++stats_.reactions;
  v1::Reaction stamped;
  stamped.set_participant_id(sender.info.participant_id());
  stamped.set_emoji(reaction.emoji());
  stamped.set_sent_at_ms(wall_ms());
  send_to_chat_members(encode_control(reaction_control(stamped)));
  if (observer_ != nullptr && remote_count_ > 0) observer_->on_local_reaction(*this, stamped);
}

void Room::handle_raise_hand(Member& member, bool raised) {
  if (!may_raise_hand(member.info)) {
    return refuse(member, close_code::kForbidden, "raising a hand is not allowed",
                  v1::Control::kRaiseHand);
  }
  if (raised == (member.info.hand_raised_at_us() != 0)) return;  // no change, no broadcast
  if (raised) {
    ++stats_.hands_raised;
    last_hand_raised_us_ = std::max(wall_us(), last_hand_raised_us_ + 1);
    member.info.set_hand_raised_at_us(last_hand_raised_us_);
  } else {
    member.info.set_hand_raised_at_us(0);
  }
  // Everyone, the member itself included: its copy tells it the time that orders the hands.
  v1::Control control;
  *control.mutable_participant_updated()->mutable_participant() = member.info;
  announce_member(member, control, 0);
  local_member_changed(member);
  roster_changed();
}

bool Room::on_remote_chat(const v1::ChatMessage& message, uint64_t origin_node) {
  Member* sender = find(message.sender_participant_id());
  if (sender == nullptr || !is_remote(*sender) || sender->node_id != origin_node ||
      message.message_id() == 0 || chat_.contains(message.message_id()) ||
      check_chat_text(message.text()) != ChatTextResult::kOk || !may_chat(sender->info)) {
    return false;
  }
  v1::ChatMessage kept = message;
  kept.set_sender_display_name(sender->info.display_name());
  kept.clear_client_message_id();
  chat_.add(kept);
  send_to_chat_members(encode_control(chat_control(kept)));
  close_pending_slow_receivers();
  return true;
}

bool Room::on_remote_reaction(const v1::Reaction& reaction, uint64_t origin_node) {
  const Member* sender = find(reaction.participant_id());
  if (sender == nullptr || !is_remote(*sender) || sender->node_id != origin_node ||
      !is_allowed_reaction(reaction.emoji()) || !may_react(sender->info)) {
    return false;
  }
  send_to_chat_members(encode_control(reaction_control(reaction)));
  close_pending_slow_receivers();
  return true;
}

void Room::merge_chat_history(std::span<const v1::ChatMessage> messages) {
  std::vector<v1::ChatMessage> valid;
  for (const v1::ChatMessage& message : messages) {
    if (message.sender_participant_id() != 0 &&
        check_chat_text(message.text()) == ChatTextResult::kOk) {
      valid.push_back(message);
    }
  }
  const std::vector<v1::ChatMessage> added = chat_.merge(valid);
  if (added.empty()) return;
  v1::Control control;
  auto* history = control.mutable_chat_history();
  for (const v1::ChatMessage& message : added) *history->add_messages() = message;
  send_to_chat_members(encode_control(control));
  close_pending_slow_receivers();
}

}  // namespace vc::room
