// Host actions across two videocall-server nodes (docs/PROTOCOL.md §14.6): one nats-server and one
// PostgreSQL, real processes on free loopback ports; participants are WebSocket clients of the
// server integration harness. A host on node A moderates a participant connected to node B: mute,
// the waiting room (admit), remove and bar, and the end of the meeting reach node B's members; and
// settings stored through the REST API of a node without members reach the room live elsewhere.
// Every wait is for a message or a close with a deadline.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"
#include "node_fixture.hpp"
#include "server_harness.hpp"

namespace vc::scale_test {
namespace {

namespace v1 = ::videocall::v1;
using test::WsClient;

uint16_t port_of(const std::string& url) {
  return static_cast<uint16_t>(std::stoi(url.substr(url.rfind(':') + 1)));
}

struct Joined {
  std::string token;
  uint64_t participant_id = 0;
  std::string role;
};

Joined join(const std::string& url, const std::string& meeting, const std::string& name) {
  const auto res = test::http_request(port_of(url), "POST", "/api/v1/meetings/" + meeting + "/join",
                                      nlohmann::json{{"display_name", name}}.dump());
  if (res.status != 200) throw std::runtime_error("join failed: " + res.body);
  const auto j = res.json();
  return {j.at("token").get<std::string>(), j.at("participant_id").get<uint64_t>(),
          j.at("role").get<std::string>()};
}

v1::Envelope host_request(v1::HostActionKind action, uint64_t target, bool bar = false) {
  v1::Envelope envelope;
  auto* request = envelope.mutable_control()->mutable_host_request();
  request->set_action(action);
  request->set_target_participant_id(target);
  request->set_bar(bar);
  return envelope;
}

class HostNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PostgresServer::available(why)) GTEST_FAIL() << why;
    dir_ = make_temp_dir("vc-host-nodes-");
    const std::string secret = dir_ + "/token_secret";
    {
      std::ofstream out(secret);
      out << std::string(64, 'b') << "\n";
    }
    ::chmod(secret.c_str(), 0600);
    postgres_ = std::make_unique<PostgresServer>();
    postgres_->create_database("host_nodes");
    for (int i = 0; i < 2; ++i) {
      nodes_.push_back(std::make_unique<Node>(dir_ + "/node" + std::to_string(i), secret,
                                              nats_.url(), postgres_->url("host_nodes")));
    }
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& node : nodes_) std::cerr << "---- node log ----\n" << node->log() << "\n";
    }
    nodes_.clear();
    postgres_.reset();
    remove_tree(dir_);
  }
  const std::string& url(int node) const { return nodes_[static_cast<std::size_t>(node)]->url(); }

  NatsServer nats_;
  std::unique_ptr<PostgresServer> postgres_;
  std::string dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

TEST_F(HostNodes, HostOnOneNodeModeratesParticipantsOnTheOther) {
  const Joined hana = join(url(0), "span", "Hana");
  ASSERT_EQ(hana.role, "host");
  WsClient h(port_of(url(0)), "/ws?token=" + hana.token);
  h.join();
  const Joined pia = join(url(1), "span", "Pia");
  ASSERT_EQ(pia.role, "participant") << "the store, shared by both nodes, knows the host";
  WsClient p(port_of(url(1)), "/ws?token=" + pia.token);
  p.join();
  ASSERT_TRUE(h.read_control_until([&](const v1::Control& c) {
    return c.has_participant_joined() &&
           c.participant_joined().participant().participant_id() == pia.participant_id;
  })) << "the host sees Pia through the bus";

  // Forced mute of a member of node B, asked on node A: B carries it out and tells everyone.
  h.send(host_request(v1::HOST_ACTION_MUTE_MIC, pia.participant_id));
  const auto muted = p.read_control_until([&](const v1::Control& c) {
    return c.has_host_action_event() &&
           c.host_action_event().action() == v1::HOST_ACTION_MUTE_MIC &&
           c.host_action_event().target_participant_id() == pia.participant_id;
  });
  ASSERT_TRUE(muted) << "Pia's node must carry out the host's mute";
  EXPECT_EQ(muted->host_action_event().actor_display_name(), "Hana");
  ASSERT_TRUE(h.read_control_until([&](const v1::Control& c) {
    return c.has_host_action_event() && c.host_action_event().action() == v1::HOST_ACTION_MUTE_MIC;
  })) << "and the event reaches the host's node";

  // A participant on node B cannot act on the host on node A (checked again where it applies).
  p.send(host_request(v1::HOST_ACTION_MUTE_MIC, hana.participant_id));
  const auto refused = p.read_control_until([](const v1::Control& c) { return c.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), 4403u);

  // Waiting room on (node A): a joiner on node B waits; the host on A sees and admits them.
  v1::Envelope settings;
  settings.mutable_control()->mutable_host_update_settings()->set_waiting_room(true);
  h.send(settings);
  ASSERT_TRUE(p.read_control_until([](const v1::Control& c) {
    return c.has_meeting_settings() && c.meeting_settings().waiting_room();
  })) << "node B applies the new settings";
  const Joined wim = join(url(1), "span", "Wim");
  WsClient w(port_of(url(1)), "/ws?token=" + wim.token);
  const v1::JoinAccepted waiting = w.join();
  EXPECT_EQ(waiting.self().role(), v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_EQ(waiting.roster_size(), 0);
  ASSERT_TRUE(h.read_control_until([&](const v1::Control& c) {
    return c.has_waiting_list() && c.waiting_list().waiting_size() == 1 &&
           c.waiting_list().waiting(0).participant_id() == wim.participant_id;
  })) << "the host on node A sees who waits on node B";
  h.send(host_request(v1::HOST_ACTION_ADMIT, wim.participant_id));
  const auto admitted = w.read_control_until([](const v1::Control& c) {
    return c.has_join_accepted() &&
           c.join_accepted().self().role() == v1::PARTICIPANT_ROLE_PARTICIPANT;
  });
  ASSERT_TRUE(admitted);
  EXPECT_EQ(admitted->join_accepted().roster_size(), 2);

  // Remove and bar across nodes.
  h.send(host_request(v1::HOST_ACTION_REMOVE, wim.participant_id, /*bar=*/true));
  EXPECT_EQ(w.wait_close(), 4432);

  // The end reaches node B's members too.
  h.send(host_request(v1::HOST_ACTION_END_MEETING, 0));
  EXPECT_EQ(p.wait_close(), 4433);
  EXPECT_EQ(h.wait_close(), 4433);
}

// REST settings on a node where nobody of the meeting is connected go to the store (§14.5); the
// node where the meeting is live must follow them at once, not only rooms that start later.
TEST_F(HostNodes, SettingsSetThroughTheApiOfAnotherNodeReachTheLiveRoom) {
  const Joined hana = join(url(1), "api-span", "Hana");
  ASSERT_EQ(hana.role, "host");
  WsClient h(port_of(url(1)), "/ws?token=" + hana.token);
  h.join();
  const Joined pia = join(url(1), "api-span", "Pia");
  WsClient p(port_of(url(1)), "/ws?token=" + pia.token);
  p.join();

  const auto set =
      test::http_request(port_of(url(0)), "POST", "/api/v1/meetings/api-span/settings",
                         nlohmann::json{{"waiting_room", true}}.dump(), "Bearer " + hana.token);
  ASSERT_EQ(set.status, 200u) << set.body;
  EXPECT_EQ(set.json()["settings"]["waiting_room"], true);
  ASSERT_TRUE(p.read_control_until([](const v1::Control& c) {
    return c.has_meeting_settings() && c.meeting_settings().waiting_room();
  })) << "the live room on node B follows the settings node A stored";
  const auto event = p.read_control_until([](const v1::Control& c) {
    return c.has_host_action_event() &&
           c.host_action_event().action() == v1::HOST_ACTION_UPDATE_SETTINGS;
  });
  ASSERT_TRUE(event) << "and its members see who changed them";
  EXPECT_EQ(event->host_action_event().actor_display_name(), "Hana");
  EXPECT_EQ(event->host_action_event().actor_participant_id(), hana.participant_id);

  // Node B enforces them: the next joiner waits, and the host sees who.
  const Joined wim = join(url(1), "api-span", "Wim");
  WsClient w(port_of(url(1)), "/ws?token=" + wim.token);
  EXPECT_EQ(w.join().self().role(), v1::PARTICIPANT_ROLE_WAITING);
  ASSERT_TRUE(h.read_control_until([&](const v1::Control& c) {
    return c.has_waiting_list() && c.waiting_list().waiting_size() == 1 &&
           c.waiting_list().waiting(0).participant_id() == wim.participant_id;
  }));
}

}  // namespace
}  // namespace vc::scale_test
