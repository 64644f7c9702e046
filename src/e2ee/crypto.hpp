// E2EE primitives on OpenSSL (docs/PROTOCOL.md §15): HKDF-SHA256, PBKDF2-SHA256, X25519 and
// AES-GCM. Errors are values (empty optionals); nothing here throws or logs key material.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace vc::e2ee {

using Bytes = std::vector<uint8_t>;
inline constexpr std::size_t kSecretBytes = 32;     // a sender's base secret
inline constexpr std::size_t kPublicKeyBytes = 32;  // X25519
inline constexpr std::size_t kNonceBytes = 12;      // AES-GCM
inline constexpr std::size_t kTagBytes = 16;        // AES-GCM
using Secret = std::array<uint8_t, kSecretBytes>;
using PublicKey = std::array<uint8_t, kPublicKeyBytes>;

// Fills `out` from the OpenSSL CSPRNG; false if it failed (then nothing may be encrypted).
bool random_bytes(std::span<uint8_t> out);

// HKDF-SHA256 (RFC 5869) of `ikm` with `salt` and `info` into `out` (at most 255*32 bytes).
bool hkdf_sha256(std::span<const uint8_t> ikm, std::span<const uint8_t> salt,
                 std::span<const uint8_t> info, std::span<uint8_t> out);

// PBKDF2-HMAC-SHA256.
bool pbkdf2_sha256(std::string_view password, std::span<const uint8_t> salt, uint32_t iterations,
                   std::span<uint8_t> out);

std::array<uint8_t, 32> sha256(std::span<const uint8_t> data);

// AES-GCM (128 or 256 bit key by key size) with a 12-byte nonce; output is ciphertext || tag.
std::optional<Bytes> aes_gcm_seal(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                                  std::span<const uint8_t> aad, std::span<const uint8_t> plaintext);
// Empty when the tag does not authenticate.
std::optional<Bytes> aes_gcm_open(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                                  std::span<const uint8_t> aad, std::span<const uint8_t> sealed);

// An X25519 key pair. The private key never leaves this object.
class X25519KeyPair {
 public:
  static std::optional<X25519KeyPair> generate();
  static std::optional<X25519KeyPair> from_private(std::span<const uint8_t, 32> private_key);
  const PublicKey& public_key() const { return public_; }
  // Shared secret with a peer's public key; empty for a low-order (all-zero result) point.
  std::optional<Secret> agree(std::span<const uint8_t> peer_public) const;

 private:
  Secret private_{};
  PublicKey public_{};
};

// Big-endian appenders for the byte layouts the protocol defines.
void put_u32(Bytes& out, uint32_t value);
void put_u64(Bytes& out, uint64_t value);
inline void put_bytes(Bytes& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}
inline void put_text(Bytes& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}
uint32_t get_u32(std::span<const uint8_t, 4> in);
uint64_t get_u64(std::span<const uint8_t, 8> in);

}  // namespace vc::e2ee
