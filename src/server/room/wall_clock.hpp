// The server's wall clock, for the times the room stamps into messages (chat, reactions, hands,
// host actions). Room logic itself runs on the injected steady clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace vc::room {

inline uint64_t wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

inline uint64_t wall_us() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace vc::room
