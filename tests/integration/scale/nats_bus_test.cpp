// NatsBus on a real nats-server: what arrives is handed to the handler on the owner's io_context,
// in order and whole, and the connection comes back after an outage. Two buses share the test's
// io_context, which this thread runs until each expected event has happened (or a deadline).
#include "server/bus/nats_bus.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"

namespace vc::scale_test {
namespace {

using namespace std::chrono_literals;

struct Received {
  std::string subject;
  std::vector<uint8_t> data;
};

class Recorder final : public bus::BusHandler {
 public:
  void on_bus_message(std::string_view subject, std::span<const uint8_t> data) override {
    if (std::this_thread::get_id() != owner) off_thread = true;
    if (data.size() == 1 && data[0] == 'p') {
      ++probes;  // wait_for_route's, some still in flight when the route is known
      return;
    }
    messages.push_back({std::string(subject), {data.begin(), data.end()}});
  }
  void on_bus_state(bool up) override { states.push_back(up); }
  void on_bus_gap() override { ++gaps; }

  std::thread::id owner = std::this_thread::get_id();
  bool off_thread = false;
  std::vector<Received> messages;
  std::vector<bool> states;
  int gaps = 0;
  int probes = 0;
};

class NatsBusTest : public ::testing::Test {
 protected:
  std::unique_ptr<bus::NatsBus> connect(Recorder& recorder) {
    bus::NatsBusConfig config;
    config.url = nats.url();
    std::string error;
    auto made = bus::NatsBus::create(io, config, error);
    if (!made) throw std::runtime_error(error);
    made->set_handler(&recorder);
    return made;
  }
  // Runs the io_context until `done` holds; false after `limit`.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io.restart();
      io.run_one_for(20ms);
    }
    return true;
  }
  // Publishes a probe on `subject` from `from` until `to` has received one: the subscription is
  // then known to the server.
  bool wait_for_route(bus::NatsBus& from, Recorder& to, const std::string& subject) {
    const std::vector<uint8_t> probe{'p'};
    return run_until([&] {
      from.publish(subject, probe);
      io.restart();
      io.run_for(5ms);
      return to.probes > 0;
    });
  }

  // Bus a publishes, bus b has subscribed to `subject` and the server knows it.
  void link(const std::string& subject) {
    a = connect(a_seen);
    b = connect(b_seen);
    ASSERT_NE(b->subscribe(subject), 0u);
    ASSERT_TRUE(wait_for_route(*a, b_seen, subject));
  }

  NatsServer nats;
  boost::asio::io_context io;
  Recorder a_seen;
  Recorder b_seen;
  std::unique_ptr<bus::NatsBus> a;
  std::unique_ptr<bus::NatsBus> b;
};

TEST_F(NatsBusTest, ABurstArrivesWholeAndInOrderOnTheOwnersThread) {
  ASSERT_NO_FATAL_FAILURE(link("test.burst"));

  constexpr uint32_t kCount = 500;
  boost::asio::post(io, [&] {
    std::vector<uint8_t> payload(1000);
    for (uint32_t i = 0; i < kCount; ++i) {
      std::memcpy(payload.data(), &i, sizeof i);
      ASSERT_TRUE(a->publish("test.burst", payload));
    }
  });
  ASSERT_TRUE(run_until([&] { return b_seen.messages.size() >= kCount; }))
      << "received " << b_seen.messages.size();
  for (uint32_t i = 0; i < kCount; ++i) {
    uint32_t seq = 0;
    std::memcpy(&seq, b_seen.messages[i].data.data(), sizeof seq);
    ASSERT_EQ(seq, i) << "out of order";
  }
  EXPECT_FALSE(b_seen.off_thread) << "the handler runs on the io_context's thread only";
  EXPECT_EQ(b_seen.gaps, 0);
}

TEST_F(NatsBusTest, MessagesLargerThanOneReadArriveWhole) {
  ASSERT_NO_FATAL_FAILURE(link("test.large"));

  // Each spans many of libnats' 32 KiB reads.
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < 3; ++i) {
    std::vector<uint8_t> payload(300 * 1024);
    for (std::size_t j = 0; j < payload.size(); ++j) payload[j] = static_cast<uint8_t>(j * 7 + i);
    ASSERT_TRUE(a->publish("test.large", payload));
    sent.push_back(std::move(payload));
  }
  ASSERT_TRUE(run_until([&] { return b_seen.messages.size() >= sent.size(); }))
      << "received " << b_seen.messages.size() << " of " << sent.size();
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(b_seen.messages[i].data, sent[i]);
}

TEST_F(NatsBusTest, AfterTheServerRestartsTheBusReconnectsAndItsSubscriptionsResume) {
  ASSERT_NO_FATAL_FAILURE(link("test.restart"));

  nats.stop();
  ASSERT_TRUE(run_until([&] { return !a->connected() && !b->connected(); }))
      << "both buses see the outage";
  EXPECT_FALSE(a->publish("test.restart", std::vector<uint8_t>{'x'})) << "fails fast while down";
  nats.start();
  ASSERT_TRUE(run_until([&] { return a->connected() && b->connected(); }, 15s));
  b_seen.probes = 0;
  ASSERT_TRUE(wait_for_route(*a, b_seen, "test.restart"))
      << "the subscription made before the outage delivers again";
  EXPECT_GE(b->stats().reconnects, 1u);
  EXPECT_EQ(b_seen.states.back(), true);
}

}  // namespace
}  // namespace vc::scale_test
