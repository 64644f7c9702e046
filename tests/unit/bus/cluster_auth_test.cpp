// A rogue client of the bus (it can publish and subscribe to anything, but does not know the
// deployment's secret) cannot inject media, fake members, make real ones leave, or replay what
// genuine nodes sent. And a genuine node cannot send media for a member another node owns.
#include <chrono>

#include "cluster_fixture.hpp"
#include "server/bus/bus_auth.hpp"

namespace vc::bus {
namespace {

using namespace test;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Records everything published on the bus, like a rogue NATS client subscribed to `>`.
class Sniffer : public BusHandler {
 public:
  explicit Sniffer(LocalBusHub& hub) : bus(hub) {
    bus.set_handler(this);
    bus.subscribe("vc.>");
  }
  void on_bus_message(std::string_view subject, std::span<const uint8_t> data) override {
    captured.push_back({std::string(subject), {data.begin(), data.end()}});
  }
  void on_bus_state(bool) override {}
  void on_bus_gap() override {}

  // The last captured message of `type` from node `from` (ids below 256 in these tests).
  std::pair<std::string, std::vector<uint8_t>> last(MessageType type, uint64_t from) {
    for (auto it = captured.rbegin(); it != captured.rend(); ++it) {
      if (it->second.size() > 3 && it->second[2] == static_cast<uint8_t>(type) &&
          it->second[3] == from) {
        return *it;
      }
    }
    ADD_FAILURE() << "nothing captured";
    return {};
  }

  LocalBus bus;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> captured;
};

std::vector<uint8_t> without_trailer(std::vector<uint8_t> message) {
  message.resize(message.size() - kAuthTrailerBytes);
  return message;
}

class ClusterAuthTest : public ClusterTest {
 protected:
  ClusterAuthTest() {
    a().join(ada, 1, "Ada");
    b().join(bob, 3, "Bob");
    settle();
    b().send_video(3);
    settle();
    EXPECT_EQ(ada.media_count_from(3), 1);
  }
  void inject(const std::string& subject, const std::vector<uint8_t>& data) {
    rogue.bus.publish(subject, data);
    settle();
  }

  Recorder ada, bob;
  Sniffer rogue{hub_};
};

TEST_F(ClusterAuthTest, ForgedMessagesWithoutTheKeyAreIgnoredAndCounted) {
  const auto [media_subject, genuine_media] = rogue.last(MessageType::kMedia, 0xB);
  // Bob's media as a genuine node encodes it, but without (or with a wrong) authentication.
  inject(media_subject, without_trailer(genuine_media));
  BusAuthenticator wrong_key(std::vector<uint8_t>{1, 2, 3});
  std::vector<uint8_t> resealed = without_trailer(genuine_media);
  wrong_key.seal(media_subject, resealed, unix_ms());
  inject(media_subject, resealed);

  // A member upsert taking over Ada (it would close her with 4409), and a leave for Bob.
  v1::Participant mallory;
  mallory.set_participant_id(1);
  mallory.set_display_name("Mallory");
  std::vector<uint8_t> upsert;
  encode_member_upsert(0xB, mallory, UINT64_MAX / 2, upsert);
  const std::string control_subject = Subjects().room_control("demo");
  inject(control_subject, upsert);
  std::vector<uint8_t> left;
  encode_member_left(0xB, 3, v1::LEAVE_REASON_LEFT, left);
  wrong_key.seal(control_subject, left, unix_ms());
  inject(control_subject, left);

  EXPECT_EQ(ada.media_count_from(3), 1) << "no forged media";
  EXPECT_EQ(ada.closed_code, 0u) << "Ada was not replaced";
  EXPECT_EQ(ada.roster.count(3), 1u) << "Bob did not leave";
  EXPECT_EQ(ada.roster.at(3).display_name(), "Bob");
  EXPECT_EQ(a().cluster.stats().rejected_unauthenticated, 4u);

  b().send_video(3);
  settle();
  EXPECT_EQ(ada.media_count_from(3), 2) << "the real member keeps its media";
}

TEST_F(ClusterAuthTest, ReplayedGenuineMessagesAreRejected) {
  const auto [media_subject, genuine_media] = rogue.last(MessageType::kMedia, 0xB);
  inject(media_subject, genuine_media);
  EXPECT_EQ(ada.media_count_from(3), 1);
  const auto snapshot = rogue.last(MessageType::kSnapshot, 0xB);  // announced Bob
  inject(snapshot.first, snapshot.second);
  EXPECT_EQ(a().cluster.stats().rejected_replayed, 2u);
  // Moved to another subject, the tag no longer matches.
  inject(Subjects().room_control("demo"), genuine_media);
  EXPECT_EQ(a().cluster.stats().rejected_unauthenticated, 1u);
}

TEST_F(ClusterAuthTest, MediaOnlyFromTheNodeThatOwnsThePublisher) {
  // A node with the key (node C) sends media as Bob, who is on node B.
  const auto [media_subject, genuine_media] = rogue.last(MessageType::kMedia, 0xB);
  std::vector<uint8_t> as_node_c = without_trailer(genuine_media);
  for (int i = 0; i < 8; ++i) as_node_c[3 + i] = static_cast<uint8_t>(uint64_t{0xC} >> (8 * i));
  BusAuthenticator node_c_key(kTestSecret);
  std::vector<uint8_t> ignored;
  for (int i = 0; i < 100; ++i) node_c_key.seal("x", ignored, 0);  // past C's real sequence numbers
  node_c_key.seal(media_subject, as_node_c, unix_ms());
  inject(media_subject, as_node_c);
  EXPECT_EQ(ada.media_count_from(3), 1);
  EXPECT_EQ(a().cluster.stats().rejected_not_owner, 1u);
}

}  // namespace
}  // namespace vc::bus
