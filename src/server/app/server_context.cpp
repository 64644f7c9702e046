#include "server/app/server_context.hpp"

#include <algorithm>

#include "common/limits.hpp"

namespace vc::app {

bool ConnectionLimiter::try_acquire(const boost::asio::ip::address& address) {
  std::size_t& count = counts_[address.to_string()];
  if (count >= limits::kMaxConnectionsPerAddress) return false;
  ++count;
  return true;
}

void ConnectionLimiter::release(const boost::asio::ip::address& address) {
  auto it = counts_.find(address.to_string());
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

bool RateLimiter::allow(const boost::asio::ip::address& address,
                        std::chrono::steady_clock::time_point now) {
  // Loopback is the operator's own machine (load tests, bots, a local reverse proxy).
  if (address.is_loopback()) return true;
  if (buckets_.size() >= limits::kMaxRateLimitedAddresses) buckets_.clear();
  auto [it, inserted] = buckets_.try_emplace(address.to_string());
  Bucket& bucket = it->second;
  if (inserted) {
    bucket.tokens = burst_;
  } else {
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(burst_, bucket.tokens + elapsed * per_second_);
  }
  bucket.updated = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace vc::app
