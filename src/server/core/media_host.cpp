#include "server/core/media_host.hpp"

#include "server/core/server_context.hpp"

namespace vc::core {

namespace {

class ServerMediaHost final : public MediaHost {
 public:
  explicit ServerMediaHost(ServerContext& ctx)
      : ctx_(ctx), settings_{ctx.config.idle_timeout_s, ctx.config.test_fault_injection} {}

  boost::asio::io_context& io() override { return ctx_.io; }
  SendQueueBudget& send_queue_budget() override { return ctx_.send_queue_budget; }
  MediaMetrics& metrics() override { return ctx_.metrics.media; }
  const MediaSessionSettings& settings() const override { return settings_; }
  bool shutting_down() const override { return ctx_.shutting_down; }

  auth::VerifyResult verify_token(std::string_view token) override {
    return ctx_.tokens.verify(token, auth::unix_now());
  }

  void add_live(LiveConnection& connection) override { ctx_.media_sessions.insert(&connection); }
  void remove_live(LiveConnection& connection) override { ctx_.media_sessions.erase(&connection); }

  std::optional<HelloRefusal> join(RoomMembership& membership, const auth::RoomClaims& claims,
                                   const v1::Control& control, room::Endpoint& endpoint,
                                   std::string_view transport,
                                   const std::function<void()>& entering) override {
    return membership.join(ctx_, claims, control, endpoint, transport, entering);
  }

  void note_handler_exception(std::string_view where, std::string_view what) override {
    core::note_handler_exception(ctx_, where, what);
  }

 private:
  ServerContext& ctx_;
  const MediaSessionSettings settings_;
};

}  // namespace

std::unique_ptr<MediaHost> make_media_host(ServerContext& ctx) {
  return std::make_unique<ServerMediaHost>(ctx);
}

}  // namespace vc::core
