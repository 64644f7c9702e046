// Runs one Client until it closes, SIGINT/SIGTERM arrives, or an optional duration elapses.
#pragma once

#include <memory>

#include "tool_support.hpp"
#include "videocall/client.hpp"
#include "videocall/event_loop.hpp"

namespace vc::tools {

// Starts the client and blocks until `latch` is stopped (the client's on_closed handler must stop
// it). A signal or the duration makes the client leave. Then waits for the closing handshake and
// returns the latch's exit code. `before_leave` runs on the calling thread first (stop capture).
int run_client_session(client::EventLoop& loop, const std::shared_ptr<client::Client>& client,
                       StopLatch& latch, double duration_s,
                       const std::function<void()>& before_leave = {});

}  // namespace vc::tools
