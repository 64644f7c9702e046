#include "server/core/server_context.hpp"

#include <algorithm>

#include "common/limits.hpp"
#include "common/log.hpp"

namespace vc::core {

bool LogRateLimiter::allow(std::chrono::steady_clock::time_point now, uint64_t& suppressed) {
  if (last_ && now - *last_ < interval_) {
    ++held_back_;
    return false;
  }
  last_ = now;
  suppressed = std::exchange(held_back_, 0);
  return true;
}

std::vector<Cidr> parse_cidrs(const std::vector<std::string>& texts) {
  std::vector<Cidr> blocks;
  for (const std::string& text : texts) {
    if (auto block = parse_cidr(text)) blocks.push_back(*block);
  }
  return blocks;
}

void note_handler_exception(ServerContext& ctx, std::string_view where, std::string_view what) {
  ++ctx.metrics.handler_exceptions;
  uint64_t suppressed = 0;
  if (ctx.handler_exception_log.allow(std::chrono::steady_clock::now(), suppressed)) {
    VC_LOG_ERROR("event=handler_exception where={} error=\"{}\" suppressed_since_last={}", where,
                 what, suppressed);
  }
}

bool RateLimiter::allow(const boost::asio::ip::address& address,
                        std::chrono::steady_clock::time_point now) {
  if (in_any(exempt_, address)) return true;
  if (buckets_.size() >= limits::kMaxRateLimitedAddresses) buckets_.clear();
  auto it = buckets_.try_emplace(address.to_string(), burst_, per_second_).first;
  return it->second.allow(now);
}

}  // namespace vc::core
