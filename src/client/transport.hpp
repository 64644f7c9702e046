// Transport: carries whole envelopes between a Client and the server, over a WebSocket or over
// WebTransport (QUIC streams and datagrams), behind one interface.
//
// A transport is created on the client's strand and used only from it. It pulls outgoing
// envelopes from its listener when it can write (so the drop policy stays in one place, the
// client's SendQueue) and pushes incoming envelopes up as byte spans.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/quic/udp_batch.hpp"
#include "protocol/frame.hpp"
#include "url.hpp"
#include "videocall/client.hpp"

namespace vc::client {

struct TransportTarget {
  ServerUrl server;
  std::string path_and_query;  // e.g. "/ws?token=..." (secret: never log it)
  std::chrono::milliseconds connect_timeout{5000};
  bool tls_verify = true;
  std::string tls_ca_file;
  // WebTransport only: accepted server certificates (SHA-256 of the DER), from the join response.
  std::vector<std::vector<uint8_t>> certificate_sha256;
  std::string bind_address;  // WebTransport only: local IP for the UDP socket ("" = any)
};

class TransportListener {
 public:
  virtual ~TransportListener() = default;
  virtual void on_transport_open() = 0;
  // One whole envelope; the span is valid only during the call.
  virtual void on_transport_message(std::span<const uint8_t> envelope) = 0;
  // Called once: the handshake failed or the connection ended. Never called after close().
  virtual void on_transport_closed(const ClientError& error) = 0;
  // Next envelope to write, or an empty FrameRef when there is nothing to send.
  virtual FrameRef next_outgoing() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual void open(const TransportTarget& target) = 0;
  // New envelopes are waiting in the listener: write them when possible.
  virtual void flush() = 0;
  // Writes what is still queued, then closes with `code`. No more listener calls after this.
  virtual void close(uint16_t code) = 0;
};

std::shared_ptr<Transport> make_websocket_transport(boost::asio::any_io_executor strand,
                                                    std::weak_ptr<TransportListener> listener,
                                                    bool secure);
// WebTransport to target.server (host and UDP port of the advertised https://HOST:PORT/wt URL).
// Opens once the CONNECT got its 200 and the control stream exists; fails when connect_timeout
// passes first.
std::shared_ptr<Transport> make_webtransport_transport(boost::asio::any_io_executor strand,
                                                       std::weak_ptr<TransportListener> listener);
// Tests: replaces sendmmsg(2) for the WebTransport transports made from now on (a socket buffer
// that fills). Not thread-safe: call it while no client is running; empty restores sendmmsg.
void set_webtransport_send_function(quic::SendBatch::SendMessages send);

// Close codes and Control.error codes (docs/CONTRACT-DRAFT.md) mapped to how a client reacts.
ErrorKind classify_close_code(uint32_t code);
bool is_retryable_close_code(uint32_t code);

}  // namespace vc::client
