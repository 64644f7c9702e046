// Key schedule of end-to-end encryption (docs/PROTOCOL.md §15.3-15.5): passphrase-derived sender
// secrets, the forward ratchet, pairwise key messages (X25519, HKDF, AES-256-GCM) and the meeting
// safety code. Every derivation binds the meeting id and the participant ids involved.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "e2ee/crypto.hpp"

namespace vc::e2ee {

inline constexpr uint32_t kPassphraseIterations = 100'000;
// Key ids: generation (a fresh random secret) in the high 24 bits, ratchet step in the low 8.
inline constexpr uint32_t kRatchetStepBits = 8;
inline constexpr uint32_t kMaxRatchetStep = (1u << kRatchetStepBits) - 1;
inline uint32_t key_generation(uint32_t key_id) {
  return key_id >> kRatchetStepBits;
}
inline uint32_t key_step(uint32_t key_id) {
  return key_id & kMaxRatchetStep;
}

// The meeting's passphrase root: PBKDF2-SHA256(passphrase, salt = label || meeting id).
std::optional<Secret> passphrase_root(std::string_view passphrase, std::string_view meeting_id);
// One sender's base secret for one key id, from the passphrase root.
std::optional<Secret> passphrase_sender_secret(const Secret& root, std::string_view meeting_id,
                                               uint64_t sender_id, uint32_t key_id);

// The next secret of the forward ratchet (a joiner given it cannot compute the earlier one).
std::optional<Secret> ratchet(const Secret& secret);

// A sender's media secret for one key id, sealed for one recipient.
struct KeyMessage {
  uint64_t from_participant_id = 0;
  uint64_t to_participant_id = 0;
  uint32_t key_id = 0;
  Bytes sealed;  // nonce (12) || AES-256-GCM(secret) || tag (16)
};
inline constexpr std::size_t kSealedKeyBytes = kNonceBytes + kSecretBytes + kTagBytes;

std::optional<KeyMessage> seal_key(const X25519KeyPair& mine, uint64_t my_id,
                                   std::span<const uint8_t> their_public, uint64_t their_id,
                                   std::string_view meeting_id, uint32_t key_id,
                                   const Secret& secret);
// Empty when the message was not sealed by the holder of `their_public` for us.
std::optional<Secret> open_key(const X25519KeyPair& mine, uint64_t my_id,
                               std::span<const uint8_t> their_public, std::string_view meeting_id,
                               const KeyMessage& message);

// The meeting safety code: 6 groups of 5 digits from a hash of every (participant id, public
// key) pair sorted by id. Everyone who sees the same keys sees the same code.
struct RosterKey {
  uint64_t participant_id = 0;
  PublicKey public_key{};
};
std::string safety_code(std::string_view meeting_id, std::vector<RosterKey> keys);

}  // namespace vc::e2ee
