// Drives a client-role HTTP/3 connection (what the libvideocall WebTransport client runs) with a
// fuzzer-chosen sequence of server stream data, resets, closes and datagrams after it sent its
// CONNECT: the server's control stream and SETTINGS, the HEADERS response (QPACK), capsules on
// the CONNECT stream, WebTransport stream headers, and the length-prefixed envelope records the
// client reads from session streams. Checks that no input crashes it and that once it reports an
// error it stays failed and quiet.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "common/limits.hpp"
#include "net/h3/connection.hpp"
#include "net/h3/record_reader.hpp"
#include "protocol/envelope.hpp"

namespace {

using namespace vc::h3;

struct ClientTransport : H3Transport {
  int64_t next_bidi = 0;  // client-initiated ids
  int64_t next_uni = 2;
  std::optional<uint64_t> closed_with;
  std::size_t writes_after_close = 0;
  std::optional<int64_t> open_stream(bool bidirectional) override {
    int64_t& next = bidirectional ? next_bidi : next_uni;
    const int64_t id = next;
    next += 4;
    return id;
  }
  bool write_stream(int64_t, ByteView, bool) override {
    if (closed_with) ++writes_after_close;
    return true;
  }
  void stop_sending(int64_t, uint64_t) override {}
  void reset_stream(int64_t, uint64_t) override {}
  bool send_datagram(ByteView, ByteView) override { return true; }
  void close_connection(uint64_t code, std::string_view) override {
    if (closed_with) __builtin_trap();  // closed twice
    closed_with = code;
  }
};

// Like WebTransportConnection: opens its control stream once established and reads records.
struct RecordingClient : SessionHandler {
  Connection* connection = nullptr;
  std::optional<int64_t> control_stream;
  std::unordered_map<int64_t, RecordReader> readers;
  vc::DecodedEnvelope decoded;
  ConnectDecision on_connect_request(const RequestHeaders&) override {
    __builtin_trap();  // a client never receives a CONNECT request
  }
  void on_session_established(uint64_t) override {
    if (connection != nullptr) control_stream = connection->open_webtransport_stream(true);
  }
  void on_session_rejected(int) override {}
  void on_session_closed(uint32_t, std::string_view) override {}
  void on_session_draining() override {}
  void on_stream_data(int64_t stream_id, ByteView data, bool fin) override {
    const bool control = control_stream && *control_stream == stream_id;
    const std::size_t limit =
        control ? vc::limits::kMaxControlBytes : vc::limits::kMaxEnvelopeBytes;
    auto it = readers.try_emplace(stream_id, RecordReader(limit)).first;
    it->second.feed(data, fin, [&](ByteView record) {
      (void)vc::decode_envelope(record, limit, decoded);
      return true;
    });
  }
  void on_stream_reset(int64_t stream_id, uint64_t) override { readers.erase(stream_id); }
  void on_datagram(ByteView payload) override {
    (void)vc::decode_envelope(payload, vc::limits::kMaxEnvelopeBytes, decoded);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  ClientTransport transport;
  RecordingClient client;
  ConnectionLimits limits;
  limits.max_tracked_streams = 16;
  Connection connection(Role::kClient, transport, client, {}, limits);
  client.connection = &connection;
  connection.on_handshake_completed();
  if (!connection.start_session("127.0.0.1:4433", "/wt?token=t", "https://example.test")) {
    __builtin_trap();  // the CONNECT goes on stream 0
  }
  // Event encoding: [op][stream index][length][bytes...]. Index bits 0-1 pick the stream kind:
  // 0 the CONNECT stream (0) and our other bidi streams, 1 server uni (3, 7, ...), 2 server bidi
  // (1, 5, ...), 3 our uni streams (2, 6, ...); bits 2-3 pick which one.
  std::size_t pos = 0;
  while (pos + 3 <= size) {
    const uint8_t op = data[pos];
    const int64_t index = data[pos + 1] & 0x0f;
    static constexpr int64_t kLowBits[] = {0, 3, 1, 2};
    const int64_t stream_id = (index >> 2) * 4 + kLowBits[index & 3];
    std::size_t length = data[pos + 2];
    pos += 3;
    if (length > size - pos) length = size - pos;
    const ByteView bytes(data + pos, length);
    pos += length;
    switch (op % 5) {
      case 0:
        connection.on_stream_data(stream_id, bytes, false);
        break;
      case 1:
        connection.on_stream_data(stream_id, bytes, true);
        break;
      case 2:
        connection.on_datagram(bytes);
        break;
      case 3:
        connection.on_stream_reset(stream_id, length);
        break;
      case 4:
        connection.on_stream_closed(stream_id);
        break;
    }
  }
  if (transport.closed_with && connection.error() == H3Error::kNone) __builtin_trap();
  if (transport.writes_after_close > 0) __builtin_trap();
  return 0;
}
