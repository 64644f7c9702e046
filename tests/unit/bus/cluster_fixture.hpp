// Test fixture for the Cluster tests: several server nodes in one process, each with its own rooms
// and Cluster, connected by a LocalBusHub. Time is simulated; the "network" runs when the test
// calls settle().
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "server/bus/cluster.hpp"
#include "server/bus/local_bus.hpp"

namespace vc::bus::test {

using namespace std::chrono_literals;

class Recorder : public room::Endpoint {
 public:
  void on_queue_ready() override {
    while (FrameRef frame = queue().pop()) {
      DecodedEnvelope decoded;
      ASSERT_EQ(decode_envelope(frame->bytes(), SIZE_MAX, decoded), EnvelopeError::kNone);
      if (decoded.body == DecodedEnvelope::Body::kMedia) {
        media_from.push_back(decoded.header.sender_participant_id());
      } else {
        apply(decoded.control);
      }
    }
  }
  void close_with_error(uint32_t code, std::string_view) override { closed_code = code; }

  // The roster as this client would render it, with a count of joins and leaves per id.
  void apply(const v1::Control& control) {
    control_log.push_back(control);
    switch (control.message_case()) {
      case v1::Control::kJoinAccepted:
        self = control.join_accepted().self();
        for (const auto& p : control.join_accepted().roster()) roster[p.participant_id()] = p;
        break;
      case v1::Control::kParticipantJoined: {
        const auto& p = control.participant_joined().participant();
        EXPECT_EQ(roster.count(p.participant_id()), 0u) << "duplicate tile " << p.participant_id();
        roster[p.participant_id()] = p;
        ++joins[p.participant_id()];
        break;
      }
      case v1::Control::kParticipantUpdated: {
        const auto& p = control.participant_updated().participant();
        if (p.participant_id() == self.participant_id()) {  // a host changed our role or media
          self = p;
          break;
        }
        EXPECT_EQ(roster.count(p.participant_id()), 1u)
            << "update for unknown " << p.participant_id();
        roster[p.participant_id()] = p;
        break;
      }
      case v1::Control::kParticipantLeft:
        roster.erase(control.participant_left().participant_id());
        ++leaves[control.participant_left().participant_id()];
        break;
      case v1::Control::kKeyframeRequest:
        ++keyframe_requests;
        break;
      default:
        break;
    }
  }
  int media_count_from(uint64_t id) const {
    return static_cast<int>(std::count(media_from.begin(), media_from.end(), id));
  }
  v1::ConnectionState state_of(uint64_t id) const {
    auto it = roster.find(id);
    return it == roster.end() ? v1::CONNECTION_STATE_UNSPECIFIED : it->second.connection_state();
  }

  std::map<uint64_t, v1::Participant> roster;
  v1::Participant self;  // from JoinAccepted and updates about ourselves
  std::map<uint64_t, int> joins;
  std::map<uint64_t, int> leaves;
  std::vector<uint64_t> media_from;
  std::vector<v1::Control> control_log;
  int keyframe_requests = 0;
  uint32_t closed_code = 0;
};

// The secret every node of the test deployment shares.
inline const std::vector<uint8_t> kTestSecret = {'t', 'e', 's', 't'};

inline ClusterConfig with_test_secret() {
  ClusterConfig config;
  config.auth_secret = kTestSecret;
  return config;
}

class Node : public RoomDirectory {
 public:
  Node(LocalBusHub& hub, room::NowFn now, uint64_t id, ClusterConfig config = with_test_secret())
      : now_(now), bus(hub), cluster(bus, *this, now, id, std::move(config)) {
    cluster.start();
  }
  room::Room* find_room(const std::string& meeting) override {
    auto it = rooms.find(meeting);
    return it == rooms.end() ? nullptr : it->second.get();
  }
  room::JoinResult join(Recorder& endpoint, uint64_t id, const std::string& name,
                        v1::ParticipantRole role = v1::PARTICIPANT_ROLE_PARTICIPANT,
                        const std::string& subject = {}) {
    auto& slot = rooms["demo"];
    if (!slot) slot = std::make_unique<room::Room>("demo", now_, &cluster);
    room::JoinRequest request;
    request.identity = room::Identity{id, name, role, subject};
    request.session_id = id * 100 + (++sessions_);
    return slot->join(endpoint, request);
  }
  room::Room& demo() { return *rooms.at("demo"); }
  void send_video(uint64_t from) {
    v1::Control publish;  // repeated publishes of the same track change nothing
    v1::Track* track = publish.mutable_publish_track()->mutable_track();
    track->set_track_id(2);
    track->set_source(v1::TRACK_SOURCE_CAMERA);
    track->set_kind(v1::MEDIA_KIND_VIDEO);
    demo().on_control(from, publish);
    v1::MediaHeader header;
    header.set_kind(v1::MEDIA_KIND_VIDEO);
    header.set_track_id(2);
    header.set_keyframe(true);
    const uint8_t payload[2] = {1, 2};
    demo().on_media(from, header, payload);
  }
  void tick() {
    cluster.on_tick();
    for (auto& [id, r] : rooms) r->on_timer();
  }

 private:
  room::NowFn now_;
  uint64_t sessions_ = 0;

 public:
  LocalBus bus;
  std::map<std::string, std::unique_ptr<room::Room>> rooms;
  Cluster cluster;
};

class ClusterTest : public ::testing::Test {
 protected:
  ClusterTest() {
    for (uint64_t id : {0xA, 0xB, 0xC}) {
      nodes_.push_back(std::make_unique<Node>(
          hub_, [this] { return now_; }, id));
    }
    settle();
  }
  Node& a() { return *nodes_[0]; }
  Node& b() { return *nodes_[1]; }
  Node& c() { return *nodes_[2]; }

  void settle() {
    while (hub_.deliver_all() > 0) {
    }
  }
  // Advances simulated time in 100 ms steps, ticking every live node and running the network.
  void advance(std::chrono::milliseconds duration) {
    for (auto t = 0ms; t < duration; t += 100ms) {
      now_ += 100ms;
      for (auto& node : nodes_) {
        if (node) node->tick();
      }
      settle();
    }
  }
  // Steps until `done()` holds; returns the time it took, or nullopt past `deadline`.
  template <typename Pred>
  std::optional<std::chrono::milliseconds> wait_for(Pred done, std::chrono::milliseconds deadline) {
    for (auto waited = 0ms; waited <= deadline; waited += 100ms) {
      if (done()) return waited;
      advance(100ms);
    }
    return std::nullopt;
  }

  room::TimePoint now_{};
  LocalBusHub hub_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace vc::bus::test
