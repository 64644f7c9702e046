// Fuzzes the authentication of bus messages (BusAuthenticator::open), what every byte from NATS
// meets first. Invariants: arbitrary input is never accepted (the fuzzer cannot forge a tag), a
// message sealed with the right key is accepted exactly once, and nothing reads out of bounds.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "server/bus/bus_auth.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using vc::bus::AuthResult;
  static const std::vector<uint8_t> secret = {'f', 'u', 'z', 'z'};
  static vc::bus::BusAuthenticator sender(secret);
  static vc::bus::BusAuthenticator receiver(secret);
  constexpr int64_t kNowMs = 1'800'000'000'000;
  const std::span<const uint8_t> input(data, size);
  const std::string subject = size > 0 && data[0] % 2 == 0 ? "vc.room.demo.media" : "vc.heartbeat";

  std::span<const uint8_t> message;
  if (receiver.open(subject, input, kNowMs, message) == AuthResult::kOk) abort();

  std::vector<uint8_t> sealed(input.begin(), input.end());
  sender.seal(subject, sealed, kNowMs);
  const AuthResult first = receiver.open(subject, sealed, kNowMs, message);
  // Messages shorter than a bus header are refused before the tag is checked.
  if (size >= 11) {
    if (first != AuthResult::kOk || message.size() != size ||
        !std::equal(message.begin(), message.end(), data)) {
      abort();
    }
    if (receiver.open(subject, sealed, kNowMs, message) != AuthResult::kReplayed) abort();
  } else if (first != AuthResult::kUnauthenticated) {
    abort();
  }
  receiver.forget_silent_senders(kNowMs);
  return 0;
}
