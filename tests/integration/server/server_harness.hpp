// Test harness for videocall-server integration tests: runs the real binary on a free loopback
// port with a fresh data dir, and offers blocking HTTP and WebSocket clients with timeouts.
// Every wait is for an event (a line, a message, a close) with a deadline, never a sleep.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "proto/videocall.pb.h"

namespace vc::test {

namespace v1 = ::videocall::v1;
using namespace std::chrono_literals;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `binary args...` to completion (for --help and bad-argument checks).
CommandResult run_command(const std::string& binary, const std::vector<std::string>& args);

struct ServerOptions {
  bool quic = false;  // default: --no-quic
  // Tests join from loopback faster than the join rate limit: pass --join-rate-exempt 127.0.0.1.
  bool exempt_loopback_from_join_rate = true;
  // Create the data dir with this mode before the server starts (as an existing installation).
  std::optional<unsigned> existing_data_dir_mode;
};

class ServerProcess {
 public:
  // Starts the server and waits for its ready line. extra_args are appended.
  explicit ServerProcess(std::vector<std::string> extra_args = {}, ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running();  // not exited yet
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& web_root() const { return web_root_; }
  // Sends SIGTERM and waits for the exit status (nullopt on timeout).
  std::optional<int> terminate(std::chrono::milliseconds timeout = 10s);
  void send_sigterm();
  // Waits for the process to exit (SIGKILL and nullopt after `timeout`).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string stderr_text() const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path web_root_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string allow_origin;  // Access-Control-Allow-Origin
  std::vector<std::pair<std::string, std::string>> headers;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  std::string header(std::string_view name) const;  // first value, case-insensitive; "" if absent
};

// A request with full control over its headers (nothing is added but Host and Content-Length).
struct HttpCall {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};
HttpResult http_call(uint16_t port, const HttpCall& call);

// Writes `bytes` as they are and returns everything the server sends until it closes (or 10 s).
std::string raw_exchange(uint16_t port, const std::string& bytes);

HttpResult http_request(uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body = {}, const std::string& authorization = {},
                        const std::string& origin = {});

struct JoinInfo {
  std::string token;
  uint64_t participant_id = 0;
  std::string role;
};
JoinInfo join_meeting(uint16_t port, const std::string& meeting_id, const std::string& name);

class WsClient {
 public:
  struct Message {
    v1::Envelope envelope;
    std::string raw;
  };

  // Connects and completes the WebSocket upgrade to `target` (e.g. "/ws?token=...").
  WsClient(uint16_t port, const std::string& target);

  void send_raw(const std::string& bytes, bool binary = true);
  void send(const v1::Envelope& envelope);
  void send_hello(bool receive_only = false,
                  std::optional<v1::SubscriptionDefaults> subscriptions = std::nullopt);
  void send_media(v1::MediaKind kind, const std::string& payload, uint64_t forged_sender = 0,
                  uint32_t sequence = 0);
  void send_leave();
  // Publishes the track send_media uses for `kind` (1 microphone, 2 camera, 3 screen), once.
  void publish(v1::MediaKind kind);
  static uint32_t track_for(v1::MediaKind kind);

  // Next message, or nullopt on close/timeout (then closed()/close_code() tell which).
  std::optional<Message> read(std::chrono::milliseconds timeout = 5s);
  // Reads until a control message satisfying `pred` arrives (other messages are skipped).
  template <class Pred>
  std::optional<v1::Control> read_control_until(Pred pred, std::chrono::milliseconds timeout = 10s);
  // Reads until a media message arrives, skipping control.
  std::optional<v1::Media> read_media(std::chrono::milliseconds timeout = 5s);
  // Hello, then the JoinAccepted.
  v1::JoinAccepted join(bool receive_only = false,
                        std::optional<v1::SubscriptionDefaults> subscriptions = std::nullopt);
  // Reads until the server closes; returns the close code (0 if none or timeout).
  uint16_t wait_close(std::chrono::milliseconds timeout = 10s);
  // Drops the TCP connection without a close handshake.
  void drop();

  bool closed() const { return closed_; }
  uint16_t close_code() const { return close_code_; }
  std::optional<v1::Error> last_error() const { return last_error_; }
  const std::string& read_error() const { return read_error_; }

 private:
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  bool closed_ = false;
  uint16_t close_code_ = 0;
  std::optional<v1::Error> last_error_;
  std::string read_error_;
  uint32_t published_tracks_ = 0;  // bit per track id
};

template <class Pred>
std::optional<v1::Control> WsClient::read_control_until(Pred pred,
                                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto message = read(left);
    if (!message) return std::nullopt;
    if (message->envelope.has_control() && pred(message->envelope.control())) {
      return message->envelope.control();
    }
  }
  return std::nullopt;
}

}  // namespace vc::test
