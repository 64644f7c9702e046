// A real QuicEndpoint on a loopback UDP port, and native QUIC clients (QuicConnection on their own
// loopback sockets), all driven from the test thread. Waits poll the io_context and the clients
// until a condition holds; the wall-clock deadline only bounds a failing test.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/quic/certificate_store.hpp"
#include "net/quic/endpoint.hpp"

namespace vc::quic::testing {

inline SocketAddress ipv4(uint32_t host_order_address, uint16_t port) {
  SocketAddress address;
  auto* in = reinterpret_cast<sockaddr_in*>(&address.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  in->sin_addr.s_addr = htonl(host_order_address);
  address.size = sizeof(sockaddr_in);
  return address;
}

// A UDP socket on the loopback network, non-blocking.
class UdpSocket {
 public:
  explicit UdpSocket(uint32_t host_order_address = 0x7f000001) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    local_ = ipv4(host_order_address, 0);
    if (::bind(fd_, local_.get(), local_.size) != 0) return;
    socklen_t size = sizeof(local_.storage);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&local_.storage), &size);
    local_.size = size;
  }
  ~UdpSocket() { ::close(fd_); }
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  const SocketAddress& local() const { return local_; }
  void send(const SocketAddress& to, ByteView bytes) const {
    (void)::sendto(fd_, bytes.data(), bytes.size(), 0, to.get(), to.size);
  }
  // One datagram, or nullopt when none is waiting.
  std::optional<std::vector<uint8_t>> receive() const {
    std::vector<uint8_t> buffer(2048);
    const ssize_t size = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (size < 0) return std::nullopt;
    buffer.resize(static_cast<std::size_t>(size));
    return buffer;
  }

 private:
  int fd_ = -1;
  SocketAddress local_;
};

// Ignores every event; tests override what they watch.
class NullApplication : public QuicApplication {
 public:
  void on_handshake_completed() override {}
  void on_stream_data(int64_t, ByteView, bool) override {}
  void on_stream_reset(int64_t, uint64_t) override {}
  void on_stream_stop_sending(int64_t, uint64_t) override {}
  void on_stream_closed(int64_t) override {}
  void on_datagram(ByteView) override {}
  void on_stream_writable(int64_t) override {}
  void before_write() override {}
  void on_connection_closed() override {}
};

inline ApplicationFactory null_application() {
  return [](ConnectionHandle&) { return std::make_unique<NullApplication>(); };
}

struct ClientEvents final : NullApplication {
  bool handshake = false;
  void on_handshake_completed() override { handshake = true; }
};

// Collects written packets.
struct CapturedPackets final : PacketSink {
  std::vector<std::vector<uint8_t>> sent;
  uint8_t buffer[2048];
  std::span<uint8_t> reserve(std::size_t) override { return buffer; }
  void commit(const SocketAddress&, std::size_t size) override {
    sent.emplace_back(buffer, buffer + size);
  }
};

// A native QUIC client of the endpoint under test.
class Client final : PacketSink {
 public:
  Client(const SocketAddress& server, const Certificate& certificate,
         uint32_t host_order_address = 0x7f000001)
      : socket_(host_order_address), server_(server) {
    connection = QuicConnection::connect(
        socket_.local(), server, {},
        {std::vector<uint8_t>(certificate.sha256.begin(), certificate.sha256.end())},
        TransportConfig{}, monotonic_now());
    if (connection) connection->set_events(&events);
  }

  // Reads what arrived, runs due timers, writes what is due.
  void pump() {
    const Timestamp now = monotonic_now();
    while (auto packet = socket_.receive()) {
      connection->read_packet(socket_.local(), server_, *packet, now);
    }
    if (connection->next_timer() <= now) connection->handle_timer(now);
    connection->write_packets(*this, now);
  }

  // Writes what is due without reading (a client that never answers).
  void write_only() { connection->write_packets(*this, monotonic_now()); }

  std::span<uint8_t> reserve(std::size_t) override { return buffer_; }
  void commit(const SocketAddress& remote, std::size_t size) override {
    socket_.send(remote, {buffer_, size});
  }

  std::unique_ptr<QuicConnection> connection;
  ClientEvents events;

 private:
  UdpSocket socket_;
  SocketAddress server_;
  uint8_t buffer_[2048];
};

// The endpoint under test with a configurable application per connection.
class EndpointHarness {
 public:
  explicit EndpointHarness(EndpointConfig config, ApplicationFactory factory) {
    std::string error;
    EXPECT_TRUE(mint_certificate(std::time(nullptr), certificate, error)) << error;
    config.address = "127.0.0.1";
    config.port = 0;
    endpoint = std::make_unique<QuicEndpoint>(
        io, std::move(config), [this] { return certificate.credentials; }, std::move(factory));
    EXPECT_TRUE(endpoint->start(error)) << error;
    server = ipv4(0x7f000001, endpoint->port());
  }

  // Polls the endpoint and `clients` until `done` (false after `limit` of wall-clock time).
  bool wait_until(const std::function<bool()>& done, std::vector<Client*> clients = {},
                  std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      for (Client* client : clients) client->pump();
      io.restart();
      io.run_for(std::chrono::milliseconds(1));
    }
    return true;
  }

  boost::asio::io_context io;
  Certificate certificate;
  std::unique_ptr<QuicEndpoint> endpoint;
  SocketAddress server;
};

}  // namespace vc::quic::testing
