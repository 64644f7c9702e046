// Helpers shared by the WebTransport integration tests: REST calls (join, /metrics), and the
// WebTransport client options a join response implies.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "server_process.hpp"
#include "webtransport/wt_client.hpp"

namespace vc {

namespace wt_test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

inline nlohmann::json post_json(const testing::ServerProcess& server, const std::string& target,
                                const nlohmann::json& body) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address(server.host()), server.port()));
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, server.host() + ":" + std::to_string(server.port()));
  request.set(http::field::content_type, "application/json");
  request.body() = body.dump();
  request.prepare_payload();
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return nlohmann::json::parse(response.body());
}

inline std::string get_text(const testing::ServerProcess& server, const std::string& target) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address(server.host()), server.port()));
  http::request<http::string_body> request{http::verb::get, target, 11};
  request.set(http::field::host, server.host() + ":" + std::to_string(server.port()));
  http::write(socket, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(socket, buffer, response);
  return response.body();
}

// The value of one unlabelled metric in /metrics, or -1 when it is missing.
inline int64_t metric(const testing::ServerProcess& server, const std::string& name) {
  const std::string text = get_text(server, "/metrics");
  const std::string line_start = "\n" + name + " ";
  const std::size_t at = text.find(line_start);
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + line_start.size()));
}

// Polls /metrics until `done(value)` holds; the server's counters are the events we wait for.
inline bool wait_for_metric(const testing::ServerProcess& server, const std::string& name,
                            const std::function<bool(int64_t)>& done,
                            std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (done(metric(server, name))) return true;
    std::this_thread::sleep_for(50ms);  // poll interval, not a synchronisation
  }
  return false;
}

inline std::vector<uint8_t> base64_decode(const std::string& text) {
  std::vector<uint8_t> out;
  uint32_t accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '+')
      value = 62;
    else if (c == '/')
      value = 63;
    if (value < 0) continue;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>(accumulator >> bits));
    }
  }
  return out;
}

struct Join {
  std::string token;
  uint64_t participant_id = 0;
  nlohmann::json webtransport;
};

inline Join join(const testing::ServerProcess& server, const std::string& meeting,
                 const std::string& name) {
  const nlohmann::json body =
      post_json(server, "/api/v1/meetings/" + meeting + "/join", {{"display_name", name}});
  Join result;
  result.token = body.at("token").get<std::string>();
  result.participant_id = body.at("participant_id").get<uint64_t>();
  if (body.contains("webtransport")) result.webtransport = body.at("webtransport");
  return result;
}

inline wt::ClientOptions wt_options(const testing::ServerProcess& server, const Join& joined,
                                    const std::string& path) {
  wt::ClientOptions options;
  const std::string url = joined.webtransport.at("url").get<std::string>();
  options.host = server.host();
  options.port = static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
  options.path = path;
  for (const auto& hash : joined.webtransport.at("certificate_hashes")) {
    options.certificate_sha256.push_back(base64_decode(hash.get<std::string>()));
  }
  return options;
}

// The microphone (track 1) or camera (track 2), published before media (docs/PROTOCOL.md §11.1).
inline uint32_t track_for(v1::MediaKind kind) {
  return kind == v1::MEDIA_KIND_AUDIO ? 1 : 2;
}
inline v1::Control publish(v1::MediaKind kind) {
  v1::Control control;
  v1::Track* track = control.mutable_publish_track()->mutable_track();
  track->set_track_id(track_for(kind));
  track->set_kind(kind);
  track->set_source(kind == v1::MEDIA_KIND_AUDIO ? v1::TRACK_SOURCE_MICROPHONE
                                                 : v1::TRACK_SOURCE_CAMERA);
  return control;
}

inline v1::Control hello(const char* client) {
  v1::Control control;
  control.mutable_hello()->set_protocol_version(v1::PROTOCOL_VERSION_1);
  control.mutable_hello()->set_client(client);
  return control;
}

}  // namespace wt_test
}  // namespace vc
