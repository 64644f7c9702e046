// libvideocall against a server that stops draining (docs/CLIENT.md "Outgoing queue"): the
// client's send queue bounds control like the server's (protocol/send_queue.hpp). A connection
// whose control lane passes its cap is dropped and the session reconnects; nothing queued for the
// old connection goes out on the new one, so Hello is its first envelope and the server resumes
// the same participant (control ahead of Hello would be refused as a protocol violation).
//
// The stall is real: a proxy on the client's path stops reading, so the client's socket fills.
// Every wait is on an event with a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/limits.hpp"
#include "server_process.hpp"
#include "shaping_proxy.hpp"
#include "videocall/client.hpp"
#include "videocall/event_loop.hpp"

namespace vc {
namespace {

using namespace std::chrono_literals;

struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<client::JoinInfo> joined;
  int joins = 0;
  std::vector<client::ClientError> reconnecting;
  std::optional<client::ClientError> closed;
  std::vector<std::string> chats;

  template <class Predicate>
  bool wait_for(Predicate predicate, std::chrono::seconds deadline = 20s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, deadline, [&] { return predicate(*this); });
  }
};

client::ClientEvents observe(Seen& seen) {
  client::ClientEvents events;
  events.on_joined = [&seen](const client::JoinInfo& info) {
    std::lock_guard lock(seen.mutex);
    seen.joined = info;
    ++seen.joins;
    seen.changed.notify_all();
  };
  events.on_reconnecting = [&seen](const client::ClientError& error, std::chrono::milliseconds) {
    std::lock_guard lock(seen.mutex);
    seen.reconnecting.push_back(error);
    seen.changed.notify_all();
  };
  events.on_closed = [&seen](const client::ClientError& error) {
    std::lock_guard lock(seen.mutex);
    seen.closed = error;
    seen.changed.notify_all();
  };
  events.on_chat = [&seen](const v1::ChatMessage& message) {
    std::lock_guard lock(seen.mutex);
    seen.chats.push_back(message.text());
    seen.changed.notify_all();
  };
  return events;
}

client::ClientConfig config_for(uint16_t port, const std::string& name) {
  client::ClientConfig config;
  config.server_url = "http://127.0.0.1:" + std::to_string(port);
  config.meeting_id = "client-backpressure";
  config.display_name = name;
  config.transport = client::TransportPreference::kWebSocket;
  // Long enough that the test drops the stalled proxy connection before the client is back.
  config.reconnect_initial_delay = 300ms;
  return config;
}

// A server, a proxy on the sender's path, and two joined participants: the sender (through the
// proxy) and a peer that sees the sender's chat.
class ClientBackpressure : public ::testing::Test {
 protected:
  void join(test::ShapingOptions proxy_options) {
    ASSERT_TRUE(server_.start()) << "server did not start";
    proxy_options.target_port = server_.port();
    proxy_ = std::make_unique<test::ShapingProxy>(proxy_options);
    sender_ =
        client::Client::create(loop_, config_for(proxy_->port(), "sender"), observe(sender_seen_));
    peer_ = client::Client::create(loop_, config_for(server_.port(), "peer"), observe(peer_seen_));
    sender_->start();
    peer_->start();
    for (Seen* s : {&sender_seen_, &peer_seen_}) {
      ASSERT_TRUE(s->wait_for([](Seen& x) { return x.joined || x.closed; }));
      ASSERT_TRUE(s->joined) << s->closed->message;
    }
    sender_id_ = sender_seen_.joined->participant_id;
  }

  // Throws away what the stalled connection buffered and lets the sender reconnect, which must
  // resume the same participant: chat queued for the old connection ahead of Hello would make the
  // server refuse the new one. Then chat flows again, and nothing of what was queued arrives.
  void expect_resumed_and_clean(uint64_t next_message_id) {
    proxy_->drop_connections();
    proxy_->set_upstream_paused(false);
    ASSERT_TRUE(sender_seen_.wait_for([](Seen& s) { return s.joins >= 2 || s.closed; }));
    ASSERT_FALSE(sender_seen_.closed) << sender_seen_.closed->message;
    EXPECT_TRUE(sender_seen_.joined->resumed);
    EXPECT_EQ(sender_seen_.joined->participant_id, sender_id_);
    EXPECT_GE(sender_->stats().reconnects, 1u);

    sender_->send_chat("after the stall", next_message_id);
    ASSERT_TRUE(peer_seen_.wait_for([](Seen& s) {
      return !s.chats.empty() && s.chats.back() == "after the stall";
    })) << "the peer never got the chat sent after the reconnect";
    EXPECT_EQ(peer_seen_.chats.size(), 1u) << "chat queued for the stalled connection came through";
  }

  void TearDown() override {
    for (auto* c : {sender_.get(), peer_.get()}) {
      if (c != nullptr) c->leave();
    }
    for (Seen* s : {&sender_seen_, &peer_seen_}) {
      if (s->joins > 0) {
        EXPECT_TRUE(s->wait_for([](Seen& x) { return x.closed.has_value(); }));
      }
    }
  }

  testing::ServerProcess server_;
  std::unique_ptr<test::ShapingProxy> proxy_;
  Seen sender_seen_;  // outlives the loop's threads, which call into it
  Seen peer_seen_;
  client::EventLoop loop_{2};
  std::shared_ptr<client::Client> sender_;
  std::shared_ptr<client::Client> peer_;
  uint64_t sender_id_ = 0;
};

TEST_F(ClientBackpressure, ControlThatDoesNotDrainReconnectsAndHelloGoesFirst) {
  ASSERT_NO_FATAL_FAILURE(join({}));

  // The server stops draining the sender: its socket buffers fill, then its control lane.
  proxy_->set_upstream_paused(true);
  const std::string text(limits::kMaxChatTextBytes - 100, 'x');
  const std::size_t cap_bytes = 64u << 20;  // kernel buffers plus the lane, many times over
  std::size_t sent_bytes = 0;
  uint64_t message_id = 0;
  while (sent_bytes < cap_bytes) {
    for (int i = 0; i < 64; ++i) sender_->send_chat(text, ++message_id);
    sent_bytes += 64 * text.size();
    if (sender_seen_.wait_for([](Seen& s) { return !s.reconnecting.empty() || s.closed; }, 0s)) {
      break;
    }
  }
  ASSERT_TRUE(sender_seen_.wait_for([](Seen& s) { return !s.reconnecting.empty() || s.closed; }))
      << "sent " << sent_bytes << " bytes of chat to a stalled peer and the client kept them all";
  ASSERT_FALSE(sender_seen_.closed) << sender_seen_.closed->message;
  EXPECT_EQ(sender_seen_.reconnecting.front().kind, client::ErrorKind::kUnreachable);
  EXPECT_NE(sender_seen_.reconnecting.front().message.find("not draining"), std::string::npos)
      << sender_seen_.reconnecting.front().message;
  EXPECT_GT(sent_bytes, limits::kReceiverControlQueueBytes);

  expect_resumed_and_clean(++message_id);
}

TEST_F(ClientBackpressure, ControlQueuedWhenTheConnectionBreaksIsNotSentAheadOfHello) {
  test::ShapingOptions proxy_options;
  proxy_options.client_receive_buffer = 16 << 10;  // the client's writer stalls early
  proxy_options.client_mss = 1460;
  ASSERT_NO_FATAL_FAILURE(join(proxy_options));

  // Chat piles up in the client's queue behind a stalled socket, well below the lane's cap...
  proxy_->set_upstream_paused(true);
  const std::string text(1000, 'y');
  uint64_t message_id = 0;
  // At most 3 MiB: below the lane's cap even if the client's socket takes none of it.
  for (int sent = 0; sent < 3000 && sender_->stats().send_queue_bytes < (256u << 10); ++sent) {
    sender_->send_chat(text, ++message_id);
  }
  // The strand may still be queueing what was posted, and no event says when it has: look at
  // the queue until it shows it (a deadline, not a fixed wait).
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (sender_->stats().send_queue_bytes == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GT(sender_->stats().send_queue_bytes, 0u)
      << "nothing stayed queued in the client: the test would prove nothing";
  ASSERT_TRUE(sender_seen_.reconnecting.empty()) << sender_seen_.reconnecting.front().message;

  // ...when the connection breaks. The next connection must start with Hello, not that chat.
  expect_resumed_and_clean(++message_id);
}

}  // namespace
}  // namespace vc
