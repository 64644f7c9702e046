#include "e2ee/key_ring.hpp"

#include "common/limits.hpp"

namespace vc::e2ee {

bool SenderKey::install(uint32_t key_id, const Secret& secret) {
  auto key = FrameKey::derive(secret);
  if (!key) return false;
  key_ = std::move(key);
  key_id_ = key_id;
  secret_ = secret;
  counter_ = 0;
  return true;
}

std::optional<Bytes> SenderKey::encrypt(const ::videocall::v1::MediaHeader& header,
                                        std::span<const uint8_t> plaintext) {
  // A counter never wraps: 2^64 frames is out of reach, but refusing is cheaper than a reused
  // nonce.
  if (!key_ || counter_ == UINT64_MAX) return std::nullopt;
  const Bytes routing = routing_aad(header);
  return key_->encrypt(FrameHeader{key_id_, counter_++}, routing, plaintext);
}

ReceiverKeys::Entry* ReceiverKeys::find(uint64_t sender_id, uint32_t key_id) {
  auto it = senders_.find(sender_id);
  if (it == senders_.end()) return nullptr;
  for (Entry& entry : it->second)
    if (entry.key_id == key_id) return &entry;
  return nullptr;
}

bool ReceiverKeys::has(uint64_t sender_id, uint32_t key_id) const {
  auto it = senders_.find(sender_id);
  if (it == senders_.end()) return false;
  for (const Entry& entry : it->second)
    if (entry.key_id == key_id) return true;
  return false;
}

bool ReceiverKeys::add(uint64_t sender_id, uint32_t key_id, const Secret& secret) {
  auto key = FrameKey::derive(secret);
  if (!key) return false;
  if (Entry* existing = find(sender_id, key_id)) {
    // A sender that restarted reuses a key id with a new secret: the newest one wins.
    existing->secret = secret;
    existing->key = std::move(*key);
    return true;
  }
  if (!senders_.contains(sender_id) && senders_.size() >= limits::kE2eeMaxSenders) return false;
  auto& keys = senders_[sender_id];
  keys.push_back(Entry{key_id, secret, std::move(*key)});
  while (keys.size() > limits::kE2eeKeysPerSender) keys.pop_front();
  return true;
}

// A later ratchet step of a generation we hold follows from it; an earlier one never does.
ReceiverKeys::Entry* ReceiverKeys::ratchet_to(uint64_t sender_id, uint32_t key_id) {
  auto it = senders_.find(sender_id);
  if (it == senders_.end()) return nullptr;
  const Entry* base = nullptr;
  for (const Entry& entry : it->second) {
    if (key_generation(entry.key_id) == key_generation(key_id) &&
        key_step(entry.key_id) < key_step(key_id) &&
        (!base || key_step(entry.key_id) > key_step(base->key_id)))
      base = &entry;
  }
  if (!base) return nullptr;
  Secret secret = base->secret;
  for (uint32_t step = key_step(base->key_id); step < key_step(key_id); ++step) {
    auto next = ratchet(secret);
    if (!next) return nullptr;
    secret = *next;
  }
  if (!add(sender_id, key_id, secret)) return nullptr;
  return find(sender_id, key_id);
}

DecryptResult ReceiverKeys::decrypt(const ::videocall::v1::MediaHeader& header,
                                    std::span<const uint8_t> payload, Bytes& plaintext) {
  const auto frame_header = parse_frame_header(payload);
  if (!frame_header) {
    ++stats_.malformed;
    return DecryptResult::kMalformed;
  }
  const uint64_t sender = header.sender_participant_id();
  Entry* entry = find(sender, frame_header->key_id);
  if (!entry) entry = ratchet_to(sender, frame_header->key_id);
  if (!entry && resolver_) {
    if (auto secret = resolver_(sender, frame_header->key_id);
        secret && add(sender, frame_header->key_id, *secret))
      entry = find(sender, frame_header->key_id);
  }
  if (!entry) {
    ++stats_.no_key;
    return DecryptResult::kNoKey;
  }
  const Bytes routing = routing_aad(header);
  auto opened = entry->key.decrypt(*frame_header, routing, payload);
  if (!opened) {
    ++stats_.auth_failed;
    return DecryptResult::kAuthFailed;
  }
  plaintext = std::move(*opened);
  ++stats_.decrypted;
  return DecryptResult::kOk;
}

std::optional<PassphraseKeys> PassphraseKeys::create(std::string_view passphrase,
                                                     std::string meeting_id) {
  auto root = passphrase_root(passphrase, meeting_id);
  if (!root) return std::nullopt;
  PassphraseKeys keys;
  keys.meeting_id_ = std::move(meeting_id);
  keys.root_ = *root;
  return keys;
}

bool PassphraseKeys::start_sending(uint64_t self_id) {
  // Derivations capture copies, so the resolver outlives moves of this object.
  receiver_.set_resolver([root = root_, meeting = meeting_id_](uint64_t sender, uint32_t key_id) {
    return passphrase_sender_secret(root, meeting, sender, key_id);
  });
  std::array<uint8_t, 4> random_id{};
  if (!random_bytes(random_id)) return false;
  const uint32_t key_id = get_u32(random_id);
  auto secret = passphrase_sender_secret(root_, meeting_id_, self_id, key_id);
  return secret && sender_.install(key_id, *secret);
}

std::optional<GroupKeys> GroupKeys::create(std::string meeting_id) {
  auto pair = X25519KeyPair::generate();
  if (!pair) return std::nullopt;
  GroupKeys keys(std::move(*pair));
  keys.meeting_id_ = std::move(meeting_id);
  return keys;
}

GroupKeys GroupKeys::with_pair(std::string meeting_id, X25519KeyPair pair) {
  GroupKeys keys(std::move(pair));
  keys.meeting_id_ = std::move(meeting_id);
  return keys;
}

namespace {
std::optional<std::pair<uint32_t, Secret>> fresh_generation(uint32_t previous_key_id, bool first) {
  Secret secret{};
  std::array<uint8_t, 4> random_id{};
  if (!random_bytes(secret) || !random_bytes(random_id)) return std::nullopt;
  // The first generation is random so a restarted sender rarely repeats a key id; later ones count.
  const uint32_t generation =
      first ? (get_u32(random_id) >> kRatchetStepBits) : key_generation(previous_key_id) + 1;
  return std::pair{(generation << kRatchetStepBits) & ~kMaxRatchetStep, secret};
}
}  // namespace

bool GroupKeys::start(uint64_t self_id) {
  self_id_ = self_id;
  auto fresh = fresh_generation(0, true);
  return fresh && sender_.install(fresh->first, fresh->second);
}

std::vector<KeyMessage> GroupKeys::seal_for_all() {
  std::vector<KeyMessage> messages;
  for (const auto& [id, public_key] : peers_) {
    if (auto message = seal_key(pair_, self_id_, public_key, id, meeting_id_, sender_.key_id(),
                                sender_.secret()))
      messages.push_back(std::move(*message));
  }
  return messages;
}

std::vector<KeyMessage> GroupKeys::peer_key(uint64_t participant_id, const PublicKey& public_key) {
  if (participant_id == self_id_ || !sender_.ready()) return {};
  if (!peers_.contains(participant_id) && peers_.size() >= limits::kE2eeMaxSenders) return {};
  peers_[participant_id] = public_key;
  // Forward secrecy for the joiner: it gets the next ratchet step, never the current secret.
  if (key_step(sender_.key_id()) < kMaxRatchetStep) {
    auto next = ratchet(sender_.secret());
    if (!next || !sender_.install(sender_.key_id() + 1, *next)) return {};
    auto message = seal_key(pair_, self_id_, public_key, participant_id, meeting_id_,
                            sender_.key_id(), sender_.secret());
    if (!message) return {};
    return {std::move(*message)};
  }
  auto fresh = fresh_generation(sender_.key_id(), false);
  if (!fresh || !sender_.install(fresh->first, fresh->second)) return {};
  return seal_for_all();
}

std::vector<KeyMessage> GroupKeys::peer_left(uint64_t participant_id) {
  if (peers_.erase(participant_id) == 0) return {};
  receiver_.forget(participant_id);
  auto fresh = fresh_generation(sender_.key_id(), false);
  if (!fresh || !sender_.install(fresh->first, fresh->second)) return {};
  return seal_for_all();
}

bool GroupKeys::on_key_message(const KeyMessage& message) {
  auto peer = peers_.find(message.from_participant_id);
  if (peer == peers_.end()) return false;
  auto secret = open_key(pair_, self_id_, peer->second, meeting_id_, message);
  return secret && receiver_.add(message.from_participant_id, message.key_id, *secret);
}

std::string GroupKeys::safety_code() const {
  std::vector<RosterKey> keys;
  keys.push_back(RosterKey{self_id_, pair_.public_key()});
  for (const auto& [id, public_key] : peers_) keys.push_back(RosterKey{id, public_key});
  return e2ee::safety_code(meeting_id_, std::move(keys));
}

}  // namespace vc::e2ee
