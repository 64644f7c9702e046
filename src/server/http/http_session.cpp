#include "server/http/http_session.hpp"

#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <memory>
#include <optional>

#include "common/limits.hpp"
#include "server/http/router.hpp"
#include "server/http/streams.hpp"

namespace vc::http {

namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;

template <class Stream>
class HttpSession final : public core::LiveConnection,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  template <class... Args>
  HttpSession(core::ServerContext& ctx, const UpgradeHandlers& upgrades, core::ConnectionSlot slot,
              Args&&... stream_args)
      : ctx_(ctx),
        upgrades_(upgrades),
        slot_(std::move(slot)),
        stream_(std::forward<Args>(stream_args)...) {
    ctx_.http_sessions.insert(this);
  }
  ~HttpSession() override { ctx_.http_sessions.erase(this); }

  // Shutdown: a connection waiting for its next request is closed now; one with a request in
  // progress answers it and then closes (keep-alive is off while shutting down).
  void shut_down() override {
    if (waiting_for_request_) force_close();
  }
  void force_close() override {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void run() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(limits::kHandshakeTimeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // scanners and bad clients: nothing to say
                                self->read_request();
                              });
    } else {
      read_request();
    }
  }

 private:
  void read_request() {
    parser_.emplace();
    parser_->body_limit(limits::kMaxHttpBodyBytes);
    parser_->header_limit(static_cast<std::uint32_t>(limits::kMaxHttpHeaderBytes));
    // One timer covers a slow request and an idle keep-alive connection.
    beast::get_lowest_layer(stream_).expires_after(limits::kHandshakeTimeout);
    waiting_for_request_ = true;
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->waiting_for_request_ = false;
                        self->on_read(ec);
                      });
  }

  void on_read(beast::error_code ec) {
    if (ec == bhttp::error::body_limit) {
      ++ctx_.metrics.http_requests;
      keep_alive_ = false;
      return send(fail(ctx_, bhttp::status::payload_too_large, "payload_too_large",
                       "request body too large", {11, false, false}));
    }
    if (ec == bhttp::error::header_limit) {
      ++ctx_.metrics.http_requests;
      keep_alive_ = false;
      return send(fail(ctx_, bhttp::status::request_header_fields_too_large, "bad_request",
                       "request headers too large", {11, false, false}));
    }
    if (ec) return close();

    Request req = parser_->release();
    if (beast::websocket::is_upgrade(req)) {
      const auto handler = upgrades_.find(target_path(req.target()));
      if (handler != upgrades_.end() && !ctx_.shutting_down) {
        if (buffer_.size() != 0) {
          // A client must wait for our 101 before it sends frames (RFC 6455 §4.1). Bytes read
          // past the request would be lost in the hand-over, and a lost Hello only shows as a
          // timeout later: refuse clearly instead.
          keep_alive_ = false;
          return send(fail(ctx_, bhttp::status::bad_request, "bad_request",
                           "data arrived before the WebSocket handshake completed", info_of(req)));
        }
        beast::get_lowest_layer(stream_).expires_never();
        ctx_.http_sessions.erase(this);  // the upgraded session owns the connection now
        if constexpr (std::is_same_v<Stream, TlsStream>) {
          handler->second.tls(std::move(stream_), std::move(req), std::move(slot_));
        } else {
          handler->second.plain(std::move(stream_), std::move(req), std::move(slot_));
        }
        return;
      }
      keep_alive_ = false;
      return send(fail(ctx_, bhttp::status::not_found, "not_found", "WebSocket endpoint is /ws",
                       info_of(req)));
    }
    keep_alive_ = req.keep_alive();
    auto pending = std::make_shared<PendingResponse>(this->shared_from_this());
    try {
      handle_request(ctx_, std::move(req), slot_.address(),
                     [pending](bhttp::message_generator msg) {
                       pending->answered = true;
                       pending->session->send(std::move(msg));
                     });
    } catch (const std::exception& e) {
      core::note_handler_exception(ctx_, "http", e.what());
    } catch (...) {
      core::note_handler_exception(ctx_, "http", "non-standard exception");
    }
  }

  // Shared by every copy of a request's responder. If the last copy goes away unanswered (the
  // handler threw, here or in a later completion such as a store callback), the client gets a
  // 500 and the connection closes, instead of waiting for a timeout.
  struct PendingResponse {
    explicit PendingResponse(std::shared_ptr<HttpSession> s) : session(std::move(s)) {}
    PendingResponse(const PendingResponse&) = delete;
    PendingResponse& operator=(const PendingResponse&) = delete;
    ~PendingResponse() {
      if (answered) return;
      try {
        // Possibly mid-unwinding: answer from a fresh handler.
        asio::io_context& io = session->ctx_.io;
        asio::post(io, [s = std::move(session)] { s->answer_internal_error(); });
      } catch (...) {
        // Out of memory while unwinding: the read timeout closes the connection.
      }
    }
    std::shared_ptr<HttpSession> session;
    bool answered = false;
  };

  void answer_internal_error() {
    keep_alive_ = false;
    send(fail(ctx_, bhttp::status::internal_server_error, "internal", "internal error",
              {11, false, false}));
  }

  void send(bhttp::message_generator msg) {
    keep_alive_ = keep_alive_ && msg.keep_alive() && !ctx_.shutting_down;
    beast::get_lowest_layer(stream_).expires_after(limits::kHandshakeTimeout);
    beast::async_write(stream_, std::move(msg),
                       [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         if (!self->keep_alive_) return self->close();
                         self->read_request();
                       });
  }

  void close() {
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(limits::kHandshakeTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    }
  }

  core::ServerContext& ctx_;
  const UpgradeHandlers& upgrades_;
  core::ConnectionSlot slot_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool keep_alive_ = true;
  bool waiting_for_request_ = false;
};

}  // namespace

void start_http_session(core::ServerContext& ctx, const UpgradeHandlers& upgrades,
                        asio::ip::tcp::socket socket, core::ConnectionSlot slot,
                        asio::ssl::context* tls) {
  if (tls != nullptr) {
    std::make_shared<HttpSession<TlsStream>>(ctx, upgrades, std::move(slot), std::move(socket),
                                             *tls)
        ->run();
  } else {
    std::make_shared<HttpSession<PlainStream>>(ctx, upgrades, std::move(slot), std::move(socket))
        ->run();
  }
}

}  // namespace vc::http
