// Egress shards (src/server/ws/egress_shards.hpp): the hand-off of receivers' batches from the
// relay thread (here: the test thread running an io_context) to shard threads, over real
// socketpairs. Order per receiver across many batches and several shards, back-pressure (a full
// socket keeps the batch on the shard and no completion comes back until the reader drains it), a
// broken peer, release while a batch is in flight, and stopping shards that still wait on a socket.
#include "server/ws/egress_shards.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace vc::ws {
namespace {

using namespace std::chrono_literals;

struct Recorder : EgressOwner {
  std::vector<FlushResult> results;
  std::function<void()> on_turn;
  void on_egress_done(FlushResult result) override { results.push_back(result); }
  void on_write_turn() override {
    if (on_turn) on_turn();
  }
};

// A connected pair: `writer` goes to the shard, `reader` plays the receiving client.
struct SocketPair {
  int writer = -1;
  int reader = -1;
  explicit SocketPair(int send_buffer_bytes = 0) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    writer = fds[0];
    reader = fds[1];
    if (send_buffer_bytes > 0) {
      ::setsockopt(writer, SOL_SOCKET, SO_SNDBUF, &send_buffer_bytes, sizeof send_buffer_bytes);
    }
  }
  ~SocketPair() {
    if (writer >= 0) ::close(writer);
    if (reader >= 0) ::close(reader);
  }
};

// Runs the relay loop until `done()` holds; false after `limit` (the event never came).
template <class Done>
bool run_until(boost::asio::io_context& io, Done done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(5ms);
  }
  return true;
}

// Payload: a 4-byte sequence number, then filler.
FrameRef numbered_frame(uint32_t sequence, std::size_t size) {
  FrameRef frame = Frame::allocate(size, FrameMeta{});
  auto bytes = frame.mutable_frame()->mutable_bytes();
  std::memset(bytes.data(), 0x5a, size);
  std::memcpy(bytes.data(), &sequence, sizeof sequence);
  return frame;
}

// Reads `fd` until `frames` complete WebSocket frames arrived; returns their sequence numbers.
std::vector<uint32_t> read_sequences(int fd, std::size_t frames) {
  std::vector<uint8_t> stream;
  std::vector<uint32_t> sequences;
  std::size_t at = 0;
  uint8_t chunk[65536];
  while (sequences.size() < frames) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;  // nothing for 10 s: the test fails on the count
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    stream.insert(stream.end(), chunk, chunk + n);
    for (;;) {
      if (stream.size() - at < 2) break;
      uint64_t size = stream[at + 1] & 0x7f;
      std::size_t header = 2;
      if (size == 126) header = 4;
      if (size == 127) header = 10;
      if (stream.size() - at < header) break;
      if (header > 2) {
        size = 0;
        for (std::size_t i = 2; i < header; ++i) size = (size << 8) | stream[at + i];
      }
      if (stream.size() - at < header + size) break;
      uint32_t sequence = 0;
      std::memcpy(&sequence, &stream[at + header], sizeof sequence);
      sequences.push_back(sequence);
      at += header + size;
    }
  }
  return sequences;
}

TEST(EgressShards, WritesAskedInATurnRunTogetherAfterTheTurnsOtherHandlersSkippingTheGone) {
  boost::asio::io_context io;
  EgressShards egress(io, 0);
  std::vector<std::string> order;
  auto first = std::make_shared<Recorder>();
  auto second = std::make_shared<Recorder>();
  first->on_turn = [&] {
    order.push_back("first writes");
    if (order.size() < 4) egress.write_this_turn(first);  // asks again: the next turn
  };
  second->on_turn = [&] { order.push_back("second writes"); };
  auto gone = std::make_shared<Recorder>();  // a session that ends within the turn
  gone->on_turn = [&] { order.push_back("a closed session writes"); };
  // One turn: a sender's frames reach both receivers, then another sender's reach the first.
  boost::asio::post(io, [&] {
    order.push_back("sender A routed");
    egress.write_this_turn(first);
    egress.write_this_turn(second);
    egress.write_this_turn(gone);
  });
  boost::asio::post(io, [&] {
    order.push_back("sender B routed");
    gone.reset();  // held weakly: it is not kept alive for the write
  });
  io.run();
  EXPECT_EQ(order, (std::vector<std::string>{"sender A routed", "sender B routed", "first writes",
                                             "second writes", "first writes"}));
}

TEST(EgressShards, AssignsRoundRobinOverTheRelayAndTheShards) {
  boost::asio::io_context io;
  SocketPair pair;
  Recorder owner;
  {
    EgressShards none(io, 0);
    EXPECT_EQ(none.attach(pair.writer, owner), nullptr);
  }
  EgressShards shards(io, 2);
  int on_shards = 0;
  std::vector<EgressChannel*> channels;
  for (int i = 0; i < 6; ++i) {
    if (EgressChannel* channel = shards.attach(pair.writer, owner)) {
      ++on_shards;
      channels.push_back(channel);
    }
  }
  EXPECT_EQ(on_shards, 4);  // weight 2 per shard: the relay thread keeps 1 of every 5
  EXPECT_EQ(shards.open_channels(), 4u);
  for (EgressChannel* channel : channels) shards.release(*channel);
  ASSERT_TRUE(run_until(io, [&] { return shards.open_channels() == 0; }));
  EXPECT_TRUE(owner.results.empty());
}

TEST(EgressShards, FramesKeepTheirOrderAcrossBatchesAndShards) {
  boost::asio::io_context io;
  EgressShards shards(io, 2);
  constexpr uint32_t kFrames = 3000;
  struct Receiver {
    SocketPair pair{4096};  // small: short writes and EAGAIN happen
    Recorder owner;
    EgressChannel* channel = nullptr;
    uint32_t next = 0;
    std::vector<uint32_t> received;
  };
  std::vector<std::unique_ptr<Receiver>> receivers;
  while (receivers.size() < 2) {
    auto receiver = std::make_unique<Receiver>();
    receiver->channel = shards.attach(receiver->pair.writer, receiver->owner);
    if (receiver->channel != nullptr) receivers.push_back(std::move(receiver));
  }
  std::vector<std::thread> readers;
  for (auto& receiver : receivers) {
    readers.emplace_back(
        [r = receiver.get()] { r->received = read_sequences(r->pair.reader, kFrames); });
  }
  // Like a session: fill the batch while idle, submit, wait for done; batch sizes vary.
  auto pump = [&](Receiver& r) {
    if (r.channel->in_flight() || r.next == kFrames) return;
    const std::size_t count = 1 + r.next % 17;
    for (std::size_t i = 0; i < count && r.next < kFrames; ++i) {
      ASSERT_TRUE(r.channel->batch().add(numbered_frame(r.next, 100 + (r.next % 7) * 300)));
      ++r.next;
    }
    shards.submit(*r.channel);
  };
  const bool finished = run_until(
      io,
      [&] {
        bool all = true;
        for (auto& r : receivers) {
          pump(*r);
          all = all && r->next == kFrames && !r->channel->in_flight();
        }
        return all;
      },
      60s);
  for (auto& reader : readers) reader.join();
  ASSERT_TRUE(finished);
  for (auto& r : receivers) {
    ASSERT_EQ(r->received.size(), kFrames);
    for (uint32_t i = 0; i < kFrames; ++i) ASSERT_EQ(r->received[i], i);
    for (FlushResult result : r->owner.results) EXPECT_EQ(result, FlushResult::kDone);
    shards.release(*r->channel);
  }
  EXPECT_EQ(shards.totals().write_failures, 0u);
  ASSERT_TRUE(run_until(io, [&] { return shards.open_channels() == 0; }));
}

// Attaches until a channel lands on a shard (the relay thread's share comes back null).
EgressChannel* attach_to_a_shard(EgressShards& shards, int fd, EgressOwner& owner) {
  for (int i = 0; i < 4; ++i) {
    if (EgressChannel* channel = shards.attach(fd, owner)) return channel;
  }
  return nullptr;
}

// Fills the channel's batch with `count` numbered 4000-byte frames and submits it.
void submit_frames(EgressShards& shards, EgressChannel& channel, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) ASSERT_TRUE(channel.batch().add(numbered_frame(i, 4000)));
  shards.submit(channel);
}

TEST(EgressShards, AFullSocketHoldsTheBatchUntilTheReaderDrainsIt) {
  boost::asio::io_context io;
  EgressShards shards(io, 1);
  SocketPair pair(4096);
  Recorder owner;
  EgressChannel* channel = attach_to_a_shard(shards, pair.writer, owner);
  ASSERT_NE(channel, nullptr);
  constexpr uint32_t kFrames = 64;
  submit_frames(shards, *channel, kFrames);
  // The shard found the socket full and waits for writability...
  ASSERT_TRUE(run_until(io, [&] { return shards.totals().blocked >= 1; }));
  io.restart();
  io.poll();
  // ...so the batch is still its own: no completion, and the relay may not refill it.
  EXPECT_TRUE(owner.results.empty());
  EXPECT_TRUE(channel->in_flight());
  std::vector<uint32_t> received;
  std::thread reader([&] { received = read_sequences(pair.reader, kFrames); });
  const bool done = run_until(io, [&] { return !owner.results.empty(); });
  reader.join();
  ASSERT_TRUE(done);
  EXPECT_EQ(owner.results, std::vector<FlushResult>{FlushResult::kDone});
  ASSERT_EQ(received.size(), kFrames);
  for (uint32_t i = 0; i < kFrames; ++i) EXPECT_EQ(received[i], i);
  EXPECT_FALSE(channel->in_flight());
}

TEST(EgressShards, ABrokenPeerFailsTheBatch) {
  boost::asio::io_context io;
  EgressShards shards(io, 1);
  SocketPair pair;
  Recorder owner;
  EgressChannel* channel = attach_to_a_shard(shards, pair.writer, owner);
  ASSERT_NE(channel, nullptr);
  ::close(std::exchange(pair.reader, -1));
  ASSERT_TRUE(channel->batch().add(numbered_frame(1, 100)));
  shards.submit(*channel);
  ASSERT_TRUE(run_until(io, [&] { return !owner.results.empty(); }));
  EXPECT_EQ(owner.results, std::vector<FlushResult>{FlushResult::kFailed});
  EXPECT_EQ(shards.totals().write_failures, 1u);
  EXPECT_TRUE(channel->batch().empty());  // dropped, with the frames it owned
}

TEST(EgressShards, ReleaseWhileInFlightClosesTheCopyOnceTheShardIsDone) {
  boost::asio::io_context io;
  EgressShards shards(io, 1);
  SocketPair pair(4096);
  Recorder owner;
  EgressChannel* channel = attach_to_a_shard(shards, pair.writer, owner);
  ASSERT_NE(channel, nullptr);
  submit_frames(shards, *channel, 16);
  ASSERT_TRUE(run_until(io, [&] { return shards.totals().blocked >= 1; }));
  shards.release(*channel);  // the owner goes away while its batch waits on the socket
  // The session ends the connection (ws_session's close_socket): the waiting write fails.
  ::shutdown(pair.writer, SHUT_RDWR);
  ASSERT_TRUE(run_until(io, [&] { return shards.open_channels() == 0; }));
  EXPECT_TRUE(owner.results.empty());  // a released owner hears nothing
  EXPECT_EQ(shards.totals().write_failures, 1u);
}

TEST(EgressShards, StoppingShardsThatWaitOnSocketsClosesEverything) {
  boost::asio::io_context io;
  SocketPair first(4096);
  SocketPair second(4096);
  Recorder owner;
  {
    EgressShards shards(io, 2);
    int waiting = 0;
    for (SocketPair* pair : {&first, &second}) {
      EgressChannel* channel = attach_to_a_shard(shards, pair->writer, owner);
      ASSERT_NE(channel, nullptr);
      submit_frames(shards, *channel, 16);
      ++waiting;
    }
    ASSERT_TRUE(run_until(io, [&] { return shards.totals().blocked >= 2; }));
    EXPECT_EQ(waiting, 2);
    // Leaving scope stops both shards mid-wait and closes their copies of the sockets.
  }
  // Our own ends are the last: closing them ends the connections (the readers see EOF).
  for (SocketPair* pair : {&first, &second}) {
    ::close(std::exchange(pair->writer, -1));
    uint8_t chunk[65536];
    ssize_t n = 0;
    do {
      n = ::read(pair->reader, chunk, sizeof chunk);
    } while (n > 0);
    EXPECT_EQ(n, 0);
  }
  EXPECT_TRUE(owner.results.empty());
}

}  // namespace
}  // namespace vc::ws
