// HTTP/3 (RFC 9114) and WebTransport-over-HTTP/3 (draft-02/-07 wire, as Chromium speaks it) wire
// formats: frame headers, SETTINGS, capsules, stream headers and the few QPACK field sections we
// encode by hand. Pure functions over byte spans; errors are values. See docs/ARCHITECTURE.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace vc::h3 {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// Application error codes (RFC 9114 §8.1, RFC 9204 §6, RFC 9297 §5, WebTransport drafts).
enum class H3Error : uint64_t {
  kNone = 0,
  kNoError = 0x100,
  kGeneralProtocolError = 0x101,
  kInternalError = 0x102,
  kStreamCreationError = 0x103,
  kClosedCriticalStream = 0x104,
  kFrameUnexpected = 0x105,
  kFrameError = 0x106,
  kExcessiveLoad = 0x107,
  kIdError = 0x108,
  kSettingsError = 0x109,
  kMissingSettings = 0x10a,
  kRequestRejected = 0x10b,
  kRequestCancelled = 0x10c,
  kRequestIncomplete = 0x10d,
  kMessageError = 0x10e,
  kConnectError = 0x10f,
  kQpackDecompressionFailed = 0x200,
  kDatagramError = 0x33,
  kWebTransportBufferedStreamRejected = 0x3994bd84,
  kWebTransportSessionGone = 0x170d7b68,
};

std::string_view to_string(H3Error error);

namespace frame_type {
inline constexpr uint64_t kData = 0x00;
inline constexpr uint64_t kHeaders = 0x01;
inline constexpr uint64_t kCancelPush = 0x03;
inline constexpr uint64_t kSettings = 0x04;
inline constexpr uint64_t kPushPromise = 0x05;
inline constexpr uint64_t kGoaway = 0x07;
inline constexpr uint64_t kMaxPushId = 0x0d;
// HTTP/2 frame types that HTTP/3 reserves; receiving one is H3_FRAME_UNEXPECTED.
bool is_reserved_http2(uint64_t type);
}  // namespace frame_type

namespace stream_type {
inline constexpr uint64_t kControl = 0x00;
inline constexpr uint64_t kPush = 0x01;
inline constexpr uint64_t kQpackEncoder = 0x02;
inline constexpr uint64_t kQpackDecoder = 0x03;
inline constexpr uint64_t kWebTransportUni = 0x54;
// Signal value (not a frame) that opens a WebTransport bidirectional stream.
inline constexpr uint64_t kWebTransportBidi = 0x41;
}  // namespace stream_type

namespace setting {
inline constexpr uint64_t kQpackMaxTableCapacity = 0x01;
inline constexpr uint64_t kMaxFieldSectionSize = 0x06;
inline constexpr uint64_t kQpackBlockedStreams = 0x07;
inline constexpr uint64_t kEnableConnectProtocol = 0x08;
inline constexpr uint64_t kH3Datagram = 0x33;
inline constexpr uint64_t kH3DatagramDraft04 = 0xffd277;
inline constexpr uint64_t kEnableWebTransportDraft02 = 0x2b603742;
inline constexpr uint64_t kWebTransportMaxSessionsDraft07 = 0xc671706a;
}  // namespace setting

namespace capsule_type {
inline constexpr uint64_t kCloseWebTransportSession = 0x2843;
inline constexpr uint64_t kDrainWebTransportSession = 0x78ae;
}  // namespace capsule_type

enum class Parse : uint8_t { kOk, kNeedMore, kError };

// Type and length of an HTTP/3 frame; `header_size` bytes precede the payload.
struct FrameHeader {
  uint64_t type = 0;
  uint64_t length = 0;
  std::size_t header_size = 0;
};
// kNeedMore until both varints are present (a frame header can never be malformed by itself).
Parse parse_frame_header(ByteView in, FrameHeader& out);

// What the peer's SETTINGS frame told us. Unknown and GREASE identifiers are ignored.
struct PeerSettings {
  uint64_t qpack_max_table_capacity = 0;
  uint64_t qpack_blocked_streams = 0;
  uint64_t max_field_section_size = UINT64_MAX;
  bool enable_connect_protocol = false;
  bool h3_datagram = false;
  bool webtransport_draft02 = false;
  uint64_t webtransport_max_sessions = 0;
  bool supports_webtransport() const {
    return h3_datagram && (webtransport_draft02 || webtransport_max_sessions > 0);
  }
};
// Parses a SETTINGS payload: H3_FRAME_ERROR for a truncated pair, H3_SETTINGS_ERROR for a
// duplicate identifier, an HTTP/2-only identifier or an invalid boolean value.
H3Error parse_settings(ByteView payload, PeerSettings& out);

// The bytes that open our control stream: stream type 0x00 then one SETTINGS frame advertising
// extended CONNECT, H3 datagrams and WebTransport (draft-02 and draft-07), zero-capacity QPACK.
void append_control_stream_preamble(Bytes& out, uint64_t max_webtransport_sessions);

// A complete frame with `payload`, and just a frame header (for payload written separately).
void append_frame(Bytes& out, uint64_t type, ByteView payload);
void append_frame_header(Bytes& out, uint64_t type, uint64_t length);

// A capsule (RFC 9297 §3.2): type varint, length varint, payload.
struct Capsule {
  uint64_t type = 0;
  uint64_t length = 0;
  std::size_t header_size = 0;
};
Parse parse_capsule_header(ByteView in, Capsule& out);

// CLOSE_WEBTRANSPORT_SESSION payload: a 32-bit code and a UTF-8 reason of at most 1024 bytes.
struct CloseSession {
  uint32_t code = 0;
  std::string_view reason;
};
inline constexpr std::size_t kMaxCloseReasonBytes = 1024;
bool parse_close_session(ByteView payload, CloseSession& out);
// A DATA frame carrying one CLOSE_WEBTRANSPORT_SESSION capsule (reason truncated to 1024 bytes).
void append_close_session_data_frame(Bytes& out, uint32_t code, std::string_view reason);
// A DATA frame carrying one DRAIN_WEBTRANSPORT_SESSION capsule.
void append_drain_session_data_frame(Bytes& out);

// QPACK field sections encoded by hand (static table only, no Huffman, no dynamic table).
// Response to an extended CONNECT: `:status` plus, for 2xx, sec-webtransport-http3-draft: draft02.
void append_connect_response_headers_frame(Bytes& out, int status);
// Extended CONNECT request as a client sends it (used by the native test client).
void append_connect_request_headers_frame(Bytes& out, std::string_view authority,
                                          std::string_view path, std::string_view origin);
// QPACK prefixed integer (RFC 7541 §5.1) with `prefix_bits` and the high bits in `first_byte`.
void append_qpack_integer(Bytes& out, uint8_t first_byte, int prefix_bits, uint64_t value);

// Stream headers: uni = 0x54 + session id; bidi = 0x41 + session id.
void append_webtransport_stream_header(Bytes& out, bool bidirectional, uint64_t session_id);

}  // namespace vc::h3
