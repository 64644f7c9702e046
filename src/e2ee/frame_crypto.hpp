// Per-frame authenticated encryption of media payloads (docs/PROTOCOL.md §15), SFrame-style:
// payload = E2EE header || AES-128-GCM(ciphertext || tag). The nonce is the key's salt XOR the
// counter, and the associated data is the cleartext routing header as the receiver sees it plus
// the E2EE header, so the server can route by the header but cannot alter it undetected.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "e2ee/crypto.hpp"
#include "proto/videocall.pb.h"

namespace vc::e2ee {

inline constexpr uint8_t kFrameVersion = 1;
inline constexpr std::size_t kFrameHeaderBytes = 13;  // version u8, key id u32, counter u64
inline constexpr std::size_t kFrameOverheadBytes = kFrameHeaderBytes + kTagBytes;
inline constexpr std::size_t kFrameKeyBytes = 16;  // AES-128-GCM
inline constexpr std::size_t kRoutingAadBytes = 53;

struct FrameHeader {
  uint32_t key_id = 0;
  uint64_t counter = 0;
};

// Parses the E2EE header at the start of a payload; empty if too short or another version.
std::optional<FrameHeader> parse_frame_header(std::span<const uint8_t> payload);
void write_frame_header(const FrameHeader& header, std::span<uint8_t, kFrameHeaderBytes> out);

// The routing header fields the tag covers, in a fixed big-endian layout (§15.2). The sender
// fills sender_participant_id with its own id; the receiver uses the server-stamped one.
Bytes routing_aad(const ::videocall::v1::MediaHeader& header);

// One sender key: AES-128-GCM key and 12-byte salt derived from a 32-byte base secret.
class FrameKey {
 public:
  static std::optional<FrameKey> derive(const Secret& base_secret);
  FrameKey(FrameKey&&) noexcept;
  FrameKey& operator=(FrameKey&&) noexcept;
  ~FrameKey();

  // Encrypts into E2EE header || ciphertext || tag.
  std::optional<Bytes> encrypt(const FrameHeader& header, std::span<const uint8_t> routing,
                               std::span<const uint8_t> plaintext);
  // Decrypts a whole payload (E2EE header included, already parsed into `header`); empty when
  // the tag does not authenticate.
  std::optional<Bytes> decrypt(const FrameHeader& header, std::span<const uint8_t> routing,
                               std::span<const uint8_t> payload);

  // The nonce for a counter (exposed for the nonce-uniqueness tests).
  std::array<uint8_t, kNonceBytes> nonce(uint64_t counter) const;

 private:
  struct Contexts;
  FrameKey();
  std::array<uint8_t, kNonceBytes> salt_{};
  std::unique_ptr<Contexts> contexts_;
};

}  // namespace vc::e2ee
