// Test doubles for the sans-I/O HTTP/3 connection: a transport that records what the H3 layer
// writes, and a handler that records what it reports.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/h3/connection.hpp"

namespace vc::h3::testing {

struct FakeTransport : H3Transport {
  bool server = true;
  int64_t next_bidi = -1;
  int64_t next_uni = -1;
  std::map<int64_t, Bytes> written;
  std::map<int64_t, bool> fin;
  std::vector<std::pair<int64_t, uint64_t>> stop_sending_calls;
  std::vector<std::pair<int64_t, uint64_t>> resets;
  std::vector<Bytes> datagrams;
  std::optional<uint64_t> closed_with;
  int uni_credit = 100;

  std::optional<int64_t> open_stream(bool bidirectional) override {
    int64_t& next = bidirectional ? next_bidi : next_uni;
    if (next < 0) next = (server ? 1 : 0) | (bidirectional ? 0 : 2);
    if (!bidirectional && uni_credit-- <= 0) return std::nullopt;
    const int64_t id = next;
    next += 4;
    return id;
  }
  bool write_stream(int64_t stream_id, ByteView data, bool end) override {
    Bytes& out = written[stream_id];
    out.insert(out.end(), data.begin(), data.end());
    if (end) fin[stream_id] = true;
    return true;
  }
  void stop_sending(int64_t stream_id, uint64_t code) override {
    stop_sending_calls.emplace_back(stream_id, code);
  }
  void reset_stream(int64_t stream_id, uint64_t code) override {
    resets.emplace_back(stream_id, code);
  }
  bool send_datagram(ByteView prefix, ByteView payload) override {
    Bytes datagram(prefix.begin(), prefix.end());
    datagram.insert(datagram.end(), payload.begin(), payload.end());
    datagrams.push_back(std::move(datagram));
    return true;
  }
  void close_connection(uint64_t code, std::string_view) override {
    if (!closed_with) closed_with = code;
  }
};

struct RecordingHandler : SessionHandler {
  std::function<bool(std::string_view)> verify = [](std::string_view t) { return t == "good"; };
  ConnectPolicy policy;
  std::vector<RequestHeaders> requests;
  std::optional<uint64_t> established;
  std::optional<int> rejected;
  std::optional<std::pair<uint32_t, std::string>> closed;
  int draining = 0;
  std::map<int64_t, Bytes> stream_data;
  std::map<int64_t, bool> stream_fin;
  std::vector<std::pair<int64_t, uint64_t>> stream_resets;
  std::vector<Bytes> datagrams;

  ConnectDecision on_connect_request(const RequestHeaders& request) override {
    requests.push_back(request);
    return evaluate_connect(request, policy, verify);
  }
  void on_session_established(uint64_t session_id) override { established = session_id; }
  void on_session_rejected(int status) override { rejected = status; }
  void on_session_closed(uint32_t code, std::string_view reason) override {
    closed.emplace(code, std::string(reason));
  }
  void on_session_draining() override { ++draining; }
  void on_stream_data(int64_t stream_id, ByteView data, bool fin) override {
    Bytes& out = stream_data[stream_id];
    out.insert(out.end(), data.begin(), data.end());
    if (fin) stream_fin[stream_id] = true;
  }
  void on_stream_reset(int64_t stream_id, uint64_t code) override {
    stream_resets.emplace_back(stream_id, code);
  }
  void on_datagram(ByteView payload) override {
    datagrams.emplace_back(payload.begin(), payload.end());
  }
};

}  // namespace vc::h3::testing
