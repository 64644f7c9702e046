// Three videocall-server nodes, one nats-server and one PostgreSQL, all real processes started
// here on free loopback ports. Participants are libvideocall clients. Every wait is on an event
// (a callback, a log line) with a deadline; "within 5 s" is such a deadline.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>

#include "harness.hpp"
#include "node_fixture.hpp"
#include "videocall/client.hpp"

namespace vc::scale_test {
namespace {

PostgresServer& shared_postgres() {
  static PostgresServer server;
  return server;
}

int database_counter = 0;

class ClusterNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PostgresServer::available(why)) GTEST_FAIL() << why;
    dir_ = make_temp_dir("vc-nodes-");
    const std::string secret = dir_ + "/token_secret";
    {
      std::ofstream out(secret);
      out << std::string(64, 'a') << "\n";
    }
    ::chmod(secret.c_str(), 0600);
    const std::string db =
        "nodes_" + std::to_string(getpid()) + "_" + std::to_string(++database_counter);
    shared_postgres().create_database(db);
    for (int i = 0; i < 3; ++i) {
      nodes_.push_back(std::make_unique<Node>(dir_ + "/node" + std::to_string(i), secret,
                                              nats_.url(), shared_postgres().url(db)));
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
  // A participant that prefers node `first` and falls back to the others in order.
  Participant& join(const std::string& name, int first) {
    std::vector<std::string> servers;
    for (int i = 0; i < 3; ++i) servers.push_back(nodes_[(first + i) % 3]->url());
    participants_.push_back(std::make_unique<Participant>(loop_, name, "demo", servers));
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

TEST_F(ClusterNodes, ParticipantsOnThreeNodesReceiveEachOtherAndSeeTheFullRoster) {
  std::vector<Participant*> all;
  for (int i = 0; i < 6; ++i) all.push_back(&join("P" + std::to_string(i), i % 3));
  for (Participant* p : all) EXPECT_TRUE(p->wait_roster(5, 5s)) << "full roster everywhere";
  Traffic traffic(all);
  for (Participant* receiver : all) {
    for (Participant* sender : all) {
      if (receiver == sender) continue;
      EXPECT_TRUE(receiver->wait_media(sender->id(), 5, 5s))
          << "media from " << sender->id() << " to " << receiver->id();
    }
    EXPECT_EQ(receiver->duplicates(), 0);
  }
}

// Node 2 has nobody in the meeting, so it does not follow the room: the REST roster asks the other
// nodes over the bus instead of answering "nobody".
TEST_F(ClusterNodes, RestRosterOnANodeWithoutMembersListsEveryNodesParticipants) {
  Participant& ada = join("Ada", 0);
  Participant& bob = join("Bob", 1);
  ASSERT_TRUE(ada.wait_roster(1, 5s));
  const HttpResult list = http_call("GET", nodes_[2]->url(), "/api/v1/meetings/demo/participants");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"Ada\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"Bob\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(std::to_string(bob.id())), std::string::npos) << list.body;
  const HttpResult info = http_call("GET", nodes_[2]->url(), "/api/v1/meetings/demo");
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_NE(info.body.find("\"participant_count\":2"), std::string::npos) << info.body;
}

TEST_F(ClusterNodes, KilledNodesParticipantsReconnectElsewhereWithoutLeaveOrDuplicates) {
  Participant& on_a = join("OnA", 0);
  Participant& on_b = join("OnB", 1);
  Participant& on_c = join("OnC", 2);
  for (Participant* p : {&on_a, &on_b, &on_c}) ASSERT_TRUE(p->wait_roster(2, 5s));
  Traffic traffic({&on_a, &on_b, &on_c});
  ASSERT_TRUE(on_b.wait_media(on_a.id(), 5, 5s));
  ASSERT_TRUE(on_b.wait_media(on_c.id(), 5, 5s));
  on_b.track_gaps(true);
  on_c.track_gaps(true);

  const uint64_t a_id = on_a.id();
  nodes_[0]->kill9();
  const auto killed = Clock::now();
  EXPECT_TRUE(on_a.wait_joined(2, 5s)) << "reconnected through another node";
  EXPECT_EQ(on_a.id(), a_id) << "same identity";
  EXPECT_TRUE(on_a.resumed());
  const auto remaining = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(killed + 5s - Clock::now());
  };
  EXPECT_TRUE(on_a.wait_media(on_b.id(), 1, remaining())) << "A receives again within 5 s";
  EXPECT_TRUE(on_a.wait_media(on_c.id(), 1, remaining()));
  EXPECT_TRUE(on_b.wait_media(a_id, 1, remaining())) << "others receive A again within 5 s";
  EXPECT_TRUE(on_c.wait_media(a_id, 1, remaining()));

  // Let the dead node's liveness timeout and grace pass (about 5 s of traffic): nothing else may
  // change meanwhile.
  EXPECT_TRUE(on_b.wait_media(on_c.id(), 250, 10s));
  EXPECT_LT(on_b.max_gap(on_c.id()), 2s) << "B never stopped receiving C";
  EXPECT_LT(on_c.max_gap(on_b.id()), 2s) << "C never stopped receiving B";
  for (Participant* p : {&on_a, &on_b, &on_c}) {
    EXPECT_EQ(p->duplicates(), 0);
    EXPECT_EQ(p->roster_size(), 2u);
  }
  EXPECT_EQ(on_b.leaves_of(a_id), 0) << "a reconnect is never a leave";
  EXPECT_EQ(on_c.leaves_of(a_id), 0);
}

TEST_F(ClusterNodes, NatsRestartKeepsLocalMediaAndResumesCrossNodeMedia) {
  Participant& a1 = join("A1", 0);
  Participant& a2 = join("A2", 0);
  Participant& b1 = join("B1", 1);
  for (Participant* p : {&a1, &a2, &b1}) ASSERT_TRUE(p->wait_roster(2, 5s));
  Traffic traffic({&a1, &a2, &b1});
  ASSERT_TRUE(b1.wait_media(a1.id(), 5, 5s));

  nats_.stop();
  EXPECT_TRUE(a2.wait_media(a1.id(), 50, 5s)) << "local media never stops";
  nats_.start();
  EXPECT_TRUE(b1.wait_media(a1.id(), 5, 5s)) << "cross-node media resumes within 5 s";
  EXPECT_TRUE(a1.wait_media(b1.id(), 5, 5s));
  EXPECT_EQ(b1.duplicates(), 0);
  EXPECT_TRUE(b1.wait_roster(2, 5s));
}

TEST_F(ClusterNodes, DatabaseOutageRefusesJoinsWith503WhileCallsContinue) {
  Participant& a1 = join("A1", 0);
  Participant& b1 = join("B1", 1);
  ASSERT_TRUE(b1.wait_roster(1, 5s));
  Traffic traffic({&a1, &b1});
  ASSERT_TRUE(b1.wait_media(a1.id(), 5, 5s));

  shared_postgres().stop();
  const HttpResult refused = http_call("POST", nodes_[2]->url(), "/api/v1/meetings/demo/join",
                                       R"({"display_name":"Late"})");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("unavailable"), std::string::npos) << refused.body;
  EXPECT_TRUE(b1.wait_media(a1.id(), 50, 5s)) << "the call in progress continues";
  EXPECT_TRUE(a1.wait_media(b1.id(), 50, 5s));

  shared_postgres().start();
  const HttpResult accepted = http_call("POST", nodes_[2]->url(), "/api/v1/meetings/demo/join",
                                        R"({"display_name":"Late"})");
  EXPECT_EQ(accepted.status, 200) << accepted.body;
}

// Chat, raised hands and reactions across nodes (docs/PROTOCOL.md §8 and §12): a message sent on
// node A reaches members on node B and B's history; a node that starts following the room learns
// the history from the others; hands and reactions cross too.
TEST_F(ClusterNodes, ChatHistoryHandsAndReactionsSpanNodes) {
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
