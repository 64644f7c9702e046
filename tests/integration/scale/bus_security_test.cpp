// The cluster bus under attack: two videocall-server nodes behind a nats-server that requires a
// user and password, and a rogue client of that NATS server (another service on the same account,
// say) that can subscribe and publish anything but does not know the deployment's token secret.
// Its forged and replayed bus messages must change nothing and be counted in /metrics.
#include <gtest/gtest.h>
#include <nats/nats.h>
#include <sys/stat.h>

#include <fstream>

#include "harness.hpp"
#include "node_fixture.hpp"
#include "server/bus/bus_auth.hpp"
#include "server/bus/bus_codec.hpp"

namespace vc::scale_test {
namespace {

constexpr const char* kNatsUser = "vcnode";
constexpr const char* kNatsPassword = "n0t-in-any-log";

uint64_t metric(const std::string& base_url, const std::string& name) {
  const HttpResult result = http_call("GET", base_url, "/metrics");
  const auto at = result.body.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  return std::stoull(result.body.substr(at + name.size() + 2));
}

// A plain NATS client, the attacker.
class RogueClient {
 public:
  explicit RogueClient(const std::string& url) {
    if (natsConnection_ConnectTo(&connection_, url.c_str()) != NATS_OK) {
      throw std::runtime_error("rogue could not connect");
    }
    natsConnection_SubscribeSync(&subscription_, connection_, "vc.room.>");
  }
  ~RogueClient() {
    natsSubscription_Destroy(subscription_);
    natsConnection_Destroy(connection_);
  }
  // The next message captured on a subject ending in `suffix` (genuine traffic between nodes).
  std::pair<std::string, std::vector<uint8_t>> capture(std::string_view suffix) {
    for (int i = 0; i < 1000; ++i) {
      natsMsg* msg = nullptr;
      if (natsSubscription_NextMsg(&msg, subscription_, 5000) != NATS_OK) break;
      const std::string subject = natsMsg_GetSubject(msg);
      const auto* data = reinterpret_cast<const uint8_t*>(natsMsg_GetData(msg));
      std::vector<uint8_t> bytes(data, data + natsMsg_GetDataLength(msg));
      natsMsg_Destroy(msg);
      if (subject.ends_with(suffix)) return {subject, bytes};
    }
    throw std::runtime_error("nothing captured");
  }
  void publish(const std::string& subject, const std::vector<uint8_t>& data) {
    natsConnection_Publish(connection_, subject.c_str(), data.data(),
                           static_cast<int>(data.size()));
  }
  void flush() { natsConnection_Flush(connection_); }

 private:
  natsConnection* connection_ = nullptr;
  natsSubscription* subscription_ = nullptr;
};

class BusSecurity : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("vc-bus-security-");
    const std::string secret = dir_ + "/token_secret";
    {
      std::ofstream out(secret);
      out << std::string(64, 'b') << "\n";
    }
    ::chmod(secret.c_str(), 0600);
    for (int i = 0; i < 2; ++i) {
      nodes_.push_back(std::make_unique<Node>(dir_ + "/node" + std::to_string(i), secret,
                                              nats_url(), /*database_url=*/""));
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
  std::string nats_url() const {
    return std::string("nats://") + kNatsUser + ":" + kNatsPassword +
           "@127.0.0.1:" + std::to_string(nats_.port());
  }
  Participant& join(const std::string& name, int node) {
    participants_.push_back(std::make_unique<Participant>(
        loop_, name, "demo", std::vector<std::string>{nodes_[node]->url()}));
    Participant& p = *participants_.back();
    EXPECT_TRUE(p.wait_joined(1, 10s)) << name << " did not join";
    return p;
  }

  NatsServer nats_{{"--user", kNatsUser, "--pass", kNatsPassword}};
  std::string dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
  client::EventLoop loop_{2};
  std::vector<std::unique_ptr<Participant>> participants_;
};

TEST_F(BusSecurity, ForgedAndReplayedBusMessagesChangeNothingAndAreCounted) {
  Participant& ada = join("Ada", 0);
  Participant& bob = join("Bob", 1);
  ASSERT_TRUE(ada.wait_roster(1, 5s));
  ASSERT_TRUE(bob.wait_roster(1, 5s));
  Traffic traffic({&ada, &bob});
  // Both nodes reached the password-protected NATS server: media crosses.
  ASSERT_TRUE(ada.wait_media(bob.id(), 5, 5s));
  ASSERT_TRUE(bob.wait_media(ada.id(), 5, 5s));

  RogueClient rogue(nats_url());
  const auto [media_subject, media] = rogue.capture(".media");
  const std::string control_subject = bus::Subjects().room_control("demo");
  std::vector<uint8_t> unsealed_media(media.begin(), media.end() - bus::kAuthTrailerBytes);
  // Take over Ada's identity (her node would close her with 4409) and make Bob leave.
  v1::Participant mallory;
  mallory.set_participant_id(ada.id());
  mallory.set_display_name("Mallory");
  std::vector<uint8_t> upsert, left;
  bus::encode_member_upsert(0x1234, mallory, UINT64_MAX / 2, upsert);
  bus::encode_member_left(0x1234, bob.id(), v1::LEAVE_REASON_LEFT, left);
  for (int i = 0; i < 3; ++i) {
    rogue.publish(media_subject, media);  // a genuine message, replayed
    rogue.publish(media_subject, unsealed_media);
    rogue.publish(control_subject, upsert);
    rogue.publish(control_subject, left);
  }
  rogue.flush();
  // The nodes got the rogue's messages long before 50 more genuine frames (a second).
  ASSERT_TRUE(ada.wait_media(bob.id(), 50, 5s)) << "the real members keep their media";
  ASSERT_TRUE(bob.wait_media(ada.id(), 50, 5s));

  EXPECT_EQ(ada.joined(), 1) << "Ada was never replaced";
  EXPECT_EQ(ada.roster_size(), 1u);
  EXPECT_EQ(ada.leaves_of(bob.id()), 0) << "Bob never left";
  EXPECT_EQ(bob.leaves_of(ada.id()), 0);
  EXPECT_EQ(ada.duplicates(), 0);
  uint64_t unauthenticated = 0, replayed = 0;
  for (auto& node : nodes_) {
    unauthenticated += metric(node->url(), "videocall_cluster_rejected_unauthenticated_total");
    replayed += metric(node->url(), "videocall_cluster_rejected_replayed_total");
  }
  EXPECT_EQ(unauthenticated, 2u * 9u) << "3 x (media, upsert, leave), at both nodes";
  EXPECT_GE(replayed, 3u) << "the replayed media, at the node that had received it";
  for (auto& node : nodes_) {
    EXPECT_EQ(node->log().find(kNatsPassword), std::string::npos) << "NATS password logged";
  }
}

// While NATS is unreachable the node logs where it keeps trying, without the password.
TEST_F(BusSecurity, NatsUrlIsLoggedWithoutItsCredentials) {
  const std::string unreachable = std::string("nats://") + kNatsUser + ":" + kNatsPassword +
                                  "@127.0.0.1:" + std::to_string(free_tcp_port());
  Node node(dir_ + "/node-unreachable", dir_ + "/token_secret", unreachable, "");
  const std::string log = node.log();
  EXPECT_NE(log.find("event=nats_connect_pending url=\"nats://[redacted]@127.0.0.1:"),
            std::string::npos)
      << log;
  EXPECT_EQ(log.find(kNatsPassword), std::string::npos) << log;
}

}  // namespace
}  // namespace vc::scale_test
