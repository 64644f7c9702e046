// Tuning constants for the whole system live here, so they can be reviewed and changed in one
// place.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace vc::limits {

using namespace std::chrono_literals;

// Protocol.
inline constexpr std::size_t kMaxEnvelopeBytes = 1u << 20;  // one encoded frame plus header
inline constexpr std::size_t kMaxControlBytes = 64u << 10;  // a control message from a client
inline constexpr std::size_t kMaxDisplayNameBytes = 64;
inline constexpr std::size_t kMaxMeetingIdBytes = 64;

// Per-receiver send queue (see protocol/send_queue.hpp for the drop policy; docs/SECURITY.md
// "Queues and memory"). Every lane is bounded in bytes, so one receiver holds at most
// kReceiverQueueBytes whatever its publishers send.
// Twice the largest envelope: a maximum-size keyframe plus the delta frames that follow it.
inline constexpr std::size_t kReceiverVideoQueueBytes = 2 * kMaxEnvelopeBytes;
inline constexpr std::size_t kReceiverAudioQueueFrames = 256;
inline constexpr std::size_t kReceiverAudioQueueBytes = 256u << 10;
// Control is never dropped; a receiver that lets this much control pile up is disconnected.
inline constexpr std::size_t kReceiverControlQueueBytes = 4u << 20;
// All lanes of one receiver together; beyond it the receiver is closed as too slow (4429).
inline constexpr std::size_t kReceiverQueueBytes = 4u << 20;
// All send queues of the process together (flag --max-send-queue-bytes). Over it, a receiver
// that is already behind (non-empty queue) is closed with 4429 instead of queueing more.
inline constexpr std::size_t kSendQueueProcessBytes = 1u << 30;
// Audio envelopes above this are dropped by the room (Opus at 510 kbit/s is ~1.3 KB per 20 ms).
inline constexpr std::size_t kMaxAudioEnvelopeBytes = 4u << 10;
// Publisher tracks one receiver waits on a keyframe for; the oldest is forgotten beyond this.
inline constexpr std::size_t kMaxAwaitingKeyframeTracks = 64;
// An envelope that passes the size limit fits every lane it can be queued on.
static_assert(kMaxEnvelopeBytes <= kReceiverVideoQueueBytes);
static_assert(kMaxAudioEnvelopeBytes <= kReceiverAudioQueueBytes);
static_assert(kMaxEnvelopeBytes <= kReceiverControlQueueBytes);
// Media lanes alone never close a receiver: only control (never dropped) can reach the cap.
static_assert(kReceiverVideoQueueBytes + kReceiverAudioQueueBytes < kReceiverQueueBytes);
static_assert(kReceiverControlQueueBytes <= kReceiverQueueBytes);
static_assert(kReceiverQueueBytes <= kSendQueueProcessBytes);

// Rooms.
inline constexpr std::size_t kMaxParticipantsPerRoom = 1000;
inline constexpr auto kKeyframeRequestCoalesceWindow = 500ms;
// A receiver that keeps losing a publisher track's video asks for keyframes at doubling intervals
// (starting at the coalesce window) up to this; its retries reset after kKeyframeRetryReset quiet.
inline constexpr auto kKeyframeRetryBackoffMax = 8s;
inline constexpr auto kKeyframeRetryReset = 30s;
inline constexpr std::size_t kMaxKeyframeRetryTracks = 64;  // per receiver; oldest evicted
inline constexpr auto kReconnectGrace = 5s;

// Control messages from one participant (docs/PROTOCOL.md §4a): a token bucket. Over the rate a
// message is dropped; more than kControlFloodDrops drops within kControlFloodWindow closes the
// connection with 4429. Keyframe requests are only honoured for tracks the publisher has sent, and
// at most kMaxTracksPerPublisher tracks are remembered per publisher (bounded coalescing state).
inline constexpr double kControlBurst = 64;
inline constexpr double kControlRatePerSecond = 32;
inline constexpr std::size_t kControlFloodDrops = 256;
inline constexpr auto kControlFloodWindow = 10s;

// Chat, raised hands and reactions (docs/PROTOCOL.md §12). Every chat message and reaction also
// spends the control budget above; these buckets are per participant and survive reconnects.
inline constexpr std::size_t kMaxChatTextBytes = 4000;  // longer: Refused 4413
inline constexpr double kChatBurst = 10;
inline constexpr double kChatRatePerSecond = 1;  // over it: Refused 4429
inline constexpr double kReactionBurst = 6;
inline constexpr double kReactionRatePerSecond = 2;
// Recent chat kept per room for late joiners (oldest evicted first), in count and bytes of text.
inline constexpr std::size_t kChatHistoryMessages = 100;
inline constexpr std::size_t kChatHistoryBytes = 64u << 10;
// The history fits one envelope, with room for the per-message fields.
static_assert(kChatHistoryBytes + kChatHistoryMessages * 256 < kMaxEnvelopeBytes);
static_assert(kMaxChatTextBytes < kMaxControlBytes);
inline constexpr std::size_t kMaxTracksPerPublisher = 16;

// Tracks and selective forwarding (docs/PROTOCOL.md §11).
inline constexpr uint32_t kMaxTrackId = 65535;
inline constexpr std::size_t kMaxSimulcastLayers = 3;
inline constexpr uint32_t kMaxTemporalLayers = 3;
inline constexpr uint32_t kMaxVideoDimension = 7680;
// Explicit TrackSubscriptions one receiver may hold (tracks of up to ~250 publishers).
inline constexpr std::size_t kMaxSubscriptionsPerReceiver = 1024;
// Per track encoding, the frames since its last keyframe kept to start new subscribers at once.
// Within the video lane, so a whole cached GOP can be queued to a fresh receiver.
inline constexpr std::size_t kGopCacheBytes = 1u << 20;
inline constexpr std::size_t kGopCacheFrames = 120;
// Active speaker (room/dominant_speaker.hpp).
inline constexpr auto kDominantSpeakerMinHold = 1500ms;
inline constexpr std::size_t kMaxRecentSpeakers = 9;
inline constexpr std::size_t kMaxLastN = kMaxRecentSpeakers;
// Rooms above this many participants forward only the kAudioTopK loudest audio tracks.
inline constexpr std::size_t kLargeRoomThreshold = 20;
inline constexpr std::size_t kAudioTopK = 4;
inline constexpr auto kAudioRankInterval = 250ms;
// Per-receiver bandwidth estimate (room/bandwidth_estimator.hpp).
inline constexpr auto kBweSampleInterval = 250ms;
inline constexpr auto kBweCongestedQueueDelay = 150ms;
inline constexpr uint64_t kBweInitialBps = 2'000'000;
inline constexpr uint64_t kBweMinBps = 100'000;
inline constexpr uint64_t kBweMaxBps = 100'000'000;
// Queue delay under which the receiver keeps up and the estimate may grow; between this and
// kBweCongestedQueueDelay it holds.
inline constexpr auto kBweClearQueueDelay = 50ms;
inline constexpr double kBweBackoff = 0.85;  // of the delivery rate, on congestion
inline constexpr double kBweGrowth = 1.06;   // per clear sample: about x1.26 per second
inline constexpr auto kBweHoldAfterCongestion = 2s;
// Delivery rate over this many samples (1 s): one sample that drained nothing while a large frame
// was being written is not a stall.
inline constexpr std::size_t kBweRateWindowSamples = 4;
// Sent less than estimate / this: the receiver is not using its estimate, which then neither grows
// nor decays (no evidence either way).
inline constexpr double kBweAppLimitedHeadroom = 2.0;
inline constexpr uint32_t kBweLossBackoffPermille = 50;  // receiver-reported loss above 5% lowers
// WebTransport's hint (quic/congestion_hint.hpp): cwnd / RTT counts only while bytes in flight
// fill at least this much of the window (cwnd-limited), and holds this long after the last time.
inline constexpr double kBweCwndLimitedFraction = 0.8;
inline constexpr auto kBweTransportHintHold = 1s;
// Unsent bytes the kernel may hold per accepted TCP socket (TCP_NOTSENT_LOWAT; http/listener.cpp).
// Without it the send buffer autotunes to megabytes (seconds of video on a slow link), hiding the
// backlog from the receiver's SendQueue and so from its bandwidth estimate.
inline constexpr std::size_t kTcpNotSentLowatBytes = 64u << 10;
// Dominant speaker tuning (room/dominant_speaker.cpp). Levels are RFC 6464 -dBov (0 loudest):
// at or above kSpeechLevelFloor a frame counts as silence (background noise), at or below
// kSpeechLevelFull as full activity.
inline constexpr uint8_t kSpeechLevelFloor = 70;
inline constexpr uint8_t kSpeechLevelFull = 25;
inline constexpr auto kSpeakerShortWindow = 300ms;
inline constexpr auto kSpeakerLongWindow = 2s;
// Hysteresis on the short-window activity: speaking starts above On, stops below Off.
inline constexpr double kSpeakingOnActivity = 0.35;
inline constexpr double kSpeakingOffActivity = 0.15;
// A candidate must have been speaking this long to take the floor (longer than a cough or "yes").
inline constexpr auto kSpeechToTakeFloor = 700ms;
// While the dominant speaker still speaks, a candidate needs this much more long-window activity.
inline constexpr double kInterruptActivityRatio = 1.3;
// Audio frames normally come every 10-60 ms: gaps up to this are not silence.
inline constexpr auto kSpeakerFrameSpacingGrace = 60ms;
// The time one audio frame stands for when there is no previous frame to measure from.
inline constexpr auto kSpeakerNominalFrame = 20ms;
// With the dominant speaker silent, a candidate still needs this share of its long activity, so
// a pause between two sentences of a long talk is not a handover to someone's brief remark.
inline constexpr double kSpeakerTakeSilentFloorRatio = 0.5;
// Added to the interrupt comparison so that two near-silent speakers do not swap on noise.
inline constexpr double kSpeakerInterruptMargin = 0.05;
static_assert(kGopCacheBytes <= kReceiverVideoQueueBytes);

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
// WebSocket egress (plain TCP): one writev carries at most this many queued frames / bytes; the
// rest waits in the SendQueue, under its drop policy, for the next loop turn.
inline constexpr std::size_t kWsWritevMaxFrames = 64;
inline constexpr std::size_t kWsWritevMaxBytes = 256u << 10;
// Egress shards (server/ws/egress_shards.hpp): --threads is at most this; a shard handles at most
// this many socket events per epoll_wait.
inline constexpr std::size_t kMaxServerThreads = 256;
inline constexpr std::size_t kEgressShardEpollEvents = 256;
// A shard takes this many WebSocket receivers for each one the relay thread writes itself: the
// relay thread also reads, routes and hands off for every receiver (docs/BENCHMARKS.md, shards).
inline constexpr std::size_t kEgressShardWeight = 2;
// On SIGINT/SIGTERM sessions get 4503 and this long to finish their close handshakes.
inline constexpr auto kShutdownGrace = 2s;
// After shutdown has closed every session the relay loop must run out of work within this long
// (WebTransport's last closes and store answers included); else it is stopped (shutdown_stuck).
inline constexpr auto kShutdownStuckAfter = 10s;
// Rooms end reconnect grace periods and empty rooms are dropped on this tick.
inline constexpr auto kRoomTimerInterval = 250ms;
// Store (SQLite) calls run on this many threads, never on the relay thread.
inline constexpr std::size_t kStoreThreads = 2;

// Cross-node bus authentication (server/bus/bus_auth.hpp). A message whose timestamp is further
// than this from our clock is refused: node clocks must agree to well within it (NTP).
inline constexpr auto kBusMessageMaxAge = 30s;
// Per sending node, sequence numbers this far below the highest one seen are still accepted once
// (messages on different subjects may be delivered out of order).
inline constexpr std::size_t kBusReplayWindowMessages = 4096;

// Logging: a client-controlled string is cut to this many bytes in a log line (log::escape).
inline constexpr std::size_t kMaxLoggedClientStringBytes = 256;

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
// Room tokens minted by a site's backend with an API key may live this long (exp - iat), so a page
// can hold one for a long visit; the server's own tokens live --token-lifetime.
inline constexpr auto kApiTokenMaxLifetime = 24h;
inline constexpr std::size_t kMaxTokenSubjectBytes = 256;  // the "sub" claim of such a token
// Participant ids that sent Leave cannot refresh their token; remembered for one token lifetime
// (plus skew), at most this many per node (the oldest are forgotten first).
inline constexpr std::size_t kMaxRememberedLeftParticipants = 100000;
// Host actions (docs/PROTOCOL.md §14): identities a live room remembers as barred (the store keeps
// all of them for later joins), and meetings whose moderation state a node caches between the
// join API call and the media connection (the oldest are forgotten first).
inline constexpr std::size_t kMaxBarredPerMeeting = 1000;
// Room token "sub" and the guest identity key a browser keeps (bytes).
inline constexpr std::size_t kMaxSubjectBytes = 128;
inline constexpr std::size_t kMinIdentityKeyBytes = 16;
inline constexpr std::size_t kMaxIdentityKeyBytes = 128;
inline constexpr std::size_t kMaxCachedModerationStates = 10000;
// Audit entries the REST API returns at most per call.
inline constexpr std::size_t kMaxAuditEntriesPerQuery = 500;

// WebTransport (QUIC endpoint, HTTP/3 layer, sessions).
inline constexpr std::size_t kMaxQuicConnections = 10000;
inline constexpr std::size_t kMaxQuicConnectionsPerAddress = 64;
inline constexpr std::size_t kQuicMaxStreamsBidi = 8;  // control stream + CONNECT + spare
inline constexpr std::size_t kQuicMaxStreamsUni = 16;  // H3 control/QPACK + media kinds + spare
inline constexpr std::size_t kQuicStreamReceiveWindow = 2u << 20;
// UDP I/O of the QUIC endpoint (net/quic/endpoint.cpp, udp_batch.hpp) and of the client.
inline constexpr int kQuicSocketBufferBytes = 4 << 20;  // SO_SNDBUF / SO_RCVBUF
// recvmmsg rounds per readable event before other work on the event loop gets a turn.
inline constexpr int kQuicReceiveRoundsPerWakeup = 16;
// The endpoint's timer heap is compacted (stale entries dropped) beyond 2 per connection + this.
inline constexpr std::size_t kQuicTimerHeapSlack = 64;
inline constexpr std::size_t kUdpReceiveBatchDatagrams = 32;  // per recvmmsg
inline constexpr std::size_t kUdpDatagramBytes = 2048;        // > any QUIC packet we accept (1452)
inline constexpr std::size_t kUdpSendBatchBytes = 128u << 10;
inline constexpr std::size_t kUdpSendBatchMessages = 64;  // per sendmmsg
inline constexpr std::size_t kUdpGsoMaxSegments = 32;     // per GSO message (kernel limit is 64)
// ngtcp2 writes: stream data vectors gathered into one packet, packets per write call.
inline constexpr std::size_t kQuicMaxVectorsPerPacket = 16;
inline constexpr std::size_t kQuicMaxPacketsPerWrite = 64;
// Datagrams the client reads per readable event before yielding to other work.
inline constexpr int kWebTransportClientReadBurst = 64;
inline constexpr std::size_t kQuicConnectionReceiveWindow = 8u << 20;
// Media is moved from the SendQueue (where the drop policy applies) into a QUIC stream only while
// that stream has less than this much unsent data, so congestion backs up into the SendQueue.
inline constexpr std::size_t kWebTransportStreamBacklogBytes = 64u << 10;
// Partial records buffered across all of one session's incoming streams (each stream alone is
// bounded by kMaxEnvelopeBytes); beyond this the session is closed with 4429.
inline constexpr std::size_t kWebTransportSessionBufferedBytes = 4u << 20;
inline constexpr std::size_t kH3MaxFrameBytes = 16u << 10;  // SETTINGS, HEADERS, ...
inline constexpr std::size_t kH3MaxTrackedStreams = 64;
// QUIC address validation and stateless reset (docs/SECURITY.md, "QUIC and WebTransport").
// Above this many half-open (handshaking) connections, Initials without a valid Retry token get a
// Retry (--quic-retry-threshold; 0 = always).
inline constexpr std::size_t kQuicRetryThreshold = 100;
// Never more half-open connections than this (--quic-max-half-open); further Initials are dropped.
inline constexpr std::size_t kQuicMaxHalfOpen = 1000;
inline constexpr auto kQuicRetryTokenLifetime = 10s;
// Stateless Resets for packets to unknown connection ids: a global token bucket, and their size.
inline constexpr double kQuicStatelessResetsPerSecond = 100;
inline constexpr double kQuicStatelessResetBurst = 100;
inline constexpr std::size_t kQuicStatelessResetBytes = 43;
// Control is never held back in the SendQueue, so it is bounded here: a WebTransport client that
// lets this much control pile up unsent on its control stream (it acknowledges packets but grants
// no stream credit) is closed with 4429 (too slow).
inline constexpr std::size_t kWebTransportControlBacklogBytes = 1u << 20;
// Once the peer has acknowledged our Control.error and session close capsule, it gets this long to
// close the connection itself (the client keeps its socket as long after close() to deliver its
// own session close). Closing the QUIC connection at once races the browser's delivery of
// what it acknowledged: Chromium then reports "Connection lost" and the close code never reaches
// the page (a removed participant would reconnect instead of seeing why).
inline constexpr auto kWebTransportCloseLinger = 2s;
inline constexpr auto kDevCertificateValidity = std::chrono::hours(24 * 13);  // < 14 days
inline constexpr auto kDevCertificateBackdate = std::chrono::minutes(5);
inline constexpr auto kDevCertificateRotation = std::chrono::hours(24 * 6);
inline constexpr auto kCertificateRotationCheck = std::chrono::minutes(10);

// End-to-end encryption (docs/PROTOCOL.md §15).
// Key ids kept per sender, so frames still in flight across a rotation decrypt.
inline constexpr std::size_t kE2eeKeysPerSender = 4;
// Senders whose keys a client holds (more than a meeting can have).
inline constexpr std::size_t kE2eeMaxSenders = kMaxParticipantsPerRoom;
// Bytes of an E2eeKeyMessage's sealed key and of an announced X25519 public key.
inline constexpr std::size_t kE2eeSealedKeyBytes = 60;
inline constexpr std::size_t kE2eePublicKeyBytes = 32;
// Sealed keys one participant may send: a rotation in a full meeting addresses everyone at once.
inline constexpr double kE2eeKeyMessageBurst = 2.0 * kMaxParticipantsPerRoom;
inline constexpr double kE2eeKeyMessageRate = 200.0;

}  // namespace vc::limits
