// Chat, raised hands and reactions across two server nodes over a real nats-server
// (docs/PROTOCOL.md §8 and §12): a message sent on node A reaches members on node B and B's
// history, a node that starts following the room learns the history from the others, and hands and
// reactions cross too.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "harness.hpp"
#include "node_fixture.hpp"
#include "videocall/client.hpp"

namespace vc::scale_test {
namespace {

class ClusterChat : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("vc-chat-");
    const std::string secret = dir_ + "/token_secret";
    {
      std::ofstream out(secret);
      out << std::string(64, 'c') << "\n";
    }
    ::chmod(secret.c_str(), 0600);
    for (int i = 0; i < 2; ++i) {
      nodes_.push_back(std::make_unique<Node>(dir_ + "/node" + std::to_string(i), secret,
                                              nats_.url(), /*database_url=*/""));
    }
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& node : nodes_) std::cerr << "---- node log ----\n" << node->log() << "\n";
    }
    participants_.clear();
    loop_.stop();
    nodes_.clear();
    remove_tree(dir_);
  }
  Participant& join(const std::string& name, int node) {
    participants_.push_back(std::make_unique<Participant>(
        loop_, name, "demo", std::vector<std::string>{nodes_[node]->url()}));
    Participant& p = *participants_.back();
    EXPECT_TRUE(p.wait_joined(1, 10s)) << name << " did not join";
    return p;
  }

  NatsServer nats_;
  std::string dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
  client::EventLoop loop_{2};
  std::vector<std::unique_ptr<Participant>> participants_;
};

TEST_F(ClusterChat, ChatHistoryHandsAndReactionsSpanNodes) {
  Participant& ada = join("Ada", 0);
  ada.client().send_chat("said before node B followed the room", 1);
  ASSERT_TRUE(ada.wait_chat("said before node B followed the room", 5s));

  // Node B had nobody in the room: it asks node A for the history when Bob arrives.
  Participant& bob = join("Bob", 1);
  ASSERT_TRUE(bob.wait_roster(1, 5s));
  ASSERT_TRUE(ada.wait_roster(1, 5s));  // node A knows Bob: it now publishes to the bus
  ASSERT_TRUE(bob.wait_chat("said before node B followed the room", 5s))
      << "a node that starts following a room learns its history from the others";

  ada.client().send_chat("hello from node A", 2);
  ASSERT_TRUE(bob.wait_chat("hello from node A", 5s));
  bob.client().send_chat("hello from node B", 3);
  ASSERT_TRUE(ada.wait_chat("hello from node B", 5s));

  // A late joiner on node B gets node B's history: node A's messages included, in order.
  Participant& cy = join("Cy", 1);
  ASSERT_TRUE(cy.wait_chat("hello from node B", 5s));
  const std::vector<std::string> expected = {"said before node B followed the room",
                                             "hello from node A", "hello from node B"};
  EXPECT_EQ(cy.chat_texts(), expected);

  ada.client().raise_hand(true);
  EXPECT_TRUE(bob.wait_hand(ada.id(), true, 5s)) << "a raised hand crosses nodes";
  ada.client().send_reaction("\xF0\x9F\x91\x8F");
  EXPECT_TRUE(cy.wait_reaction(ada.id(), 5s)) << "a reaction crosses nodes";
  ada.client().raise_hand(false);
  EXPECT_TRUE(cy.wait_hand(ada.id(), false, 5s));
}

}  // namespace
}  // namespace vc::scale_test
