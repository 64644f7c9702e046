#include "http_join.hpp"

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
  if (json.contains("ws_url") && json["ws_url"].is_string()) {
    grant.ws_path = json["ws_url"].get<std::string>();
  }
  return grant;
}

namespace {

template <class Stream>
asio::awaitable<std::variant<JoinGrant, ClientError>> post_join(Stream& stream,
                                                                const ServerUrl& server,
                                                                const std::string& target,
                                                                const std::string& body) {
  const auto token = asio::as_tuple(asio::use_awaitable);
  http::request<http::string_body> request{http::verb::post, target, 11};
  request.set(http::field::host, server.host_header());
  request.set(http::field::user_agent, "libvideocall/0.1");
  request.set(http::field::content_type, "application/json");
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

}  // namespace

asio::awaitable<std::variant<JoinGrant, ClientError>> http_join(asio::any_io_executor executor,
                                                                const ServerUrl& server,
                                                                const std::string& meeting_id,
                                                                const std::string& display_name,
                                                                const HttpOptions& options) {
  const auto token = asio::as_tuple(asio::use_awaitable);
  const std::string target =
      server.base_path + "/api/v1/meetings/" + url_encode(meeting_id) + "/join";
  const std::string body = nlohmann::json{{"display_name", display_name}}.dump();

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
  if (!server.secure) co_return co_await post_join(tcp_stream, server, target, body);

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
  co_return co_await post_join(tls_stream, server, target, body);
}

}  // namespace vc::client
