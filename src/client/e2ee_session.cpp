#include "e2ee_session.hpp"

#include "common/limits.hpp"
#include "common/log.hpp"

namespace vc::client {

static_assert(e2ee::kSealedKeyBytes == limits::kE2eeSealedKeyBytes);
static_assert(e2ee::kPublicKeyBytes == limits::kE2eePublicKeyBytes);

std::string_view to_string(E2eeMode mode) {
  switch (mode) {
    case E2eeMode::kOff:
      return "off";
    case E2eeMode::kPassphrase:
      return "passphrase";
    case E2eeMode::kKeyAgreement:
      return "key-agreement";
  }
  return "off";
}

namespace {

std::string key_string(const e2ee::PublicKey& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

std::optional<e2ee::PublicKey> public_key_of(const v1::Participant& participant) {
  const std::string& bytes = participant.e2ee_public_key();
  if (bytes.size() != e2ee::kPublicKeyBytes) return std::nullopt;
  e2ee::PublicKey key{};
  std::copy(bytes.begin(), bytes.end(), key.begin());
  return key;
}

}  // namespace

ClientE2ee::ClientE2ee(E2eeConfig config) : config_(std::move(config)) {
  if (config_.passphrase.empty()) group_ = e2ee::GroupKeys::create("");
}

void ClientE2ee::fill_hello(v1::Hello& hello) {
  std::lock_guard lock(mutex_);
  hello.set_e2ee_capable(true);
  if (config_.key_agreement && group_) hello.set_e2ee_public_key(key_string(group_->public_key()));
}

std::vector<v1::Control> ClientE2ee::seal_all(std::vector<e2ee::KeyMessage> messages) const {
  std::vector<v1::Control> out;
  for (auto& message : messages) {
    v1::Control control;
    auto* sealed = control.mutable_e2ee_key_message();
    sealed->set_to_participant_id(message.to_participant_id);
    sealed->set_key_id(message.key_id);
    sealed->set_sealed(std::string(message.sealed.begin(), message.sealed.end()));
    out.push_back(std::move(control));
  }
  return out;
}

std::vector<v1::Control> ClientE2ee::on_joined(const v1::JoinAccepted& accepted) {
  std::lock_guard lock(mutex_);
  std::vector<v1::Control> out;
  const uint64_t self = accepted.participant_id();
  if (!config_.passphrase.empty()) {
    // The passphrase root depends on the meeting id, known for certain only now.
    if (!passphrase_ || meeting_id_ != accepted.meeting_id()) {
      passphrase_ = e2ee::PassphraseKeys::create(config_.passphrase, accepted.meeting_id());
    }
    meeting_id_ = accepted.meeting_id();
    if (passphrase_ && passphrase_->start_sending(self)) {
      mode_ = E2eeMode::kPassphrase;
      self_id_ = self;
    }
    return out;
  }
  const bool wanted = config_.key_agreement || accepted.e2ee_required();
  if (!wanted || !group_) return out;
  if (mode_ != E2eeMode::kKeyAgreement || meeting_id_ != accepted.meeting_id() ||
      group_->self_id() != self) {
    // The key pair stays (Hello may have announced it); the key ring starts afresh.
    group_ = e2ee::GroupKeys::with_pair(accepted.meeting_id(), group_->pair());
    if (!group_->start(self)) return out;
    meeting_id_ = accepted.meeting_id();
    mode_ = E2eeMode::kKeyAgreement;
  }
  // Our current public key goes out (Hello may have carried an older one, or none).
  v1::Control announce;
  announce.mutable_e2ee_key_announce()->set_public_key(key_string(group_->public_key()));
  out.push_back(std::move(announce));
  known_keys_.clear();
  for (const v1::Participant& peer : accepted.roster()) {
    auto key = public_key_of(peer);
    if (!key) continue;
    known_keys_[peer.participant_id()] = *key;
    auto sealed = seal_all(group_->peer_key(peer.participant_id(), *key));
    out.insert(out.end(), sealed.begin(), sealed.end());
  }
  return out;
}

std::vector<v1::Control> ClientE2ee::on_participant(const v1::Participant& participant) {
  std::lock_guard lock(mutex_);
  if (mode_ != E2eeMode::kKeyAgreement) return {};
  auto key = public_key_of(participant);
  if (!key) return {};
  auto known = known_keys_.find(participant.participant_id());
  if (known != known_keys_.end() && known->second == *key) return {};  // mic, camera, hand...
  known_keys_[participant.participant_id()] = *key;
  return seal_all(group_->peer_key(participant.participant_id(), *key));
}

std::vector<v1::Control> ClientE2ee::on_left(uint64_t participant_id) {
  std::lock_guard lock(mutex_);
  if (mode_ == E2eeMode::kPassphrase) passphrase_->receiver().forget(participant_id);
  if (mode_ != E2eeMode::kKeyAgreement || known_keys_.erase(participant_id) == 0) return {};
  return seal_all(group_->peer_left(participant_id));
}

std::vector<std::pair<uint32_t, uint32_t>> ClientE2ee::on_key_message(
    const v1::E2eeKeyMessage& message) {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<uint32_t, uint32_t>> keyframes;
  if (mode_ != E2eeMode::kKeyAgreement) return keyframes;
  e2ee::KeyMessage opened{message.from_participant_id(), message.to_participant_id(),
                          message.key_id(),
                          e2ee::Bytes(message.sealed().begin(), message.sealed().end())};
  if (!group_->on_key_message(opened)) {
    VC_LOG_WARN("event=e2ee_key_refused from={} key_id={}", message.from_participant_id(),
                message.key_id());
    return keyframes;
  }
  for (auto it = awaiting_key_.begin(); it != awaiting_key_.end();) {
    if (std::get<0>(*it) == message.from_participant_id()) {
      keyframes.emplace_back(std::get<1>(*it), std::get<2>(*it));
      it = awaiting_key_.erase(it);
    } else {
      ++it;
    }
  }
  return keyframes;
}

bool ClientE2ee::active() const {
  std::lock_guard lock(mutex_);
  return mode_ != E2eeMode::kOff;
}

E2eeStatus ClientE2ee::status() const {
  std::lock_guard lock(mutex_);
  E2eeStatus status;
  status.mode = mode_;
  if (mode_ == E2eeMode::kKeyAgreement) status.safety_code = group_->safety_code();
  return status;
}

e2ee::ReceiverKeys* ClientE2ee::receiver() {
  if (mode_ == E2eeMode::kPassphrase) return &passphrase_->receiver();
  if (mode_ == E2eeMode::kKeyAgreement) return &group_->receiver();
  return nullptr;
}

std::optional<e2ee::Bytes> ClientE2ee::encrypt(v1::MediaHeader& header,
                                               std::span<const uint8_t> payload) {
  std::lock_guard lock(mutex_);
  e2ee::SenderKey* sender = nullptr;
  uint64_t self = 0;
  if (mode_ == E2eeMode::kPassphrase) {
    sender = &passphrase_->sender();
    self = self_id_;
  } else if (mode_ == E2eeMode::kKeyAgreement) {
    sender = &group_->sender();
    self = group_->self_id();
  }
  if (sender == nullptr || !sender->ready()) return std::nullopt;
  header.set_sender_participant_id(self);
  auto sealed = sender->encrypt(header, payload);
  if (sealed) ++stats_.encrypted;
  return sealed;
}

e2ee::DecryptResult ClientE2ee::decrypt(const v1::MediaHeader& header,
                                        std::span<const uint8_t> payload, e2ee::Bytes& plaintext) {
  std::lock_guard lock(mutex_);
  e2ee::ReceiverKeys* keys = receiver();
  if (keys == nullptr) {
    ++stats_.no_key;
    return e2ee::DecryptResult::kNoKey;
  }
  const auto result = keys->decrypt(header, payload, plaintext);
  switch (result) {
    case e2ee::DecryptResult::kOk:
      ++stats_.decrypted;
      break;
    case e2ee::DecryptResult::kMalformed:
      ++stats_.malformed;
      break;
    case e2ee::DecryptResult::kNoKey:
      ++stats_.no_key;
      break;
    case e2ee::DecryptResult::kAuthFailed:
      ++stats_.auth_failed;
      break;
  }
  if (result == e2ee::DecryptResult::kNoKey && header.kind() != v1::MEDIA_KIND_AUDIO &&
      awaiting_key_.size() < limits::kE2eeMaxSenders) {
    awaiting_key_.emplace(header.sender_participant_id(), header.kind(), header.track_id());
  }
  return result;
}

e2ee::Stats ClientE2ee::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace vc::client
