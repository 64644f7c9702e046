// Authentication of cross-node bus messages (docs/SECURITY.md, "Cluster bus and store").
//
// Anyone who can reach the NATS server could otherwise inject media as any participant or forge
// roster changes. Every message a node publishes therefore carries a trailer:
//
//   sequence (u64 LE) | sent_at_ms (u64 LE, unix time) | tag (16 bytes)
//
// where tag = HMAC-SHA256(key, u16 subject length | subject | message | sequence | sent_at_ms),
// truncated to 16 bytes, and key = HKDF-SHA256 of the room token secret that every node of a
// deployment already shares. The subject is covered so a message cannot be moved to another room.
// The receiver rejects a bad tag, a message older (or newer) than limits::kBusMessageMaxAge, and a
// sequence number it has already accepted from that node (a window of the last
// limits::kBusReplayWindowMessages sequence numbers per sender; older ones are rejected too).
//
// Sans-I/O and single-threaded (the Cluster's event loop); time comes from the caller.
#pragma once

#include <bitset>
#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/limits.hpp"

struct evp_mac_ctx_st;

namespace vc::bus {

inline constexpr std::size_t kAuthTagBytes = 16;
inline constexpr std::size_t kAuthTrailerBytes = 8 + 8 + kAuthTagBytes;

enum class AuthResult {
  kOk,
  kUnauthenticated,  // too short, no sender, or the tag does not match
  kStale,            // sent_at_ms outside the accepted age
  kReplayed,         // this sender's sequence number was already accepted, or is too old
};

class BusAuthenticator {
 public:
  // Derives the message key from `secret` (the room token secret). Throws std::invalid_argument
  // for an empty secret and std::runtime_error if OpenSSL cannot (both at start-up only).
  explicit BusAuthenticator(std::span<const uint8_t> secret);
  ~BusAuthenticator();
  BusAuthenticator(const BusAuthenticator&) = delete;
  BusAuthenticator& operator=(const BusAuthenticator&) = delete;

  // Appends the trailer to `message` (an encoded bus message) for publishing on `subject`.
  void seal(std::string_view subject, std::vector<uint8_t>& message, int64_t now_ms);

  // Checks `data` as received on `subject`; on kOk, `message` is `data` without the trailer. The
  // replay window is the one of the node id in the message header (covered by the tag).
  AuthResult open(std::string_view subject, std::span<const uint8_t> data, int64_t now_ms,
                  std::span<const uint8_t>& message);

  // Forgets the replay state of senders silent for 2 * kBusMessageMaxAge: anything they sent
  // before that is stale anyway. Call periodically; bounds the table to the live nodes.
  void forget_silent_senders(int64_t now_ms);
  std::size_t tracked_senders() const { return senders_.size(); }

 private:
  struct ReplayWindow {
    uint64_t highest = 0;                                // highest accepted sequence number
    std::bitset<limits::kBusReplayWindowMessages> seen;  // bit i: highest - i was accepted
    int64_t last_heard_ms = 0;
  };

  bool compute_tag(std::string_view subject, std::span<const uint8_t> message,
                   std::span<const uint8_t> sequence_and_time, uint8_t (&tag)[kAuthTagBytes]);
  bool accept_sequence(uint64_t sender, uint64_t sequence, int64_t now_ms);

  evp_mac_ctx_st* mac_ = nullptr;  // keyed once; re-initialised per message with the same key
  uint64_t next_sequence_ = 1;
  std::unordered_map<uint64_t, ReplayWindow> senders_;
};

}  // namespace vc::bus
