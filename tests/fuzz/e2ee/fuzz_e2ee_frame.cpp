// Any received payload under any routing header: the E2EE header parser and decryption never
// crash, and nothing but an authentic frame (here: none, the key is secret) is ever accepted.
#include <cstdlib>

#include "e2ee/key_ring.hpp"

using namespace vc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static e2ee::ReceiverKeys* keys = [] {
    auto* ring = new e2ee::ReceiverKeys();
    e2ee::Secret secret{};
    secret.fill(7);
    for (uint32_t key_id = 0; key_id < 4; ++key_id) ring->add(1, key_id, secret);
    // Passphrase-style derivation of unknown key ids, as a passphrase client does.
    ring->set_resolver(
        [](uint64_t, uint32_t) { return std::optional<e2ee::Secret>(e2ee::Secret{}); });
    return ring;
  }();
  const std::span<const uint8_t> input(data, size);
  // The first bytes choose routing header fields, the rest is the payload.
  ::videocall::v1::MediaHeader header;
  if (size >= 3) {
    header.set_sender_participant_id(data[0] % 3);
    header.set_kind(static_cast<::videocall::v1::MediaKind>(data[1] % 4));
    header.set_keyframe(data[2] & 1);
  }
  const auto payload = input.subspan(std::min<size_t>(size, 3));
  const auto parsed = e2ee::parse_frame_header(payload);
  if (parsed && (payload.size() < e2ee::kFrameOverheadBytes || payload[0] != e2ee::kFrameVersion))
    abort();
  e2ee::Bytes plaintext;
  // Forging a tag needs the key: no fuzzed input authenticates.
  if (keys->decrypt(header, payload, plaintext) == e2ee::DecryptResult::kOk) abort();
  return 0;
}
