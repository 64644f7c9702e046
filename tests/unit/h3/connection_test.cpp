#include "net/h3/connection.hpp"

#include <gtest/gtest.h>

#include "fake_transport.hpp"
#include "net/h3/varint.hpp"

namespace vc::h3 {
namespace {

using testing::FakeTransport;
using testing::RecordingHandler;

// Stream ids as a client uses them: client bidi 0, 4, 8...; client uni 2, 6, 10...
constexpr int64_t kConnectStream = 0;
constexpr int64_t kClientControl = 2;
constexpr int64_t kClientQpackEncoder = 6;
constexpr int64_t kClientWtUni = 10;
constexpr int64_t kClientWtBidi = 4;

Bytes client_control_stream_with_grease() {
  Bytes out;
  append_varint(out, stream_type::kControl);
  Bytes settings;
  for (const auto& [id, value] :
       {std::pair<uint64_t, uint64_t>{0x33, 1}, {0x2b603742, 1}, {0x1f * 99 + 0x21, 7}}) {
    append_varint(settings, id);
    append_varint(settings, value);
  }
  append_frame(out, frame_type::kSettings, settings);
  append_frame(out, 0x1f * 5 + 0x21, Bytes{1, 2, 3});  // GREASE frame
  return out;
}

Bytes connect_request(std::string_view path) {
  Bytes out;
  append_connect_request_headers_frame(out, "127.0.0.1:4433", path, "http://127.0.0.1:8080");
  return out;
}

struct ServerFixture : ::testing::Test {
  FakeTransport transport;
  RecordingHandler handler;
  Connection connection{Role::kServer, transport, handler};

  void open_session(std::string_view path = "/wt?token=good") {
    connection.on_handshake_completed();
    connection.on_stream_data(kClientControl, client_control_stream_with_grease(), false);
    connection.on_stream_data(kConnectStream, connect_request(path), false);
  }
  // Decodes the :status the server wrote on `stream`.
  std::string response_status(int64_t stream) {
    const Bytes& bytes = transport.written[stream];
    FrameHeader header;
    EXPECT_EQ(parse_frame_header(bytes, header), Parse::kOk);
    HeaderDecoder decoder(4096);
    RequestHeaders decoded;
    EXPECT_EQ(
        decoder.decode(stream, ByteView(bytes).subspan(header.header_size, header.length), decoded),
        H3Error::kNone);
    return decoded.status;
  }
};

TEST_F(ServerFixture, HandshakeOpensControlStreamWithSettings) {
  connection.on_handshake_completed();
  Bytes expected;
  append_control_stream_preamble(expected, 1);
  EXPECT_EQ(transport.written[3], expected);  // first server uni stream
}

TEST_F(ServerFixture, AcceptsConnectAndParsesGreasyControlStream) {
  open_session();
  EXPECT_FALSE(transport.closed_with.has_value());
  EXPECT_TRUE(connection.peer_settings_received());
  EXPECT_TRUE(connection.peer_settings().supports_webtransport());
  ASSERT_TRUE(handler.established.has_value());
  EXPECT_EQ(*handler.established, 0u);
  EXPECT_EQ(response_status(kConnectStream), "200");
  EXPECT_FALSE(transport.fin[kConnectStream]);  // the CONNECT stream stays open
}

TEST_F(ServerFixture, BadConnectsGetHttpStatusAndNoSession) {
  connection.on_handshake_completed();
  connection.on_stream_data(0, connect_request("/nope?token=good"), false);
  connection.on_stream_data(4, connect_request("/wt"), false);
  connection.on_stream_data(8, connect_request("/wt?token=bad"), false);
  handler.policy.allowed_origins = {"https://other.example"};
  connection.on_stream_data(12, connect_request("/wt?token=good"), false);
  EXPECT_EQ(response_status(0), "404");
  EXPECT_EQ(response_status(4), "401");
  EXPECT_EQ(response_status(8), "401");
  EXPECT_EQ(response_status(12), "403");
  for (const int64_t id : {0, 4, 8, 12}) EXPECT_TRUE(transport.fin[id]);
  EXPECT_FALSE(handler.established.has_value());
  EXPECT_FALSE(transport.closed_with.has_value());  // an HTTP error, not a connection error
}

TEST_F(ServerFixture, SecondSessionOnTheConnectionIsRefused) {
  open_session();
  connection.on_stream_data(4, connect_request("/wt?token=good"), false);
  EXPECT_EQ(response_status(4), "429");
  EXPECT_EQ(handler.requests.size(), 1u);
}

TEST_F(ServerFixture, DemuxesWebTransportStreamsAndDatagrams) {
  open_session();
  Bytes uni = {0x40, 0x54, 0x00, 'u', 'n'};
  connection.on_stream_data(kClientWtUni, ByteView(uni).first(2), false);  // split header
  connection.on_stream_data(kClientWtUni, ByteView(uni).subspan(2), true);
  Bytes bidi = {0x40, 0x41, 0x00, 'b', 'i'};
  connection.on_stream_data(kClientWtBidi, bidi, false);
  Bytes qpack = {0x02, 0x3f, 0xe1, 0x1f};  // encoder stream: drained
  connection.on_stream_data(kClientQpackEncoder, qpack, false);
  connection.on_datagram(Bytes{0x00, 'd', 'g'});
  connection.on_datagram(Bytes{0x01, 'x'});  // another session: dropped
  EXPECT_EQ(handler.stream_data[kClientWtUni], (Bytes{'u', 'n'}));
  EXPECT_TRUE(handler.stream_fin[kClientWtUni]);
  EXPECT_EQ(handler.stream_data[kClientWtBidi], (Bytes{'b', 'i'}));
  ASSERT_EQ(handler.datagrams.size(), 1u);
  EXPECT_EQ(handler.datagrams[0], (Bytes{'d', 'g'}));
  EXPECT_FALSE(transport.closed_with.has_value());
}

TEST_F(ServerFixture, UnknownUniStreamTypeGetsStopSending) {
  open_session();
  Bytes grease_stream;
  append_varint(grease_stream, 0x1f * 3 + 0x21);
  grease_stream.push_back(9);
  connection.on_stream_data(14, grease_stream, false);
  ASSERT_EQ(transport.stop_sending_calls.size(), 1u);
  EXPECT_EQ(
      transport.stop_sending_calls[0],
      (std::pair<int64_t, uint64_t>{14, static_cast<uint64_t>(H3Error::kStreamCreationError)}));
  EXPECT_FALSE(transport.closed_with.has_value());
}

TEST_F(ServerFixture, StreamForUnknownSessionIsRejected) {
  open_session();
  connection.on_stream_data(kClientWtUni, Bytes{0x40, 0x54, 0x08, 'x'}, false);
  EXPECT_TRUE(handler.stream_data.empty());
  ASSERT_EQ(transport.stop_sending_calls.size(), 1u);
}

TEST_F(ServerFixture, CloseCapsuleEndsSessionAndServerFinishes) {
  open_session();
  Bytes data;
  append_close_session_data_frame(data, 7, "bye");
  connection.on_stream_data(kConnectStream, data, true);
  ASSERT_TRUE(handler.closed.has_value());
  EXPECT_EQ(handler.closed->first, 7u);
  EXPECT_EQ(handler.closed->second, "bye");
  EXPECT_TRUE(transport.fin[kConnectStream]);
}

TEST_F(ServerFixture, ServerCloseSendsCapsuleAndFin) {
  open_session();
  const std::size_t before = transport.written[kConnectStream].size();
  connection.close_session(4503, "shutting down");
  Bytes expected;
  append_close_session_data_frame(expected, 4503, "shutting down");
  EXPECT_EQ(Bytes(transport.written[kConnectStream].begin() + static_cast<long>(before),
                  transport.written[kConnectStream].end()),
            expected);
  EXPECT_TRUE(transport.fin[kConnectStream]);
}

TEST_F(ServerFixture, OpensWebTransportStreamsWithHeadersAndPrefixesDatagrams) {
  open_session();
  const std::optional<int64_t> uni = connection.open_webtransport_stream(false);
  ASSERT_TRUE(uni.has_value());
  EXPECT_EQ(transport.written[*uni], (Bytes{0x40, 0x54, 0x00}));
  ASSERT_TRUE(connection.send_datagram(Bytes{'a'}));
  EXPECT_EQ(transport.datagrams.back(), (Bytes{0x00, 'a'}));
}

// Each malformed input closes the connection with the RFC 9114 error code.
struct MalformedCase {
  const char* name;
  int64_t stream;
  Bytes bytes;
  bool fin;
  H3Error expected;
};

class MalformedInput : public ServerFixture, public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(MalformedInput, ClosesConnectionWithTheRightCode) {
  connection.on_handshake_completed();
  const MalformedCase& c = GetParam();
  connection.on_stream_data(c.stream, c.bytes, c.fin);
  ASSERT_TRUE(transport.closed_with.has_value()) << c.name;
  EXPECT_EQ(*transport.closed_with, static_cast<uint64_t>(c.expected)) << c.name;
  EXPECT_EQ(connection.error(), c.expected);
  // Nothing more is processed once the connection failed.
  connection.on_stream_data(kConnectStream, connect_request("/wt?token=good"), false);
  EXPECT_FALSE(handler.established.has_value());
}

Bytes control_with(std::initializer_list<Bytes> frames) {
  Bytes out{0x00};
  for (const Bytes& frame : frames) out.insert(out.end(), frame.begin(), frame.end());
  return out;
}
Bytes frame(uint64_t type, Bytes payload) {
  Bytes out;
  append_frame(out, type, payload);
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    H3, MalformedInput,
    ::testing::Values(
        MalformedCase{"first frame not SETTINGS", kClientControl,
                      control_with({frame(frame_type::kGoaway, {0})}), false,
                      H3Error::kMissingSettings},
        MalformedCase{"GREASE before SETTINGS", kClientControl,
                      control_with({frame(0x21, {}), frame(frame_type::kSettings, {})}), false,
                      H3Error::kMissingSettings},
        MalformedCase{
            "second SETTINGS", kClientControl,
            control_with({frame(frame_type::kSettings, {}), frame(frame_type::kSettings, {})}),
            false, H3Error::kFrameUnexpected},
        MalformedCase{"DATA on control stream", kClientControl,
                      control_with({frame(frame_type::kSettings, {}), frame(0x00, {1})}), false,
                      H3Error::kFrameUnexpected},
        MalformedCase{"truncated SETTINGS", kClientControl,
                      control_with({frame(frame_type::kSettings, {0x33})}), false,
                      H3Error::kFrameError},
        MalformedCase{"duplicate setting", kClientControl,
                      control_with({frame(frame_type::kSettings, {0x33, 1, 0x33, 1})}), false,
                      H3Error::kSettingsError},
        MalformedCase{"control stream closed", kClientControl,
                      control_with({frame(frame_type::kSettings, {})}), true,
                      H3Error::kClosedCriticalStream},
        MalformedCase{"HTTP/2 frame type on request", kConnectStream, frame(0x02, {0}), false,
                      H3Error::kFrameUnexpected},
        MalformedCase{"DATA before HEADERS", kConnectStream, frame(0x00, {1}), false,
                      H3Error::kFrameUnexpected},
        MalformedCase{"bad QPACK", kConnectStream, frame(frame_type::kHeaders, {0x05, 0x00, 0xff}),
                      false, H3Error::kQpackDecompressionFailed},
        MalformedCase{"push stream from client", 2, Bytes{0x01}, false,
                      H3Error::kStreamCreationError}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& ch : name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

TEST_F(ServerFixture, SecondControlStreamIsStreamCreationError) {
  connection.on_stream_data(2, control_with({frame(frame_type::kSettings, {})}), false);
  connection.on_stream_data(6, Bytes{0x00}, false);
  ASSERT_TRUE(transport.closed_with.has_value());
  EXPECT_EQ(*transport.closed_with, static_cast<uint64_t>(H3Error::kStreamCreationError));
}

TEST_F(ServerFixture, MalformedCloseCapsuleIsMessageError) {
  open_session();
  Bytes capsule;
  append_varint(capsule, capsule_type::kCloseWebTransportSession);
  append_varint(capsule, 2);
  capsule.push_back(0);
  capsule.push_back(0);
  connection.on_stream_data(kConnectStream, frame(frame_type::kData, capsule), false);
  ASSERT_TRUE(transport.closed_with.has_value());
  EXPECT_EQ(*transport.closed_with, static_cast<uint64_t>(H3Error::kMessageError));
}

TEST_F(ServerFixture, TruncatedDatagramIsDatagramError) {
  open_session();
  connection.on_datagram(Bytes{0x40});
  ASSERT_TRUE(transport.closed_with.has_value());
  EXPECT_EQ(*transport.closed_with, static_cast<uint64_t>(H3Error::kDatagramError));
}

// Client role against a server-role connection, wired back to back.
TEST(ClientServer, ClientEstablishesSessionThroughServer) {
  FakeTransport client_transport;
  client_transport.server = false;
  RecordingHandler client_handler;
  Connection client(Role::kClient, client_transport, client_handler);
  FakeTransport server_transport;
  RecordingHandler server_handler;
  Connection server(Role::kServer, server_transport, server_handler);

  client.on_handshake_completed();
  server.on_handshake_completed();
  ASSERT_TRUE(client.start_session("localhost:1", "/wt?token=good", "null"));
  for (const auto& [id, bytes] : client_transport.written) server.on_stream_data(id, bytes, false);
  for (const auto& [id, bytes] : server_transport.written) client.on_stream_data(id, bytes, false);
  ASSERT_TRUE(client_handler.established.has_value());
  EXPECT_TRUE(server_handler.established.has_value());
  EXPECT_TRUE(client.peer_settings().supports_webtransport());
  EXPECT_TRUE(server.peer_settings().supports_webtransport());
  EXPECT_FALSE(client_transport.closed_with.has_value());
  EXPECT_FALSE(server_transport.closed_with.has_value());
}

TEST(ClientServer, ClientSeesRejection) {
  FakeTransport client_transport;
  client_transport.server = false;
  RecordingHandler client_handler;
  Connection client(Role::kClient, client_transport, client_handler);
  client.on_handshake_completed();
  ASSERT_TRUE(client.start_session("localhost:1", "/wt?token=bad", ""));
  Bytes response;
  append_connect_response_headers_frame(response, 401);
  client.on_stream_data(0, response, true);
  ASSERT_TRUE(client_handler.rejected.has_value());
  EXPECT_EQ(*client_handler.rejected, 401);
}

}  // namespace
}  // namespace vc::h3
