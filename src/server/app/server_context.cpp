#include "server/app/server_context.hpp"

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

}  // namespace vc::app
