// WebSocket transport over Boost.Beast: ws:// on plain TCP, wss:// on OpenSSL.
// One binary message carries one envelope. One read loop (a coroutine) and one write chain run
// on the client's strand; Beast allows exactly one of each at a time.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <type_traits>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "protocol/close_codes.hpp"
#include "transport.hpp"

namespace vc::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

ErrorKind classify_close_code(uint32_t code) {
  using namespace close_code;
  switch (code) {
    case kUnauthorized:
    case kForbidden:
    case kUnknownMeeting:
    case kUnsupportedVersion:
    case kMeetingFull:
    case kE2eeRequired:
      return ErrorKind::kRefused;
    case kMalformed:
    case kProtocolViolation:
    case kTooLarge:
      return ErrorKind::kProtocol;
    default:
      return code >= 4000 ? ErrorKind::kServerClosed : ErrorKind::kUnreachable;
  }
}

bool is_retryable_close_code(uint32_t code) {
  using namespace close_code;
  // Idle timeout, too slow, internal error, shutting down, or an ordinary transport loss.
  return code == kIdleTimeout || code == kTooSlow || code == kInternal || code == kShuttingDown ||
         code < 4000;
}

namespace {

constexpr auto kIdleTimeout = std::chrono::seconds(20);  // Beast pings at half of it

template <bool kSecure>
class WebSocketTransport final : public Transport,
                                 public std::enable_shared_from_this<WebSocketTransport<kSecure>> {
  using Next = std::conditional_t<kSecure, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;
  using Ws = websocket::stream<Next>;

 public:
  WebSocketTransport(asio::any_io_executor strand, std::weak_ptr<TransportListener> listener)
      : strand_(std::move(strand)), listener_(std::move(listener)) {}

  void open(const TransportTarget& target) override {
    if constexpr (kSecure) {
      boost::system::error_code ec;
      tls_.set_default_verify_paths(ec);
      if (!target.tls_ca_file.empty()) tls_.load_verify_file(target.tls_ca_file, ec);
      if (ec) {
        fail({ErrorKind::kBadArgument, 0, "cannot load CA file: " + ec.message()});
        return;
      }
      tls_.set_verify_mode(target.tls_verify ? ssl::verify_peer : ssl::verify_none);
      ws_ = std::make_unique<Ws>(strand_, tls_);
    } else {
      ws_ = std::make_unique<Ws>(strand_);
    }
    asio::co_spawn(strand_, run(this->shared_from_this(), target), asio::detached);
  }

  void flush() override { write_next(); }

  void close(uint16_t code) override {
    if (closing_) return;
    closing_ = true;
    close_code_ = code;
    // Take what the listener still has queued (e.g. a Leave), then stop talking to it.
    if (auto listener = listener_.lock()) {
      while (FrameRef frame = listener->next_outgoing()) final_frames_.push_back(std::move(frame));
    }
    listener_.reset();
    if (!opened_) {
      if (ws_) beast::get_lowest_layer(*ws_).close();
      return;
    }
    write_next();
  }

 private:
  static asio::awaitable<void> run(std::shared_ptr<WebSocketTransport> self,
                                   TransportTarget target) {
    co_await self->connect(target);
    if (!self->opened_) co_return;
    co_await self->read_loop();
  }

  asio::awaitable<void> connect(const TransportTarget& target) {
    const auto token = asio::as_tuple(asio::use_awaitable);
    tcp::resolver resolver(strand_);
    auto [resolve_error, endpoints] = co_await resolver.async_resolve(
        target.server.host, std::to_string(target.server.port), token);
    if (closing_) co_return;
    if (resolve_error) {
      fail({ErrorKind::kUnreachable, 0,
            "cannot resolve " + target.server.host + ": " + resolve_error.message()});
      co_return;
    }
    auto& tcp_layer = beast::get_lowest_layer(*ws_);
    tcp_layer.expires_after(target.connect_timeout);
    auto [connect_error, endpoint] = co_await tcp_layer.async_connect(endpoints, token);
    if (closing_) co_return;
    if (connect_error) {
      fail({ErrorKind::kUnreachable, 0,
            "cannot connect to " + target.server.host_header() + ": " + connect_error.message()});
      co_return;
    }
    tcp_layer.socket().set_option(tcp::no_delay(true));
    if constexpr (kSecure) {
      auto& tls_stream = ws_->next_layer();
      if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), target.server.host.c_str())) {
        fail({ErrorKind::kUnreachable, 0, "cannot set TLS server name"});
        co_return;
      }
      if (target.tls_verify)
        tls_stream.set_verify_callback(ssl::host_name_verification(target.server.host));
      auto [tls_error] = co_await tls_stream.async_handshake(ssl::stream_base::client, token);
      if (closing_) co_return;
      if (tls_error) {
        fail({ErrorKind::kUnreachable, 0, "TLS handshake failed: " + tls_error.message()});
        co_return;
      }
    }
    tcp_layer.expires_never();
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = target.connect_timeout;
    timeouts.idle_timeout = kIdleTimeout;
    timeouts.keep_alive_pings = true;
    ws_->set_option(timeouts);
    ws_->binary(true);
    ws_->read_message_max(limits::kMaxEnvelopeBytes + 1024);
    ws_->set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::user_agent, "libvideocall/0.1");
    }));
    websocket::response_type response;
    auto [ws_error] = co_await ws_->async_handshake(response, target.server.host_header(),
                                                    target.path_and_query, token);
    if (closing_) co_return;
    if (ws_error) {
      const unsigned status = response.result_int();
      const ErrorKind kind = (status == 401 || status == 403 || status == 404)
                                 ? ErrorKind::kRefused
                                 : ErrorKind::kUnreachable;
      fail({kind, status,
            "WebSocket upgrade failed" + (status ? " (HTTP " + std::to_string(status) + ")" : "") +
                ": " + ws_error.message()});
      co_return;
    }
    opened_ = true;
    if (auto listener = listener_.lock()) listener->on_transport_open();
    write_next();
  }

  asio::awaitable<void> read_loop() {
    beast::flat_buffer buffer;
    for (;;) {
      auto [read_error, bytes] =
          co_await ws_->async_read(buffer, asio::as_tuple(asio::use_awaitable));
      if (read_error) {
        if (read_error == websocket::error::closed) {
          const auto& reason = ws_->reason();
          const auto code = static_cast<uint32_t>(reason.code);
          fail({classify_close_code(code), code,
                "server closed the connection (" + std::to_string(code) +
                    (reason.reason.empty() ? "" : ": " + std::string(reason.reason.c_str())) +
                    ")"});
        } else {
          fail({ErrorKind::kUnreachable, 0, "connection lost: " + read_error.message()});
        }
        co_return;
      }
      if (auto listener = listener_.lock()) {
        const auto data = buffer.cdata();
        listener->on_transport_message({static_cast<const uint8_t*>(data.data()), data.size()});
      }
      buffer.consume(bytes);
      // Our close frame is out: Beast's close operation reads until the server's reply. A read of
      // ours would compete with it and can hold the handshake until its timeout.
      if (close_sent_) co_return;
    }
  }

  FrameRef take_next() {
    if (!final_frames_.empty()) {
      FrameRef frame = std::move(final_frames_.front());
      final_frames_.pop_front();
      return frame;
    }
    if (auto listener = listener_.lock()) return listener->next_outgoing();
    return {};
  }

  void write_next() {
    if (!opened_ || writing_ || failed_) return;
    FrameRef frame = take_next();
    if (!frame) {
      if (closing_ && !close_sent_) {
        close_sent_ = true;
        writing_ = true;
        ws_->async_close(
            websocket::close_reason(close_code_),
            [self = this->shared_from_this()](beast::error_code) { self->writing_ = false; });
      }
      return;
    }
    writing_ = true;
    in_flight_ = std::move(frame);
    ws_->async_write(asio::buffer(in_flight_->bytes().data(), in_flight_->size()),
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->writing_ = false;
                       self->in_flight_ = FrameRef{};
                       if (ec) return;  // the read loop reports the loss
                       self->write_next();
                     });
  }

  void fail(const ClientError& error) {
    if (failed_) return;
    failed_ = true;
    if (auto listener = listener_.lock()) {
      listener_.reset();
      listener->on_transport_closed(error);
    }
  }

  asio::any_io_executor strand_;
  std::weak_ptr<TransportListener> listener_;
  ssl::context tls_{ssl::context::tls_client};
  std::unique_ptr<Ws> ws_;
  std::deque<FrameRef> final_frames_;
  FrameRef in_flight_;
  bool opened_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool failed_ = false;
  uint16_t close_code_ = 1000;
};

}  // namespace

std::shared_ptr<Transport> make_websocket_transport(asio::any_io_executor strand,
                                                    std::weak_ptr<TransportListener> listener,
                                                    bool secure) {
  if (secure)
    return std::make_shared<WebSocketTransport<true>>(std::move(strand), std::move(listener));
  return std::make_shared<WebSocketTransport<false>>(std::move(strand), std::move(listener));
}

}  // namespace vc::client
