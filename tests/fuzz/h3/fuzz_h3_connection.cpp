// Drives a server-role HTTP/3 connection with a fuzzer-chosen sequence of stream data, resets,
// closes and datagrams. Checks that no input crashes it and that once it reports an error it
// stays failed and quiet.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "net/h3/connection.hpp"

namespace {

using namespace vc::h3;

struct NullTransport : H3Transport {
  int64_t next_bidi = 1;
  int64_t next_uni = 3;
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

struct EchoingHandler : SessionHandler {
  Connection* connection = nullptr;
  ConnectDecision on_connect_request(const RequestHeaders& request) override {
    return evaluate_connect(request, {}, [](std::string_view token) { return token == "t"; });
  }
  void on_session_established(uint64_t) override {
    if (connection != nullptr) connection->open_webtransport_stream(false);
  }
  void on_session_rejected(int) override {}
  void on_session_closed(uint32_t, std::string_view) override {}
  void on_session_draining() override {}
  void on_stream_data(int64_t, ByteView, bool) override {}
  void on_stream_reset(int64_t, uint64_t) override {}
  void on_datagram(ByteView payload) override {
    if (connection != nullptr) connection->send_datagram(payload);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  NullTransport transport;
  EchoingHandler handler;
  ConnectionLimits limits;
  limits.max_tracked_streams = 16;
  Connection connection(Role::kServer, transport, handler, {}, limits);
  handler.connection = &connection;
  connection.on_handshake_completed();
  // Event encoding: [op][stream index][length][bytes...]
  std::size_t pos = 0;
  while (pos + 3 <= size) {
    const uint8_t op = data[pos];
    // Client-initiated ids: bidi 0,4,8..., uni 2,6,10...; the low bit of the index picks the kind.
    const int64_t index = data[pos + 1] & 0x0f;
    const int64_t stream_id = (index >> 1) * 4 + ((index & 1) ? 2 : 0);
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
