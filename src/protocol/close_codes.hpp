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
// Host actions and the waiting room (docs/PROTOCOL.md §14).
inline constexpr uint32_t kEntryDenied = 4430;   // a host did not let this joiner in
inline constexpr uint32_t kRemoved = 4431;       // a host removed this participant
inline constexpr uint32_t kBarred = 4432;        // removed (or joining) and barred from the meeting
inline constexpr uint32_t kMeetingEnded = 4433;  // the host ended the meeting for everyone
// Refused only: a host action that does not apply to its target now (admit someone not waiting,
// mute someone still waiting, a target connected to another node).
inline constexpr uint32_t kNotApplicable = 4434;
inline constexpr uint32_t kInvalidContent = 4422;  // Refused only: bad text or emoji
inline constexpr uint32_t kTooSlow = 4429;         // backlog, buffered bytes or control flood
// Refused only: the room token does not grant it (docs/PROTOCOL.md §13).
inline constexpr uint32_t kNotGrantedCamera = 4440;
inline constexpr uint32_t kNotGrantedMicrophone = 4441;
inline constexpr uint32_t kNotGrantedScreen = 4442;
inline constexpr uint32_t kNotGrantedSubscribe = 4443;
inline constexpr uint32_t kNotGrantedChat = 4444;
// End-to-end encryption (docs/PROTOCOL.md §15).
inline constexpr uint32_t kE2eeRequired = 4450;   // the meeting requires E2EE; client lacks it
inline constexpr uint32_t kE2eeMalformed = 4451;  // Refused: bad key announce or key message
inline constexpr uint32_t kInternal = 4500;
inline constexpr uint32_t kShuttingDown = 4503;

}  // namespace vc::close_code
