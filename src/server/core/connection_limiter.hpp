// ConnectionLimiter and ConnectionSlot: the live TCP connections in total and per source
// address. A slot moves from the listener to the HTTP session and on to the media session.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/cidr.hpp"

namespace vc::core {

// Counts live TCP connections in total (--max-connections) and per source address
// (limits::kMaxConnectionsPerAddress; trusted proxies carry many clients and are exempt).
class ConnectionLimiter {
 public:
  void set_limits(std::size_t max_total, std::vector<Cidr> per_address_exempt);
  bool try_acquire(const boost::asio::ip::address& address);
  void release(const boost::asio::ip::address& address);
  bool full() const { return total_ >= max_total_; }
  std::size_t max_total() const { return max_total_; }

 private:
  std::unordered_map<std::string, std::size_t> counts_;
  std::size_t total_ = 0;
  std::size_t max_total_ = SIZE_MAX;
  std::vector<Cidr> per_address_exempt_;
};

// Holds one connection's place in the limiter; moves from the HTTP to the WebSocket session.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionLimiter& limiter, boost::asio::ip::address address)
      : limiter_(&limiter), address_(std::move(address)) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : limiter_(std::exchange(other.limiter_, nullptr)), address_(other.address_) {}
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (limiter_) limiter_->release(address_);
  }
  const boost::asio::ip::address& address() const { return address_; }

 private:
  ConnectionLimiter* limiter_ = nullptr;
  boost::asio::ip::address address_;
};

}  // namespace vc::core
