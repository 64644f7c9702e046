// Protocol error and close codes (docs/PROTOCOL.md §10), shared by the server's transports, the
// room and the client library. One definition, so a code never means two things.
#pragma once

#include <cstdint>

namespace vc::close_code {

inline constexpr uint32_t kMalformed = 4400;     // malformed envelope
inline constexpr uint32_t kUnauthorized = 4401;  // missing, invalid or expired token
inline constexpr uint32_t kForbidden = 4403;     // token for another meeting
inline constexpr uint32_t kUnknownMeeting = 4404;
inline constexpr uint32_t kProtocolViolation = 4405;  // media before Hello, second Hello, ...
inline constexpr uint32_t kUnsupportedVersion = 4406;
inline constexpr uint32_t kIdleTimeout = 4408;
inline constexpr uint32_t kReplaced = 4409;  // a newer connection of the same participant
inline constexpr uint32_t kMeetingFull = 4410;
inline constexpr uint32_t kTooLarge = 4413;
inline constexpr uint32_t kInvalidContent = 4422;  // Refused only: bad text or emoji
inline constexpr uint32_t kTooSlow = 4429;         // backlog, buffered bytes or control flood
// End-to-end encryption (docs/PROTOCOL.md §15).
inline constexpr uint32_t kE2eeRequired = 4450;   // the meeting requires E2EE; client lacks it
inline constexpr uint32_t kE2eeMalformed = 4451;  // Refused: bad key announce or key message
inline constexpr uint32_t kInternal = 4500;
inline constexpr uint32_t kShuttingDown = 4503;

}  // namespace vc::close_code
