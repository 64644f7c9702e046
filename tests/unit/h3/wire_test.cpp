#include "net/h3/wire.hpp"

#include <gtest/gtest.h>

#include <string>

#include "net/h3/header_decoder.hpp"
#include "net/h3/varint.hpp"

namespace vc::h3 {
namespace {

Bytes settings_payload(std::initializer_list<std::pair<uint64_t, uint64_t>> pairs) {
  Bytes out;
  for (const auto& [id, value] : pairs) {
    append_varint(out, id);
    append_varint(out, value);
  }
  return out;
}

TEST(Settings, ChromiumSettingsWithGreaseEnableWebTransport) {
  // What Chromium 156 sends, including a GREASE identifier (0x1f * N + 0x21).
  const Bytes payload = settings_payload({{0x1, 65536},
                                          {0x6, 16384},
                                          {0x7, 100},
                                          {0x33, 1},
                                          {0xffd277, 1},
                                          {0x2b603742, 1},
                                          {0x1f * 1234 + 0x21, 0xdeadbeef}});
  PeerSettings settings;
  ASSERT_EQ(parse_settings(payload, settings), H3Error::kNone);
  EXPECT_TRUE(settings.h3_datagram);
  EXPECT_TRUE(settings.webtransport_draft02);
  EXPECT_TRUE(settings.supports_webtransport());
  EXPECT_EQ(settings.qpack_max_table_capacity, 65536u);
  EXPECT_EQ(settings.max_field_section_size, 16384u);
}

TEST(Settings, RejectsDuplicatesHttp2IdsAndBadBooleans) {
  PeerSettings settings;
  EXPECT_EQ(parse_settings(settings_payload({{0x33, 1}, {0x33, 1}}), settings),
            H3Error::kSettingsError);
  EXPECT_EQ(parse_settings(settings_payload({{0x4, 100}}), settings), H3Error::kSettingsError);
  EXPECT_EQ(parse_settings(settings_payload({{0x8, 2}}), settings), H3Error::kSettingsError);
  Bytes truncated = settings_payload({{0x33, 1}});
  truncated.push_back(0x40);  // identifier varint cut short
  EXPECT_EQ(parse_settings(truncated, settings), H3Error::kFrameError);
  Bytes missing_value;
  append_varint(missing_value, 0x33);
  EXPECT_EQ(parse_settings(missing_value, settings), H3Error::kFrameError);
}

TEST(Settings, OurControlStreamPreamble) {
  Bytes preamble;
  append_control_stream_preamble(preamble, 1);
  ASSERT_GE(preamble.size(), 3u);
  EXPECT_EQ(preamble[0], 0x00);  // control stream type
  FrameHeader header;
  ASSERT_EQ(parse_frame_header(ByteView(preamble).subspan(1), header), Parse::kOk);
  EXPECT_EQ(header.type, frame_type::kSettings);
  ASSERT_EQ(1 + header.header_size + header.length, preamble.size());
  PeerSettings settings;
  ASSERT_EQ(parse_settings(ByteView(preamble).subspan(1 + header.header_size), settings),
            H3Error::kNone);
  EXPECT_TRUE(settings.enable_connect_protocol);
  EXPECT_TRUE(settings.h3_datagram);
  EXPECT_TRUE(settings.webtransport_draft02);
  EXPECT_EQ(settings.webtransport_max_sessions, 1u);
  EXPECT_EQ(settings.qpack_max_table_capacity, 0u);
}

TEST(Capsules, CloseSessionRoundTripMatchesChromiumBytes) {
  // Observed from Chromium: wt.close({closeCode: 0, reason: 'done'}) =
  // DATA frame carrying 68 43 08 00 00 00 00 'done'.
  Bytes frame;
  append_close_session_data_frame(frame, 0, "done");
  const Bytes expected = {0x00, 0x0b, 0x68, 0x43, 0x08, 0, 0, 0, 0, 'd', 'o', 'n', 'e'};
  EXPECT_EQ(frame, expected);
  CloseSession close;
  ASSERT_TRUE(parse_close_session(ByteView(frame).subspan(5), close));
  EXPECT_EQ(close.code, 0u);
  EXPECT_EQ(close.reason, "done");
}

TEST(Capsules, CloseSessionRejectsShortAndOversizedPayloads) {
  CloseSession close;
  const Bytes short_payload = {0, 0, 1};
  EXPECT_FALSE(parse_close_session(short_payload, close));
  Bytes long_payload(4 + kMaxCloseReasonBytes + 1, 'x');
  EXPECT_FALSE(parse_close_session(long_payload, close));
  long_payload.pop_back();
  EXPECT_TRUE(parse_close_session(long_payload, close));
}

// Decodes one HEADERS frame with nghttp3's QPACK decoder to check our hand-encoded bytes.
RequestHeaders decode_headers_frame(const Bytes& frame) {
  FrameHeader header;
  EXPECT_EQ(parse_frame_header(frame, header), Parse::kOk);
  EXPECT_EQ(header.type, frame_type::kHeaders);
  EXPECT_EQ(header.header_size + header.length, frame.size());
  HeaderDecoder decoder(16384);
  RequestHeaders decoded;
  EXPECT_EQ(decoder.decode(0, ByteView(frame).subspan(header.header_size), decoded),
            H3Error::kNone);
  return decoded;
}

TEST(Qpack, ResponseBytesForStatus200AreStaticIndexPlusDraftHeader) {
  Bytes frame;
  append_connect_response_headers_frame(frame, 200);
  // Required Insert Count 0, Base 0, indexed static 25 (":status: 200").
  ASSERT_GE(frame.size(), 5u);
  EXPECT_EQ(frame[2], 0x00);
  EXPECT_EQ(frame[3], 0x00);
  EXPECT_EQ(frame[4], 0xd9);
  // Literal with literal name: 0x27 + continuation 0x15 for the 28-byte name.
  EXPECT_EQ(frame[5], 0x27);
  EXPECT_EQ(frame[6], 0x15);
  EXPECT_EQ(decode_headers_frame(frame).status, "200");
}

TEST(Qpack, ErrorStatusesDecode) {
  for (const int status : {400, 401, 403, 404, 429, 500, 503}) {
    Bytes frame;
    append_connect_response_headers_frame(frame, status);
    EXPECT_EQ(decode_headers_frame(frame).status, std::to_string(status)) << status;
  }
}

TEST(Qpack, ConnectRequestDecodes) {
  Bytes frame;
  append_connect_request_headers_frame(frame, "127.0.0.1:4433", "/wt?token=abc",
                                       "http://127.0.0.1:8080");
  const RequestHeaders decoded = decode_headers_frame(frame);
  EXPECT_EQ(decoded.method, "CONNECT");
  EXPECT_EQ(decoded.protocol, "webtransport");
  EXPECT_EQ(decoded.scheme, "https");
  EXPECT_EQ(decoded.authority, "127.0.0.1:4433");
  EXPECT_EQ(decoded.path, "/wt?token=abc");
  EXPECT_EQ(decoded.origin, "http://127.0.0.1:8080");
}

TEST(Qpack, DynamicTableReferenceFails) {
  // Required Insert Count 1 refers to a dynamic table we never allowed.
  const Bytes section = {0x02, 0x00, 0x80};
  HeaderDecoder decoder(16384);
  RequestHeaders decoded;
  EXPECT_EQ(decoder.decode(0, section, decoded), H3Error::kQpackDecompressionFailed);
}

TEST(StreamHeaders, WebTransportStreamHeaders) {
  Bytes uni;
  append_webtransport_stream_header(uni, false, 0);
  EXPECT_EQ(uni, (Bytes{0x40, 0x54, 0x00}));
  Bytes bidi;
  append_webtransport_stream_header(bidi, true, 4);
  EXPECT_EQ(bidi, (Bytes{0x40, 0x41, 0x04}));
}

}  // namespace
}  // namespace vc::h3
