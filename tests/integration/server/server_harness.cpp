#include "server_harness.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace vc::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

std::filesystem::path make_temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "vc-server-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

std::vector<char*> argv_of(const std::string& binary, std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

CommandResult run_command(const std::string& binary, const std::vector<std::string>& args_in) {
  const auto dir = make_temp_dir();
  const auto out_path = dir / "out";
  const auto err_path = dir / "err";
  std::vector<std::string> args = args_in;
  auto argv = argv_of(binary, args);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT, 0600);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  int status = 0;
  ::waitpid(pid, &status, 0);
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  std::filesystem::remove_all(dir);
  return result;
}

ServerProcess::ServerProcess(std::vector<std::string> extra_args, ServerOptions options) {
  dir_ = make_temp_dir();
  data_dir_ = dir_ / "data";
  web_root_ = dir_ / "web";
  std::filesystem::create_directories(web_root_ / "assets");
  std::ofstream(web_root_ / "index.html") << "<!doctype html><title>videocall</title>\n";
  std::ofstream(web_root_ / "assets" / "app-1234.js") << "console.log('hi');\n";
  if (options.existing_data_dir_mode) {
    std::filesystem::create_directories(data_dir_);
    ::chmod(data_dir_.c_str(), *options.existing_data_dir_mode);
  }

  std::vector<std::string> args = {
      "--listen",         "127.0.0.1",  "--port",           "0",           "--data-dir",
      data_dir_.string(), "--web-root", web_root_.string(), "--log-level", "debug"};
  if (!options.quic) args.push_back("--no-quic");
  if (options.exempt_loopback_from_join_rate) {
    args.insert(args.end(), {"--join-rate-exempt", "127.0.0.1"});
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const std::string binary = VC_SERVER_BIN;
  auto argv = argv_of(binary, args);

  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, (dir_ / "stderr.log").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  const int rc = posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    throw std::runtime_error("cannot start " + binary);
  }

  // Wait for "videocall-server listening on http://HOST:PORT\n".
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{out_pipe[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[256];
    const ssize_t n = ::read(out_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<std::size_t>(n));
  }
  ::close(out_pipe[0]);
  const std::string prefix = "videocall-server listening on http://127.0.0.1:";
  if (line.rfind(prefix, 0) != 0) {
    terminate(2s);
    throw std::runtime_error("server did not print its ready line; got '" + line + "'; stderr:\n" +
                             stderr_text());
  }
  port_ = static_cast<uint16_t>(std::stoi(line.substr(prefix.size())));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) terminate(10s);
  // A failed test shows what the server said (VC_TEST_SERVER_LOG=1: every test): a flake on a
  // loaded CI machine is otherwise blind.
  if (::testing::Test::HasFailure() || std::getenv("VC_TEST_SERVER_LOG") != nullptr) {
    const std::string log = stderr_text();
    constexpr std::size_t kTail = 16 * 1024;
    std::cerr << "---- videocall-server stderr (last " << kTail << " bytes) ----\n"
              << (log.size() > kTail ? log.substr(log.size() - kTail) : log) << "---- end ----\n";
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::optional<int> ServerProcess::terminate(std::chrono::milliseconds timeout) {
  send_sigterm();
  return wait_exit(timeout);
}

void ServerProcess::send_sigterm() {
  if (pid_ > 0) ::kill(pid_, SIGTERM);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return std::nullopt;
    }
    // Polling the child's exit is the one place without an event to wait on.
    ::usleep(10'000);
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool ServerProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
  pid_ = -1;
  return false;
}

std::string ServerProcess::stderr_text() const {
  return read_file(dir_ / "stderr.log");
}

HttpResult http_request(uint16_t port, const std::string& method, const std::string& target,
                        const std::string& body, const std::string& authorization,
                        const std::string& origin) {
  HttpCall call{method, target, body, {}};
  if (!authorization.empty()) call.headers.emplace_back("Authorization", authorization);
  if (!origin.empty()) call.headers.emplace_back("Origin", origin);
  if (!body.empty() || method == "POST")
    call.headers.emplace_back("Content-Type", "application/json");
  return http_call(port, call);
}

std::string HttpResult::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

HttpResult http_call(uint16_t port, const HttpCall& call) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(10s);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::string_to_verb(call.method), call.target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : call.headers) req.insert(name, value);
  req.body() = call.body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  http::read(stream, buffer, parser);
  HttpResult result;
  result.status = parser.get().result_int();
  result.body = parser.get().body();
  result.content_type = std::string(parser.get()[http::field::content_type]);
  result.allow_origin = std::string(parser.get()[http::field::access_control_allow_origin]);
  for (const auto& field : parser.get()) {
    result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return result;
}

std::string raw_exchange(uint16_t port, const std::string& bytes) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.expires_after(10s);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(stream, asio::buffer(bytes));
  std::string received;
  beast::error_code ec;
  char chunk[4096];
  while (!ec) {
    const std::size_t n = stream.read_some(asio::buffer(chunk), ec);
    received.append(chunk, n);
  }
  return received;
}

JoinInfo join_meeting(uint16_t port, const std::string& meeting_id, const std::string& name) {
  const auto res = http_request(port, "POST", "/api/v1/meetings/" + meeting_id + "/join",
                                nlohmann::json{{"display_name", name}}.dump());
  if (res.status != 200) throw std::runtime_error("join failed: " + res.body);
  const auto j = res.json();
  return {j.at("token").get<std::string>(), j.at("participant_id").get<uint64_t>(),
          j.at("role").get<std::string>()};
}

WsClient::WsClient(uint16_t port, const std::string& target) : ws_(io_) {
  auto& lowest = beast::get_lowest_layer(ws_);
  lowest.expires_after(10s);
  lowest.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  ws_.handshake("127.0.0.1:" + std::to_string(port), target);
  lowest.expires_never();
  ws_.binary(true);
  ws_.read_message_max(64u << 20);
}

void WsClient::send_raw(const std::string& bytes, bool binary) {
  ws_.binary(binary);
  ws_.write(asio::buffer(bytes));
  ws_.binary(true);
}

void WsClient::send(const v1::Envelope& envelope) {
  send_raw(envelope.SerializeAsString());
}

void WsClient::send_hello(bool receive_only,
                          std::optional<v1::SubscriptionDefaults> subscriptions) {
  v1::Envelope envelope;
  auto* hello = envelope.mutable_control()->mutable_hello();
  hello->set_protocol_version(v1::PROTOCOL_VERSION_1);
  hello->set_client("server-integration-test");
  hello->set_receive_only(receive_only);
  hello->mutable_media_state()->set_mic_on(true);
  hello->mutable_media_state()->set_camera_on(true);
  if (subscriptions) *hello->mutable_subscriptions() = *subscriptions;
  send(envelope);
}

uint32_t WsClient::track_for(v1::MediaKind kind) {
  return kind == v1::MEDIA_KIND_AUDIO ? 1 : kind == v1::MEDIA_KIND_VIDEO ? 2 : 3;
}

void WsClient::publish(v1::MediaKind kind) {
  const uint32_t track_id = track_for(kind);
  if (published_tracks_ & (1u << track_id)) return;
  published_tracks_ |= 1u << track_id;
  v1::Envelope envelope;
  v1::Track* track = envelope.mutable_control()->mutable_publish_track()->mutable_track();
  track->set_track_id(track_id);
  track->set_kind(kind);
  track->set_source(kind == v1::MEDIA_KIND_AUDIO   ? v1::TRACK_SOURCE_MICROPHONE
                    : kind == v1::MEDIA_KIND_VIDEO ? v1::TRACK_SOURCE_CAMERA
                                                   : v1::TRACK_SOURCE_SCREEN);
  track->set_codec(kind == v1::MEDIA_KIND_AUDIO ? v1::CODEC_OPUS : v1::CODEC_VP8);
  send(envelope);
}

void WsClient::send_media(v1::MediaKind kind, const std::string& payload, uint64_t forged_sender,
                          uint32_t sequence) {
  if (kind == v1::MEDIA_KIND_AUDIO || kind == v1::MEDIA_KIND_VIDEO ||
      kind == v1::MEDIA_KIND_SCREEN) {
    publish(kind);  // as a client does before its first frame (docs/PROTOCOL.md §11.1)
  }
  v1::Envelope envelope;
  auto* media = envelope.mutable_media();
  media->mutable_header()->set_kind(kind);
  media->mutable_header()->set_track_id(track_for(kind));
  media->mutable_header()->set_sequence(sequence);
  media->mutable_header()->set_keyframe(true);
  media->mutable_header()->set_codec(kind == v1::MEDIA_KIND_AUDIO ? v1::CODEC_OPUS : v1::CODEC_VP8);
  if (forged_sender != 0) {
    media->mutable_header()->set_sender_participant_id(forged_sender);
    media->mutable_header()->set_sender_session_id(forged_sender);
  }
  media->set_payload(payload);
  send(envelope);
}

void WsClient::send_leave() {
  v1::Envelope envelope;
  envelope.mutable_control()->mutable_leave();
  send(envelope);
}

std::optional<WsClient::Message> WsClient::read(std::chrono::milliseconds timeout) {
  if (closed_) return std::nullopt;
  bool done = false;
  beast::error_code result;
  ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
    done = true;
    result = ec;
  });
  io_.restart();
  io_.run_for(timeout);
  if (!done) {
    beast::get_lowest_layer(ws_).cancel();
    io_.restart();
    io_.run();
    closed_ = true;  // a timed-out stream is not reusable
    read_error_ = "timeout";
    return std::nullopt;
  }
  if (result) {
    closed_ = true;
    read_error_ = result.message();
    if (result == websocket::error::closed) close_code_ = ws_.reason().code;
    return std::nullopt;
  }
  Message message;
  message.raw = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (!message.envelope.ParseFromString(message.raw)) {
    throw std::runtime_error("server sent an unparsable envelope");
  }
  if (message.envelope.has_control() && message.envelope.control().has_error()) {
    last_error_ = message.envelope.control().error();
  }
  return message;
}

std::optional<v1::Media> WsClient::read_media(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto message = read(left);
    if (!message) return std::nullopt;
    if (message->envelope.has_media()) return message->envelope.media();
  }
  return std::nullopt;
}

v1::JoinAccepted WsClient::join(bool receive_only,
                                std::optional<v1::SubscriptionDefaults> subscriptions) {
  send_hello(receive_only, std::move(subscriptions));
  auto control = read_control_until([](const v1::Control& c) { return c.has_join_accepted(); });
  if (!control) throw std::runtime_error("no JoinAccepted");
  return control->join_accepted();
}

uint16_t WsClient::wait_close(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_ && std::chrono::steady_clock::now() < deadline) {
    read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                               std::chrono::steady_clock::now()));
  }
  return close_code_;
}

void WsClient::drop() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(ws_).socket().close(ignored);
  closed_ = true;
}

}  // namespace vc::test
