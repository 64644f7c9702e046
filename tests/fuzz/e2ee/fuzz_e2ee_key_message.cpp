// A sealed key message as a client receives it (fields from the server, bytes from anyone):
// opening never crashes and never yields a key without the sender's private key.
#include <cstdlib>

#include "e2ee/key_ring.hpp"
#include "proto/videocall.pb.h"

using namespace vc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto* group = [] {
    auto* keys = new std::optional<e2ee::GroupKeys>(e2ee::GroupKeys::create("fuzz-meeting"));
    (*keys)->start(2);
    e2ee::PublicKey peer{};
    peer.fill(9);
    (*keys)->peer_key(1, peer);
    return keys;
  }();
  ::videocall::v1::E2eeKeyMessage message;
  if (!message.ParseFromArray(data, static_cast<int>(size))) return 0;
  const e2ee::KeyMessage sealed{message.from_participant_id(), message.to_participant_id(),
                                message.key_id(),
                                e2ee::Bytes(message.sealed().begin(), message.sealed().end())};
  if ((*group)->on_key_message(sealed)) abort();
  return 0;
}
