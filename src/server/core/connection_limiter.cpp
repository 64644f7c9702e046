#include "server/core/connection_limiter.hpp"

#include "common/limits.hpp"

namespace vc::core {

void ConnectionLimiter::set_limits(std::size_t max_total, std::vector<Cidr> per_address_exempt) {
  max_total_ = max_total;
  per_address_exempt_ = std::move(per_address_exempt);
}

bool ConnectionLimiter::try_acquire(const boost::asio::ip::address& address) {
  if (full()) return false;
  std::size_t& count = counts_[address.to_string()];
  if (count >= limits::kMaxConnectionsPerAddress && !in_any(per_address_exempt_, address)) {
    return false;
  }
  ++count;
  ++total_;
  return true;
}

void ConnectionLimiter::release(const boost::asio::ip::address& address) {
  auto it = counts_.find(address.to_string());
  if (it == counts_.end()) return;
  --total_;
  if (--it->second == 0) counts_.erase(it);
}

}  // namespace vc::core
