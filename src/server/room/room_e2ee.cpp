// Room: end-to-end encryption key exchange (docs/PROTOCOL.md §15). The server never sees media
// keys: it binds each announced X25519 public key to the announcer's participant id, and relays
// sealed keys to exactly one recipient with the sender's id stamped. Refusals are Refused
// messages (4451 malformed, 4403 not allowed, 4404 no such recipient, 4429 too fast).
#include "protocol/close_codes.hpp"
#include "server/room/permissions.hpp"
#include "server/room/room.hpp"

namespace vc::room {

void Room::handle_e2ee_key_announce(Member& member, const v1::E2eeKeyAnnounce& announce) {
  constexpr uint32_t kRequest = v1::Control::kE2EeKeyAnnounce;
  if (announce.public_key().size() != limits::kE2eePublicKeyBytes) {
    ++stats_.e2ee_refused;
    return refuse(member, close_code::kE2eeMalformed, "an E2EE public key is 32 bytes", kRequest);
  }
  if (!may_exchange_e2ee_keys(member.info)) {
    ++stats_.e2ee_refused;
    return refuse(member, close_code::kForbidden, "E2EE keys are not allowed yet", kRequest);
  }
  if (member.info.e2ee_public_key() == announce.public_key() && member.info.e2ee_capable()) return;
  member.info.set_e2ee_capable(true);
  member.info.set_e2ee_public_key(announce.public_key());
  v1::Control updated;
  *updated.mutable_participant_updated()->mutable_participant() = member.info;
  broadcast_control(updated, member.info.participant_id());
  local_member_changed(member);
  roster_changed();
}

void Room::handle_e2ee_key_message(Member& sender, const v1::E2eeKeyMessage& message) {
  constexpr uint32_t kRequest = v1::Control::kE2EeKeyMessage;
  const uint64_t from = sender.info.participant_id();
  if (message.sealed().size() != limits::kE2eeSealedKeyBytes || message.to_participant_id() == 0 ||
      message.to_participant_id() == from) {
    ++stats_.e2ee_refused;
    return refuse(sender, close_code::kE2eeMalformed,
                  "an E2EE key message names another participant and carries 60 sealed bytes",
                  kRequest);
  }
  if (!may_exchange_e2ee_keys(sender.info)) {
    ++stats_.e2ee_refused;
    return refuse(sender, close_code::kForbidden, "E2EE keys are not allowed yet", kRequest);
  }
  Member* recipient = find(message.to_participant_id());
  if (recipient == nullptr || !may_exchange_e2ee_keys(recipient->info)) {
    ++stats_.e2ee_refused;
    return refuse(sender, close_code::kUnknownMeeting, "no such participant", kRequest);
  }
  if (!sender.e2ee_key_budget.allow(now_())) {
    ++stats_.e2ee_refused;
    return refuse(sender, close_code::kTooSlow, "too many E2EE key messages", kRequest);
  }
  // Only what the recipient needs, with the sender's identity from the session, never the client.
  v1::Control control;
  auto* relayed = control.mutable_e2ee_key_message();
  relayed->set_to_participant_id(message.to_participant_id());
  relayed->set_from_participant_id(from);
  relayed->set_key_id(message.key_id());
  relayed->set_sealed(message.sealed());
  ++stats_.e2ee_key_messages;
  if (is_remote(*recipient)) {
    if (observer_ != nullptr) observer_->on_local_e2ee_key_message(*this, *relayed);
    return;
  }
  if (recipient->endpoint != nullptr) send(*recipient, encode_control(control));
}

bool Room::on_remote_e2ee_key_message(const v1::E2eeKeyMessage& message, uint64_t origin_node) {
  const Member* sender = find(message.from_participant_id());
  Member* recipient = find(message.to_participant_id());
  if (sender == nullptr || !is_remote(*sender) || sender->node_id != origin_node ||
      recipient == nullptr || is_remote(*recipient) || recipient->endpoint == nullptr ||
      !may_exchange_e2ee_keys(sender->info) || !may_exchange_e2ee_keys(recipient->info) ||
      message.sealed().size() != limits::kE2eeSealedKeyBytes) {
    return false;
  }
  v1::Control control;
  *control.mutable_e2ee_key_message() = message;
  send(*recipient, encode_control(control));
  close_pending_slow_receivers();
  return true;
}

}  // namespace vc::room
