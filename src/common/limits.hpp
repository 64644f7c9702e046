// Tuning constants for the whole system live here, so they can be reviewed and changed in one place.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace vc::limits {

using namespace std::chrono_literals;

// Protocol.
inline constexpr std::size_t kMaxEnvelopeBytes = 1u << 20;   // one encoded frame plus header
inline constexpr std::size_t kMaxControlBytes = 64u << 10;   // a control message from a client
inline constexpr std::size_t kMaxDisplayNameBytes = 64;
inline constexpr std::size_t kMaxMeetingIdBytes = 64;

// Per-receiver send queue (see room/send_queue.hpp for the drop policy).
inline constexpr std::size_t kReceiverVideoQueueBytes = 512u << 10;
inline constexpr std::size_t kReceiverAudioQueueFrames = 256;
// Control is never dropped; a receiver that lets this much control pile up is disconnected.
inline constexpr std::size_t kReceiverControlQueueBytes = 4u << 20;

// Rooms.
inline constexpr std::size_t kMaxParticipantsPerRoom = 1000;
inline constexpr auto kKeyframeRequestCoalesceWindow = 500ms;
inline constexpr auto kReconnectGrace = 5s;

// Connections.
inline constexpr auto kHeartbeatInterval = 10s;
inline constexpr auto kIdleTimeout = 30s;
inline constexpr auto kHandshakeTimeout = 10s;
inline constexpr std::size_t kMaxConnectionsPerAddress = 1024;
inline constexpr std::size_t kMaxHttpBodyBytes = 16u << 10;
inline constexpr std::size_t kMaxHttpHeaderBytes = 8u << 10;
// REST calls that create state (join, create meeting) per source address: a token bucket.
inline constexpr double kJoinBurstPerAddress = 30;
inline constexpr double kJoinRatePerAddressPerSecond = 2;
inline constexpr std::size_t kMaxRateLimitedAddresses = 100000;  // table reset beyond this
// WebSocket reads grow the message buffer by at most this much per read, so an oversized message is
// refused (4413) after buffering at most kMaxEnvelopeBytes plus one chunk.
inline constexpr std::size_t kWebSocketReadChunkBytes = 64u << 10;
// Beast fails a frame whose header alone declares more than this (close 1009) before reading it.
inline constexpr std::size_t kMaxWebSocketMessageBytes = 4 * kMaxEnvelopeBytes;
// On SIGINT/SIGTERM sessions get 4503 and this long to finish their close handshakes.
inline constexpr auto kShutdownGrace = 2s;
// Rooms end reconnect grace periods and empty rooms are dropped on this tick.
inline constexpr auto kRoomTimerInterval = 250ms;
// Store (SQLite) calls run on this many threads, never on the relay thread.
inline constexpr std::size_t kStoreThreads = 2;

// HTTP and REST hardening (docs/SECURITY.md "HTTP and REST").
// An event that can repeat at line rate (accept failing, a handler throwing) is logged at most
// once per interval, with the count held back.
inline constexpr auto kRepeatedEventLogInterval = 1s;
// accept() failing for lack of file descriptors pauses accepting this long instead of spinning.
inline constexpr auto kAcceptBackoff = 100ms;
// Descriptors kept free of TCP connections when --max-connections is derived from RLIMIT_NOFILE:
// the database, log, QUIC sockets, the NATS connection and files served.
inline constexpr std::size_t kReservedFileDescriptors = 64;

// Tokens.
inline constexpr auto kRoomTokenLifetime = 10min;
inline constexpr std::size_t kMaxTokenBytes = 4096;
inline constexpr auto kTokenClockSkew = 60s;  // tolerated for iat in the future

// WebTransport (QUIC endpoint, HTTP/3 layer, sessions).
inline constexpr std::size_t kMaxQuicConnections = 10000;
inline constexpr std::size_t kMaxQuicConnectionsPerAddress = 64;
inline constexpr std::size_t kQuicMaxStreamsBidi = 8;   // control stream + CONNECT + spare
inline constexpr std::size_t kQuicMaxStreamsUni = 16;   // H3 control/QPACK + media kinds + spare
inline constexpr std::size_t kQuicStreamReceiveWindow = 2u << 20;
inline constexpr std::size_t kQuicConnectionReceiveWindow = 8u << 20;
// Media is moved from the SendQueue (where the drop policy applies) into a QUIC stream only while
// that stream has less than this much unsent data, so congestion backs up into the SendQueue.
inline constexpr std::size_t kWebTransportStreamBacklogBytes = 64u << 10;
// Partial records buffered across all of one session's incoming streams (each stream alone is
// bounded by kMaxEnvelopeBytes); beyond this the session is closed with 4429.
inline constexpr std::size_t kWebTransportSessionBufferedBytes = 4u << 20;
inline constexpr std::size_t kH3MaxFrameBytes = 16u << 10;  // SETTINGS, HEADERS, ...
inline constexpr std::size_t kH3MaxTrackedStreams = 64;
inline constexpr auto kDevCertificateValidity = std::chrono::hours(24 * 13);  // < 14 days
inline constexpr auto kDevCertificateBackdate = std::chrono::minutes(5);
inline constexpr auto kDevCertificateRotation = std::chrono::hours(24 * 6);
inline constexpr auto kCertificateRotationCheck = std::chrono::minutes(10);

}  // namespace vc::limits
