// Blocking store calls from the relay thread: run on the store pool, answer back on the relay.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <optional>

#include "common/log.hpp"
#include "server/core/server_context.hpp"

namespace vc::core {

// Runs `work` on the store pool and `done(optional<result>)` back on the relay thread. A store
// failure is logged and reported as nullopt (a REST caller answers 503).
template <class Work, class Done>
void run_on_store(ServerContext& ctx, Work work, Done done) {
  namespace asio = boost::asio;
  // The work guard keeps the relay loop alive until the answer has been delivered.
  asio::post(ctx.store_pool, [&ctx, guard = asio::make_work_guard(ctx.io), work = std::move(work),
                              done = std::move(done)]() mutable {
    using Result = decltype(work());
    std::optional<Result> result;
    try {
      result.emplace(work());
    } catch (const std::exception& e) {
      VC_LOG_ERROR("event=store_error error=\"{}\"", log::escaped(e.what()));
    }
    asio::post(ctx.io, [&ctx, done = std::move(done), result = std::move(result)]() mutable {
      try {
        done(std::move(result));
      } catch (const std::exception& e) {
        // The request's responder dies unanswered with `done`: its connection gets a 500.
        note_handler_exception(ctx, "http", e.what());
      }
    });
  });
}

}  // namespace vc::core
