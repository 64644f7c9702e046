#include "net/h3/wire.hpp"

#include <algorithm>

#include "net/h3/varint.hpp"

namespace vc::h3 {

std::string_view to_string(H3Error error) {
  switch (error) {
    case H3Error::kNone:
      return "none";
    case H3Error::kNoError:
      return "H3_NO_ERROR";
    case H3Error::kGeneralProtocolError:
      return "H3_GENERAL_PROTOCOL_ERROR";
    case H3Error::kInternalError:
      return "H3_INTERNAL_ERROR";
    case H3Error::kStreamCreationError:
      return "H3_STREAM_CREATION_ERROR";
    case H3Error::kClosedCriticalStream:
      return "H3_CLOSED_CRITICAL_STREAM";
    case H3Error::kFrameUnexpected:
      return "H3_FRAME_UNEXPECTED";
    case H3Error::kFrameError:
      return "H3_FRAME_ERROR";
    case H3Error::kExcessiveLoad:
      return "H3_EXCESSIVE_LOAD";
    case H3Error::kIdError:
      return "H3_ID_ERROR";
    case H3Error::kSettingsError:
      return "H3_SETTINGS_ERROR";
    case H3Error::kMissingSettings:
      return "H3_MISSING_SETTINGS";
    case H3Error::kRequestRejected:
      return "H3_REQUEST_REJECTED";
    case H3Error::kRequestCancelled:
      return "H3_REQUEST_CANCELLED";
    case H3Error::kRequestIncomplete:
      return "H3_REQUEST_INCOMPLETE";
    case H3Error::kMessageError:
      return "H3_MESSAGE_ERROR";
    case H3Error::kConnectError:
      return "H3_CONNECT_ERROR";
    case H3Error::kQpackDecompressionFailed:
      return "QPACK_DECOMPRESSION_FAILED";
    case H3Error::kDatagramError:
      return "H3_DATAGRAM_ERROR";
    case H3Error::kWebTransportBufferedStreamRejected:
      return "WT_BUFFERED_STREAM_REJECTED";
    case H3Error::kWebTransportSessionGone:
      return "WT_SESSION_GONE";
  }
  return "unknown";
}

bool frame_type::is_reserved_http2(uint64_t type) {
  return type == 0x02 || type == 0x06 || type == 0x08 || type == 0x09;
}

Parse parse_frame_header(ByteView in, FrameHeader& out) {
  const VarintResult type = decode_varint(in);
  if (!type.complete()) return Parse::kNeedMore;
  const VarintResult length = decode_varint(in.subspan(type.size));
  if (!length.complete()) return Parse::kNeedMore;
  out = {type.value, length.value, type.size + length.size};
  return Parse::kOk;
}

H3Error parse_settings(ByteView payload, PeerSettings& out) {
  // Identifiers seen so far, to reject duplicates; a peer sending more than this many distinct
  // settings is abusive (real clients send about eight).
  constexpr std::size_t kMaxSettings = 64;
  uint64_t seen[kMaxSettings];
  std::size_t seen_count = 0;
  while (!payload.empty()) {
    const VarintResult id = decode_varint(payload);
    if (!id.complete()) return H3Error::kFrameError;
    const VarintResult value = decode_varint(payload.subspan(id.size));
    if (!value.complete()) return H3Error::kFrameError;
    payload = payload.subspan(id.size + value.size);
    if (std::find(seen, seen + seen_count, id.value) != seen + seen_count) {
      return H3Error::kSettingsError;
    }
    if (seen_count == kMaxSettings) return H3Error::kExcessiveLoad;
    seen[seen_count++] = id.value;
    const auto boolean = [&](bool& field) {
      if (value.value > 1) return false;
      field = value.value == 1;
      return true;
    };
    switch (id.value) {
      case 0x02:
      case 0x03:
      case 0x04:
      case 0x05:  // HTTP/2-only settings
        return H3Error::kSettingsError;
      case setting::kQpackMaxTableCapacity:
        out.qpack_max_table_capacity = value.value;
        break;
      case setting::kQpackBlockedStreams:
        out.qpack_blocked_streams = value.value;
        break;
      case setting::kMaxFieldSectionSize:
        out.max_field_section_size = value.value;
        break;
      case setting::kEnableConnectProtocol:
        if (!boolean(out.enable_connect_protocol)) return H3Error::kSettingsError;
        break;
      case setting::kH3Datagram:
        if (!boolean(out.h3_datagram)) return H3Error::kSettingsError;
        break;
      case setting::kH3DatagramDraft04:
        if (value.value == 1) out.h3_datagram = true;
        break;
      case setting::kEnableWebTransportDraft02:
        if (value.value == 1) out.webtransport_draft02 = true;
        break;
      case setting::kWebTransportMaxSessionsDraft07:
        out.webtransport_max_sessions = value.value;
        break;
      default:
        break;  // unknown or GREASE: ignored (RFC 9114 §7.2.4.1)
    }
  }
  return H3Error::kNone;
}

void append_frame_header(Bytes& out, uint64_t type, uint64_t length) {
  append_varint(out, type);
  append_varint(out, length);
}

void append_frame(Bytes& out, uint64_t type, ByteView payload) {
  append_frame_header(out, type, payload.size());
  out.insert(out.end(), payload.begin(), payload.end());
}

void append_control_stream_preamble(Bytes& out, uint64_t max_webtransport_sessions) {
  Bytes settings;
  const auto add = [&](uint64_t id, uint64_t value) {
    append_varint(settings, id);
    append_varint(settings, value);
  };
  add(setting::kQpackMaxTableCapacity, 0);
  add(setting::kQpackBlockedStreams, 0);
  add(setting::kEnableConnectProtocol, 1);
  add(setting::kH3Datagram, 1);
  add(setting::kEnableWebTransportDraft02, 1);
  add(setting::kWebTransportMaxSessionsDraft07, max_webtransport_sessions);
  append_varint(out, stream_type::kControl);
  append_frame(out, frame_type::kSettings, settings);
}

Parse parse_capsule_header(ByteView in, Capsule& out) {
  const VarintResult type = decode_varint(in);
  if (!type.complete()) return Parse::kNeedMore;
  const VarintResult length = decode_varint(in.subspan(type.size));
  if (!length.complete()) return Parse::kNeedMore;
  out = {type.value, length.value, type.size + length.size};
  return Parse::kOk;
}

bool parse_close_session(ByteView payload, CloseSession& out) {
  if (payload.size() < 4 || payload.size() - 4 > kMaxCloseReasonBytes) return false;
  out.code = (uint32_t{payload[0]} << 24) | (uint32_t{payload[1]} << 16) |
             (uint32_t{payload[2]} << 8) | uint32_t{payload[3]};
  out.reason = {reinterpret_cast<const char*>(payload.data()) + 4, payload.size() - 4};
  return true;
}

void append_close_session_data_frame(Bytes& out, uint32_t code, std::string_view reason) {
  reason = reason.substr(0, kMaxCloseReasonBytes);
  const uint64_t capsule_length = 4 + reason.size();
  const uint64_t data_length = varint_size(capsule_type::kCloseWebTransportSession) +
                               varint_size(capsule_length) + capsule_length;
  append_frame_header(out, frame_type::kData, data_length);
  append_varint(out, capsule_type::kCloseWebTransportSession);
  append_varint(out, capsule_length);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(code >> shift));
  out.insert(out.end(), reason.begin(), reason.end());
}

void append_drain_session_data_frame(Bytes& out) {
  append_frame_header(out, frame_type::kData,
                      varint_size(capsule_type::kDrainWebTransportSession) + 1);
  append_varint(out, capsule_type::kDrainWebTransportSession);
  append_varint(out, 0);
}

void append_qpack_integer(Bytes& out, uint8_t first_byte, int prefix_bits, uint64_t value) {
  const uint64_t max_prefix = (uint64_t{1} << prefix_bits) - 1;
  if (value < max_prefix) {
    out.push_back(static_cast<uint8_t>(first_byte | value));
    return;
  }
  out.push_back(static_cast<uint8_t>(first_byte | max_prefix));
  value -= max_prefix;
  while (value >= 0x80) {
    out.push_back(static_cast<uint8_t>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<uint8_t>(value));
}

namespace {

// QPACK static table indices (RFC 9204 Appendix A) used below.
constexpr uint64_t kStaticAuthority = 0;
constexpr uint64_t kStaticPath = 1;
constexpr uint64_t kStaticMethodConnect = 15;
constexpr uint64_t kStaticSchemeHttps = 23;
constexpr uint64_t kStaticStatus = 24;  // ":status: 103", used as a name reference
constexpr uint64_t kStaticOrigin = 90;

// Static-table index holding ":status: <status>", or 0 if the table has no such entry.
uint64_t static_status_index(int status) {
  switch (status) {
    case 200:
      return 25;
    case 404:
      return 27;
    case 503:
      return 28;
    case 400:
      return 67;
    case 403:
      return 68;
    case 500:
      return 71;
    default:
      return 0;
  }
}

void append_indexed_static(Bytes& out, uint64_t index) {
  append_qpack_integer(out, 0xc0, 6, index);  // 1 T=1 index(6+)
}

void append_string(Bytes& out, std::string_view text) {
  append_qpack_integer(out, 0x00, 7, text.size());  // H=0 length(7+)
  out.insert(out.end(), text.begin(), text.end());
}

void append_literal_static_name(Bytes& out, uint64_t name_index, std::string_view value) {
  append_qpack_integer(out, 0x50, 4, name_index);  // 0 1 N=0 T=1 index(4+)
  append_string(out, value);
}

void append_literal_name(Bytes& out, std::string_view name, std::string_view value) {
  append_qpack_integer(out, 0x20, 3, name.size());  // 0 0 1 N=0 H=0 length(3+)
  out.insert(out.end(), name.begin(), name.end());
  append_string(out, value);
}

void append_headers_frame(Bytes& out, const Bytes& field_section) {
  append_frame(out, frame_type::kHeaders, field_section);
}

}  // namespace

void append_connect_response_headers_frame(Bytes& out, int status) {
  Bytes block = {0x00, 0x00};  // Required Insert Count 0, Delta Base 0
  if (const uint64_t index = static_status_index(status); index != 0) {
    append_indexed_static(block, index);
  } else {
    char digits[3] = {static_cast<char>('0' + status / 100 % 10),
                      static_cast<char>('0' + status / 10 % 10),
                      static_cast<char>('0' + status % 10)};
    append_literal_static_name(block, kStaticStatus, {digits, 3});
  }
  if (status >= 200 && status < 300) {
    append_literal_name(block, "sec-webtransport-http3-draft", "draft02");
  }
  append_headers_frame(out, block);
}

void append_connect_request_headers_frame(Bytes& out, std::string_view authority,
                                          std::string_view path, std::string_view origin) {
  Bytes block = {0x00, 0x00};
  append_indexed_static(block, kStaticMethodConnect);
  append_literal_name(block, ":protocol", "webtransport");
  append_indexed_static(block, kStaticSchemeHttps);
  append_literal_static_name(block, kStaticAuthority, authority);
  append_literal_static_name(block, kStaticPath, path);
  if (!origin.empty()) append_literal_static_name(block, kStaticOrigin, origin);
  append_literal_name(block, "sec-webtransport-http3-draft02", "1");
  append_headers_frame(out, block);
}

void append_webtransport_stream_header(Bytes& out, bool bidirectional, uint64_t session_id) {
  append_varint(out,
                bidirectional ? stream_type::kWebTransportBidi : stream_type::kWebTransportUni);
  append_varint(out, session_id);
}

}  // namespace vc::h3
