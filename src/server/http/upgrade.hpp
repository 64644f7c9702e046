// WebSocket upgrades by path. The http layer parses the request and hands the connection to the
// handler registered for its path (the server registers the media WebSocket at /ws), so http never
// includes the layers built on it.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "server/core/server_context.hpp"
#include "server/http/router.hpp"
#include "server/http/streams.hpp"

namespace vc::http {

struct UpgradeHandler {
  std::function<void(PlainStream&&, Request&&, core::ConnectionSlot)> plain;
  std::function<void(TlsStream&&, Request&&, core::ConnectionSlot)> tls;
};

// Keyed by the request path; it must outlive the listener and every HTTP session.
using UpgradeHandlers = std::map<std::string, UpgradeHandler, std::less<>>;

}  // namespace vc::http
