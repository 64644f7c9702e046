// --threads: participants whose media is written by different egress shards of one server share
// a room (every frame of every sender reaches every other participant, in order), one of them
// dropping its connection leaves the others untouched, and /metrics counts the shards' work.
// The same runs with --threads 1, where the relay thread writes everything.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "server_harness.hpp"

namespace vc::test {
namespace {

uint64_t metric(const std::string& metrics, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const auto at = metrics.find(prefix);
  if (at == std::string::npos) return UINT64_MAX;
  return std::stoull(metrics.substr(at + prefix.size()));
}

struct Participant {
  JoinInfo info;
  std::unique_ptr<WsClient> client;
};

// Every participant sends `per_round` numbered audio frames per round; each other participant
// must read all of them, each sender's in order.
void exchange_rounds(std::vector<Participant>& people, int rounds, uint32_t per_round,
                     std::map<std::pair<uint64_t, uint64_t>, uint32_t>& next_expected) {
  for (int round = 0; round < rounds; ++round) {
    for (auto& sender : people) {
      for (uint32_t i = 0; i < per_round; ++i) {
        const uint32_t sequence = static_cast<uint32_t>(round) * per_round + i;
        sender.client->send_media(v1::MEDIA_KIND_AUDIO, "a" + std::to_string(sequence), 0,
                                  sequence);
      }
    }
    for (auto& receiver : people) {
      const std::size_t expected = (people.size() - 1) * per_round;
      for (std::size_t got = 0; got < expected; ++got) {
        const auto media = receiver.client->read_media();
        ASSERT_TRUE(media) << "participant " << receiver.info.participant_id << " missed frames";
        const uint64_t from = media->header().sender_participant_id();
        ASSERT_NE(from, receiver.info.participant_id) << "echoed";
        uint32_t& next = next_expected[{receiver.info.participant_id, from}];
        ASSERT_EQ(media->header().sequence(), next) << "out of order from " << from;
        ++next;
      }
    }
  }
}

class ServerThreads : public ::testing::TestWithParam<int> {};

TEST_P(ServerThreads, ParticipantsOnDifferentShardsShareARoom) {
  const int threads = GetParam();
  ServerProcess server({"--threads", std::to_string(threads)});
  const uint16_t port = server.port();
  std::vector<Participant> people;
  for (int i = 0; i < 6; ++i) {
    Participant p;
    p.info = join_meeting(port, "shared-room", "P" + std::to_string(i));
    p.client = std::make_unique<WsClient>(port, "/ws?token=" + p.info.token);
    p.client->join();
    people.push_back(std::move(p));
  }
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> next_expected;
  exchange_rounds(people, 10, 8, next_expected);

  // Weighted round-robin: with 2 shards (weight 2 each) the relay thread keeps the 1st and the
  // 6th of every 5; the other 4 of 6 are on shards.
  const std::string metrics = http_request(port, "GET", "/metrics").body;
  EXPECT_EQ(metric(metrics, "videocall_egress_shards"), static_cast<uint64_t>(threads - 1));
  EXPECT_EQ(metric(metrics, "videocall_egress_shard_receivers"), threads == 1 ? 0u : 4u);
  if (threads > 1) {
    EXPECT_GT(metric(metrics, "videocall_egress_shard_batches_total"), 0u);
  }
  EXPECT_EQ(metric(metrics, "videocall_egress_shard_write_failures_total"), 0u);

  // One participant on a shard (the second joined) drops its connection: the server notices at
  // once (the others see it reconnecting) and the rest go on.
  people[1].client->drop();
  const uint64_t gone = people[1].info.participant_id;
  people.erase(people.begin() + 1);
  for (auto& p : people) {
    ASSERT_TRUE(p.client->read_control_until([&](const v1::Control& c) {
      return c.has_participant_updated() &&
             c.participant_updated().participant().participant_id() == gone &&
             c.participant_updated().participant().connection_state() ==
                 v1::CONNECTION_STATE_RECONNECTING;
    }));
  }
  next_expected.clear();
  exchange_rounds(people, 5, 8, next_expected);
  EXPECT_EQ(server.terminate(), 0);
}

INSTANTIATE_TEST_SUITE_P(Threads, ServerThreads, ::testing::Values(1, 3),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

}  // namespace
}  // namespace vc::test
