#include "http_join.hpp"

#include <openssl/evp.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <nlohmann/json.hpp>

namespace vc::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::optional<std::vector<uint8_t>> decode_base64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<uint8_t> out(text.size() / 4 * 3);
  const int size = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                   static_cast<int>(text.size()));
  if (size < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding as zero bytes.
  std::size_t padding = 0;
  for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it) ++padding;
  out.resize(static_cast<std::size_t>(size) - padding);
  return out;
}

// "webtransport": {"url": "https://HOST:PORT/wt", "certificate_hashes": ["<base64>", ...]}.
// Anything unusable is ignored: the client then simply has no WebTransport to offer.
std::optional<WebTransportEndpoint> parse_webtransport(const nlohmann::json& json) {
  if (!json.contains("webtransport") || !json["webtransport"].is_object()) return std::nullopt;
  const auto& wt = json["webtransport"];
  if (!wt.contains("url") || !wt["url"].is_string()) return std::nullopt;
  WebTransportEndpoint endpoint;
  endpoint.url = wt["url"].get<std::string>();
  if (wt.contains("certificate_hashes") && wt["certificate_hashes"].is_array()) {
    for (const auto& hash : wt["certificate_hashes"]) {
      if (!hash.is_string()) continue;
      auto digest = decode_base64(hash.get<std::string>());
      if (digest && digest->size() == 32) endpoint.certificate_sha256.push_back(std::move(*digest));
    }
  }
  return endpoint;
}

}  // namespace

// A deployment lists its other nodes; more than this is not a list we should dial through.
constexpr std::size_t kMaxAlternateServers = 16;

std::variant<JoinGrant, ClientError> parse_join_response(unsigned status, const std::string& body) {
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status != 200) {
    std::string message = "join refused (HTTP " + std::to_string(status) + ")";
    if (json.is_object() && json.contains("error") && json["error"].is_object()) {
      const auto& error = json["error"];
      if (error.contains("message") && error["message"].is_string()) {
        message += ": " + error["message"].get<std::string>();
      }
    }
    // 429: come back later (the client retries). Other 4xx: the server understood and said no.
    // 5xx: it is not able to serve us right now.
    if (status == 429) return ClientError{ErrorKind::kServerClosed, 4429, message};
    const ErrorKind kind =
        status >= 400 && status < 500 ? ErrorKind::kRefused : ErrorKind::kUnreachable;
    return ClientError{kind, status, message};
  }
  if (!json.is_object() || !json.contains("token") || !json["token"].is_string()) {
    return ClientError{ErrorKind::kProtocol, status, "join response has no token"};
  }
  JoinGrant grant;
  grant.token = json["token"].get<std::string>();
  if (json.contains("participant_id") && json["participant_id"].is_number_unsigned()) {
    grant.participant_id = json["participant_id"].get<uint64_t>();
  }
  if (json.contains("role") && json["role"].is_string())
    grant.role = json["role"].get<std::string>();
  if (json.contains("expires_at") && json["expires_at"].is_number_integer()) {
    grant.expires_at = json["expires_at"].get<int64_t>();
  }
  if (json.contains("ws_url") && json["ws_url"].is_string()) {
    grant.ws_path = json["ws_url"].get<std::string>();
  }
  grant.webtransport = parse_webtransport(json);
  if (json.contains("alternate_servers") && json["alternate_servers"].is_array()) {
    for (const auto& url : json["alternate_servers"]) {
      if (url.is_string() && grant.alternate_servers.size() < kMaxAlternateServers) {
        grant.alternate_servers.push_back(url.get<std::string>());
      }
    }
  }
  return grant;
}

namespace {

template <class Stream>
asio::awaitable<std::variant<JoinGrant, ClientError>> post_join(Stream& stream,
                                                                const ServerUrl& server,
                                                                const std::string& target,
                                                                const std::string& body,
                                                                const std::string& bearer) {
  const auto token = asio::as_tuple(asio::use_awaitable);
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, server.host_header());
  request.set(http::field::user_agent, "libvideocall/0.1");
  request.set(http::field::content_type, "application/json");
  if (!bearer.empty()) request.set(http::field::authorization, "Bearer " + bearer);
  request.body() = body;
  request.prepare_payload();
  auto [write_error, written] = co_await http::async_write(stream, request, token);
  if (write_error) {
    co_return ClientError{ErrorKind::kUnreachable, 0,
                          "join request failed: " + write_error.message()};
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  auto [read_error, read] = co_await http::async_read(stream, buffer, response, token);
  if (read_error) {
    co_return ClientError{ErrorKind::kUnreachable, 0,
                          "join response failed: " + read_error.message()};
  }
  co_return parse_join_response(response.result_int(), response.body());
}

// POSTs `body` to `target` and parses the answer as a join response.
asio::awaitable<std::variant<JoinGrant, ClientError>> post_for_grant(
    asio::any_io_executor executor, const ServerUrl& server, const std::string& target,
    const std::string& body, const std::string& bearer, const HttpOptions& options) {
  const auto token = asio::as_tuple(asio::use_awaitable);

  tcp::resolver resolver(executor);
  auto [resolve_error, endpoints] =
      co_await resolver.async_resolve(server.host, std::to_string(server.port), token);
  if (resolve_error) {
    co_return ClientError{ErrorKind::kUnreachable, 0,
                          "cannot resolve " + server.host + ": " + resolve_error.message()};
  }
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_after(options.timeout);
  auto [connect_error, endpoint] = co_await tcp_stream.async_connect(endpoints, token);
  if (connect_error) {
    co_return ClientError{
        ErrorKind::kUnreachable, 0,
        "cannot connect to " + server.host_header() + ": " + connect_error.message()};
  }
  if (!server.secure) co_return co_await post_join(tcp_stream, server, target, body, bearer);

  ssl::context tls(ssl::context::tls_client);
  boost::system::error_code ec;
  tls.set_default_verify_paths(ec);
  if (!options.tls_ca_file.empty()) tls.load_verify_file(options.tls_ca_file, ec);
  if (ec) co_return ClientError{ErrorKind::kBadArgument, 0, "cannot load CA file: " + ec.message()};
  tls.set_verify_mode(options.tls_verify ? ssl::verify_peer : ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), tls);
  SSL_set_tlsext_host_name(tls_stream.native_handle(), server.host.c_str());
  if (options.tls_verify) tls_stream.set_verify_callback(ssl::host_name_verification(server.host));
  auto [handshake_error] = co_await tls_stream.async_handshake(ssl::stream_base::client, token);
  if (handshake_error) {
    co_return ClientError{ErrorKind::kUnreachable, 0,
                          "TLS handshake failed: " + handshake_error.message()};
  }
  co_return co_await post_join(tls_stream, server, target, body, bearer);
}

}  // namespace

asio::awaitable<std::variant<JoinGrant, ClientError>> http_join(asio::any_io_executor executor,
                                                                const ServerUrl& server,
                                                                const std::string& meeting_id,
                                                                const std::string& display_name,
                                                                const HttpOptions& options) {
  const std::string target =
      server.base_path + "/api/v1/meetings/" + url_encode(meeting_id) + "/join";
  const std::string body = nlohmann::json{{"display_name", display_name}}.dump();
  co_return co_await post_for_grant(executor, server, target, body, "", options);
}

asio::awaitable<std::variant<JoinGrant, ClientError>> http_renew_token(
    asio::any_io_executor executor, const ServerUrl& server, const std::string& meeting_id,
    const std::string& room_token, const HttpOptions& options) {
  const std::string target =
      server.base_path + "/api/v1/meetings/" + url_encode(meeting_id) + "/token";
  co_return co_await post_for_grant(executor, server, target, "{}", room_token, options);
}

}  // namespace vc::client
