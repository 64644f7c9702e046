#include "e2ee/keys.hpp"

#include <algorithm>
#include <cstdio>

namespace vc::e2ee {
namespace {

constexpr std::string_view kPassphraseLabel = "videocall e2ee v1 passphrase";
constexpr std::string_view kSenderLabel = "videocall e2ee v1 sender";
constexpr std::string_view kRatchetLabel = "videocall e2ee v1 ratchet";
constexpr std::string_view kPairwiseLabel = "videocall e2ee v1 pairwise";
constexpr std::string_view kKeyMessageLabel = "videocall e2ee v1 key message";
constexpr std::string_view kSafetyLabel = "videocall e2ee v1 safety code";

void put_labelled(Bytes& out, std::string_view label, std::string_view meeting_id) {
  put_text(out, label);
  put_u32(out, static_cast<uint32_t>(meeting_id.size()));
  put_text(out, meeting_id);
}

// The pairwise key of (from -> to): both ids and both public keys are bound in.
std::optional<std::array<uint8_t, 32>> pairwise_key(const X25519KeyPair& mine,
                                                    std::span<const uint8_t> their_public,
                                                    std::string_view meeting_id, uint64_t from_id,
                                                    std::span<const uint8_t> from_public,
                                                    uint64_t to_id,
                                                    std::span<const uint8_t> to_public) {
  auto shared = mine.agree(their_public);
  if (!shared) return std::nullopt;
  Bytes info;
  put_labelled(info, kPairwiseLabel, meeting_id);
  put_u64(info, from_id);
  put_bytes(info, from_public);
  put_u64(info, to_id);
  put_bytes(info, to_public);
  std::array<uint8_t, 32> key{};
  if (!hkdf_sha256(*shared, {}, info, key)) return std::nullopt;
  return key;
}

Bytes key_message_aad(const KeyMessage& message) {
  Bytes aad;
  put_text(aad, kKeyMessageLabel);
  put_u64(aad, message.from_participant_id);
  put_u64(aad, message.to_participant_id);
  put_u32(aad, message.key_id);
  return aad;
}

}  // namespace

std::optional<Secret> passphrase_root(std::string_view passphrase, std::string_view meeting_id) {
  if (passphrase.empty()) return std::nullopt;
  Bytes salt;
  put_labelled(salt, kPassphraseLabel, meeting_id);
  Secret root{};
  if (!pbkdf2_sha256(passphrase, salt, kPassphraseIterations, root)) return std::nullopt;
  return root;
}

std::optional<Secret> passphrase_sender_secret(const Secret& root, std::string_view meeting_id,
                                               uint64_t sender_id, uint32_t key_id) {
  Bytes info;
  put_labelled(info, kSenderLabel, meeting_id);
  put_u64(info, sender_id);
  put_u32(info, key_id);
  Secret secret{};
  if (!hkdf_sha256(root, {}, info, secret)) return std::nullopt;
  return secret;
}

std::optional<Secret> ratchet(const Secret& secret) {
  Secret next{};
  if (!hkdf_sha256(secret, {},
                   {reinterpret_cast<const uint8_t*>(kRatchetLabel.data()), kRatchetLabel.size()},
                   next))
    return std::nullopt;
  return next;
}

std::optional<KeyMessage> seal_key(const X25519KeyPair& mine, uint64_t my_id,
                                   std::span<const uint8_t> their_public, uint64_t their_id,
                                   std::string_view meeting_id, uint32_t key_id,
                                   const Secret& secret) {
  auto key = pairwise_key(mine, their_public, meeting_id, my_id, mine.public_key(), their_id,
                          their_public);
  if (!key) return std::nullopt;
  KeyMessage message{my_id, their_id, key_id, {}};
  std::array<uint8_t, kNonceBytes> nonce{};
  if (!random_bytes(nonce)) return std::nullopt;
  auto sealed = aes_gcm_seal(*key, nonce, key_message_aad(message), secret);
  if (!sealed) return std::nullopt;
  put_bytes(message.sealed, nonce);
  put_bytes(message.sealed, *sealed);
  return message;
}

std::optional<Secret> open_key(const X25519KeyPair& mine, uint64_t my_id,
                               std::span<const uint8_t> their_public, std::string_view meeting_id,
                               const KeyMessage& message) {
  if (message.to_participant_id != my_id || message.sealed.size() != kSealedKeyBytes)
    return std::nullopt;
  auto key = pairwise_key(mine, their_public, meeting_id, message.from_participant_id, their_public,
                          my_id, mine.public_key());
  if (!key) return std::nullopt;
  const std::span<const uint8_t> sealed(message.sealed);
  auto opened = aes_gcm_open(*key, sealed.first(kNonceBytes), key_message_aad(message),
                             sealed.subspan(kNonceBytes));
  if (!opened || opened->size() != kSecretBytes) return std::nullopt;
  Secret secret{};
  std::copy(opened->begin(), opened->end(), secret.begin());
  return secret;
}

std::string safety_code(std::string_view meeting_id, std::vector<RosterKey> keys) {
  std::sort(keys.begin(), keys.end(), [](const RosterKey& a, const RosterKey& b) {
    return a.participant_id < b.participant_id;
  });
  Bytes input;
  put_labelled(input, kSafetyLabel, meeting_id);
  for (const RosterKey& entry : keys) {
    put_u64(input, entry.participant_id);
    put_bytes(input, entry.public_key);
  }
  const auto digest = sha256(input);
  std::string code;
  for (std::size_t group = 0; group < 6; ++group) {
    const uint32_t value =
        get_u32(std::span<const uint8_t, 4>(digest.data() + 4 * group, 4)) % 100000;
    char digits[8];
    std::snprintf(digits, sizeof digits, "%05u", value);
    if (!code.empty()) code += ' ';
    code += digits;
  }
  return code;
}

}  // namespace vc::e2ee
