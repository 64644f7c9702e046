// Sans-I/O key management of end-to-end encryption (docs/PROTOCOL.md §15.3-15.4): our sender key
// and the keys we hold for other senders, with the rotation policy. No sockets, no clock; the
// client library feeds it roster events and key messages and sends what it returns.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "e2ee/frame_crypto.hpp"
#include "e2ee/keys.hpp"

namespace vc::e2ee {

struct Stats {
  uint64_t encrypted = 0;
  uint64_t decrypted = 0;
  uint64_t auth_failed = 0;  // tag did not verify (tampered header or payload, wrong key)
  uint64_t no_key = 0;       // no key for that sender and key id (yet)
  uint64_t malformed = 0;    // no valid E2EE header (a cleartext frame in an encrypted call)
};

enum class DecryptResult : uint8_t { kOk, kMalformed, kNoKey, kAuthFailed };

// Our outgoing key. The counter restarts only with a new secret, so a nonce never repeats.
class SenderKey {
 public:
  // Installs a secret for a key id (counter 0); false if key derivation failed.
  bool install(uint32_t key_id, const Secret& secret);
  bool ready() const { return key_.has_value(); }
  uint32_t key_id() const { return key_id_; }
  const Secret& secret() const { return secret_; }
  // Encrypts one frame; `header` must carry our own participant id.
  std::optional<Bytes> encrypt(const ::videocall::v1::MediaHeader& header,
                               std::span<const uint8_t> plaintext);

 private:
  uint32_t key_id_ = 0;
  uint64_t counter_ = 0;
  Secret secret_{};
  std::optional<FrameKey> key_;
};

// Keys of other senders, a few key ids each (frames in flight across a rotation still decrypt).
class ReceiverKeys {
 public:
  // Derives a key nobody sent us (passphrase mode): (sender, key id) -> secret.
  using Resolver = std::function<std::optional<Secret>(uint64_t sender_id, uint32_t key_id)>;
  void set_resolver(Resolver resolver) { resolver_ = std::move(resolver); }
  bool add(uint64_t sender_id, uint32_t key_id, const Secret& secret);
  void forget(uint64_t sender_id) { senders_.erase(sender_id); }
  bool has(uint64_t sender_id, uint32_t key_id) const;

  // Decrypts a received payload with the server-stamped header; counts every outcome.
  DecryptResult decrypt(const ::videocall::v1::MediaHeader& header,
                        std::span<const uint8_t> payload, Bytes& plaintext);
  const Stats& stats() const { return stats_; }
  Stats& mutable_stats() { return stats_; }

 private:
  struct Entry {
    uint32_t key_id;
    Secret secret;
    FrameKey key;
  };
  Entry* find(uint64_t sender_id, uint32_t key_id);
  Entry* ratchet_to(uint64_t sender_id, uint32_t key_id);

  std::map<uint64_t, std::deque<Entry>> senders_;
  Resolver resolver_;
  Stats stats_;
};

// Passphrase mode: every key follows from the passphrase, the meeting id and the sender id.
class PassphraseKeys {
 public:
  static std::optional<PassphraseKeys> create(std::string_view passphrase, std::string meeting_id);
  // Our key for this session: a random key id, so a rejoin never reuses a nonce.
  bool start_sending(uint64_t self_id);
  SenderKey& sender() { return sender_; }
  ReceiverKeys& receiver() { return receiver_; }

 private:
  PassphraseKeys() = default;
  std::string meeting_id_;
  Secret root_{};
  SenderKey sender_;
  ReceiverKeys receiver_;
};

// Key-agreement mode: our X25519 key pair, everyone's announced public key, and the rotation
// policy (ratchet forward on join, new random secret on leave).
class GroupKeys {
 public:
  static std::optional<GroupKeys> create(std::string meeting_id);
  // Keeps a key pair already announced (in Hello) for a key ring bound to `meeting_id`.
  static GroupKeys with_pair(std::string meeting_id, X25519KeyPair pair);
  const X25519KeyPair& pair() const { return pair_; }
  const PublicKey& public_key() const { return pair_.public_key(); }
  // Our participant id (from JoinAccepted); starts our first sender key.
  bool start(uint64_t self_id);
  uint64_t self_id() const { return self_id_; }

  // A participant (new, or with a new public key) announced a key: we ratchet our key forward
  // and return it sealed for them only; the others ratchet locally when they see the new id.
  std::vector<KeyMessage> peer_key(uint64_t participant_id, const PublicKey& public_key);
  // A participant left: forget them, rotate to a new random secret and seal it for everyone left.
  std::vector<KeyMessage> peer_left(uint64_t participant_id);
  // A sealed key from a peer; false (and nothing stored) when it does not open.
  bool on_key_message(const KeyMessage& message);

  std::string safety_code() const;
  SenderKey& sender() { return sender_; }
  ReceiverKeys& receiver() { return receiver_; }
  std::size_t peer_count() const { return peers_.size(); }

 private:
  explicit GroupKeys(X25519KeyPair pair) : pair_(std::move(pair)) {}
  std::vector<KeyMessage> seal_for_all();
  std::string meeting_id_;
  X25519KeyPair pair_;
  uint64_t self_id_ = 0;
  std::map<uint64_t, PublicKey> peers_;
  SenderKey sender_;
  ReceiverKeys receiver_;
};

}  // namespace vc::e2ee
