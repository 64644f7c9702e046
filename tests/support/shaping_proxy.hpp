// ShapingProxy: a userspace TCP proxy for tests and benches that limits one direction's rate.
//
// It listens on a free loopback port and forwards every accepted connection to a target (the
// server under test). Client -> target bytes pass as they come. Target -> client bytes go through
// a token bucket (optionally after a fixed delay), and the proxy stops reading from the target
// while a small amount is pending, so the target's socket fills and its writer sees TCP
// backpressure, as it would behind a slow access link.
//
// What lies between the target's writer and the bucket: the target's own socket send buffer (the
// kernel may autotune it; the proxy cannot shrink it, but `upstream_mss` bounds the autotuning),
// the proxy's receive buffer (set small with `upstream_receive_buffer`), and at most
// `max_pending_bytes` in the proxy.
//
// Runs its own thread and io_context; every method is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace vc::test {

struct ShapingOptions {
  std::string target_host = "127.0.0.1";
  uint16_t target_port = 0;
  // Target -> client rate in bits per second; 0: unlimited.
  uint64_t downstream_bps = 0;
  // Bucket size: the largest burst at full speed after an idle period.
  std::size_t burst_bytes = 16u << 10;
  // Extra one-way delay on target -> client bytes.
  std::chrono::milliseconds downstream_delay{0};
  // Bytes read from the target but not yet written to the client, per connection.
  std::size_t max_pending_bytes = 64u << 10;
  // SO_RCVBUF of the proxy's socket to the target (0: the kernel's default, autotuned).
  int upstream_receive_buffer = 32 << 10;
  // TCP_MAXSEG of the proxy's socket to the target, advertised in its SYN (0: the kernel's, 64 KiB
  // less headers on loopback). On loopback the target's kernel sizes its send buffer from the
  // segment size (ten segments' worth, twice, about 2.5 MiB), which would hide the shaped rate
  // from the target for many seconds; 1460 makes it size the buffer as on an Ethernet path.
  int upstream_mss = 0;
  // SO_RCVBUF of the proxy's sockets from clients (0: the kernel's default, autotuned). Small, a
  // paused proxy stalls a client's writer after little data.
  int client_receive_buffer = 0;
  // TCP_MAXSEG advertised to clients (0: loopback's). As `upstream_mss` for the target: 1460 keeps
  // a client's autotuned send buffer small, so its writer meets a stalled proxy early.
  int client_mss = 0;
};

struct ShapingStats {
  uint64_t connections = 0;
  uint64_t bytes_to_client = 0;  // written to clients
  uint64_t bytes_to_target = 0;
};

class ShapingProxy {
 public:
  explicit ShapingProxy(ShapingOptions options);
  ~ShapingProxy();  // closes every connection and stops the thread
  ShapingProxy(const ShapingProxy&) = delete;
  ShapingProxy& operator=(const ShapingProxy&) = delete;

  uint16_t port() const;
  ShapingStats stats() const;
  // Changes the target -> client rate for every connection from now on.
  void set_downstream_bps(uint64_t bps);
  // Closes every open connection (new ones are still accepted): a network drop for reconnects.
  void drop_connections();
  // Stops (or resumes) reading what clients send, for every connection, new ones included: the
  // client's socket fills and its writer sees a peer that does not drain.
  void set_upstream_paused(bool paused);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc::test
