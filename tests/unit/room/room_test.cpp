#include "server/room/room.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "recorder.hpp"

namespace vc::room {
namespace {

using RecordingEndpoint = test::Recorder;

class RoomTest : public ::testing::Test {
 protected:
  RoomTest() : room_("demo", [this] { return now_; }) {}

  JoinResult join(RecordingEndpoint& endpoint, uint64_t id, std::string name,
                  bool receive_only = false,
                  v1::ParticipantRole role = v1::PARTICIPANT_ROLE_PARTICIPANT) {
    JoinRequest request;
    request.identity = Identity{id, std::move(name), role};
    request.session_id = ++session_counter_;
    request.receive_only = receive_only;
    return room_.join(endpoint, request);
  }

  // Publishes `from`'s camera (track 2) once, as a client does before its first frame.
  void publish_camera(uint64_t from) {
    if (std::find(published_.begin(), published_.end(), from) != published_.end()) return;
    published_.push_back(from);
    v1::Control control;
    v1::Track* track = control.mutable_publish_track()->mutable_track();
    track->set_track_id(kCameraTrack);
    track->set_source(v1::TRACK_SOURCE_CAMERA);
    track->set_kind(v1::MEDIA_KIND_VIDEO);
    room_.on_control(from, control);
  }

  void send_video(uint64_t from, bool keyframe, const std::string& payload,
                  uint64_t forged_sender = 0) {
    publish_camera(from);
    v1::MediaHeader header;
    header.set_kind(v1::MEDIA_KIND_VIDEO);
    header.set_track_id(kCameraTrack);
    header.set_keyframe(keyframe);
    header.set_sender_participant_id(forged_sender);
    room_.on_media(from, header,
                   {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
  }

  static constexpr uint32_t kCameraTrack = 2;
  TimePoint now_{};
  uint64_t session_counter_ = 0;
  std::vector<uint64_t> published_;
  Room room_;
};

TEST_F(RoomTest, JoinSendsRosterAndAnnouncesToOthers) {
  RecordingEndpoint a, b;
  EXPECT_EQ(join(a, 1, "Ada"), JoinResult::kJoined);
  ASSERT_EQ(a.control.size(), 1u);
  EXPECT_EQ(a.control[0].join_accepted().participant_id(), 1u);
  EXPECT_EQ(a.control[0].join_accepted().roster_size(), 0);

  join(b, 2, "Bob");
  ASSERT_TRUE(b.control[0].has_join_accepted());
  ASSERT_EQ(b.control[0].join_accepted().roster_size(), 1);
  EXPECT_EQ(b.control[0].join_accepted().roster(0).display_name(), "Ada");
  ASSERT_EQ(a.control.size(), 2u);
  EXPECT_EQ(a.control[1].participant_joined().participant().participant_id(), 2u);
  EXPECT_EQ(room_.participant_count(), 2u);
}

TEST_F(RoomTest, MediaReachesOthersNotSenderWithServerStampedIdentity) {
  RecordingEndpoint a, b, c;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  join(c, 3, "Cy");
  send_video(1, true, "key", /*forged_sender=*/3);
  EXPECT_TRUE(a.media.empty());
  ASSERT_EQ(b.media.size(), 1u);
  ASSERT_EQ(c.media.size(), 1u);
  EXPECT_EQ(b.media[0].sender_participant_id(), 1u);
  EXPECT_EQ(b.media[0].sender_session_id(), 1u);
  EXPECT_EQ(b.payloads[0], "key");
  EXPECT_EQ(room_.stats().frames_forwarded, 2u);
}

TEST_F(RoomTest, LeaveIsImmediateDisconnectWaitsForGrace) {
  RecordingEndpoint a, b, c;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  join(c, 3, "Cy");
  room_.on_control(2, [] {
    v1::Control l;
    l.mutable_leave();
    return l;
  }());
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_participant_left(); }), 1);

  room_.disconnect(3, c);
  EXPECT_EQ(a.count_control([](auto& m) {
    return m.has_participant_updated() &&
           m.participant_updated().participant().connection_state() ==
               v1::CONNECTION_STATE_RECONNECTING;
  }),
            1);
  now_ += limits::kReconnectGrace - std::chrono::milliseconds(1);
  room_.on_timer();
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_participant_left(); }), 1);
  now_ += std::chrono::milliseconds(1);
  room_.on_timer();
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_participant_left(); }), 2);
  EXPECT_EQ(room_.participant_count(), 1u);
}

TEST_F(RoomTest, ReconnectWithinGraceResumesWithoutLeaveOrJoin) {
  RecordingEndpoint a, b, b2;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  room_.disconnect(2, b);
  now_ += std::chrono::seconds(1);
  EXPECT_EQ(join(b2, 2, "Bob"), JoinResult::kResumed);
  EXPECT_TRUE(b2.control[0].join_accepted().resumed());
  now_ += limits::kReconnectGrace * 2;
  room_.on_timer();
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_participant_left(); }), 0);
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_participant_joined(); }), 1);
  // A stale disconnect from the old connection is ignored.
  room_.disconnect(2, b);
  EXPECT_EQ(room_.participant_count(), 2u);
  send_video(1, true, "k");
  EXPECT_EQ(b2.media.size(), 1u);
  EXPECT_TRUE(b.media.empty());
}

TEST_F(RoomTest, NewConnectionReplacesLiveOne) {
  RecordingEndpoint a, a2;
  join(a, 1, "Ada");
  EXPECT_EQ(join(a2, 1, "Ada"), JoinResult::kResumed);
  EXPECT_EQ(a.closed_code, 4409u);
  EXPECT_EQ(room_.participant_count(), 1u);
}

TEST_F(RoomTest, KeyframeRequestsAreTargetedAndCoalesced) {
  RecordingEndpoint a, b, c;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  join(c, 3, "Cy");
  auto request = [](uint64_t publisher) {
    v1::Control control;
    control.mutable_keyframe_request()->set_publisher_participant_id(publisher);
    control.mutable_keyframe_request()->set_kind(v1::MEDIA_KIND_VIDEO);
    control.mutable_keyframe_request()->set_track_id(kCameraTrack);
    return control;
  };
  auto keyframe_requests = [](const RecordingEndpoint& e) {
    return e.count_control([](auto& m) { return m.has_keyframe_request(); });
  };
  send_video(1, true, "k");  // Ada's camera track exists
  room_.on_control(2, request(1));
  room_.on_control(3, request(1));
  EXPECT_EQ(keyframe_requests(a), 1);
  EXPECT_EQ(keyframe_requests(b), 0);
  EXPECT_EQ(keyframe_requests(c), 0);
  now_ += limits::kKeyframeRequestCoalesceWindow;
  room_.on_control(3, request(1));
  EXPECT_EQ(keyframe_requests(a), 2);
  EXPECT_EQ(room_.stats().keyframe_requests_coalesced, 1u);
}

// An endpoint that never drains: its queue overflows.
class StuckEndpoint : public Endpoint {
 public:
  void on_queue_ready() override {}
  void close_with_error(uint32_t code, std::string_view) override { closed_code = code; }
  uint32_t closed_code = 0;
};

TEST_F(RoomTest, OverflowAsksThePublisherForOneKeyframe) {
  RecordingEndpoint a;
  StuckEndpoint slow;
  join(a, 1, "Ada");
  JoinRequest request;
  request.identity = Identity{2, "Slow", v1::PARTICIPANT_ROLE_PARTICIPANT};
  room_.join(slow, request);
  const std::string big(64 * 1024, 'v');
  for (int i = 0; i < 40; ++i) send_video(1, i == 0, big);
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_keyframe_request(); }), 1);
  EXPECT_GT(slow.queue().stats().dropped_video, 0u);
  EXPECT_EQ(slow.closed_code, 0u) << "video overflow alone never disconnects";
}

TEST_F(RoomTest, ReceiveOnlyIsInTheRosterFlaggedAndCannotPublish) {
  RecordingEndpoint a, recorder, late;
  join(a, 1, "Ada");
  join(recorder, 9, "Recorder", /*receive_only=*/true);
  ASSERT_EQ(a.count_control([](auto& m) { return m.has_participant_joined(); }), 1);
  EXPECT_TRUE(a.control.back().participant_joined().participant().receive_only());
  EXPECT_EQ(room_.participant_count(), 2u);
  ASSERT_EQ(room_.roster().size(), 2u);
  EXPECT_TRUE(room_.roster()[1].receive_only());
  join(late, 3, "Late");
  const auto& roster = late.control[0].join_accepted().roster();
  EXPECT_EQ(std::count_if(roster.begin(), roster.end(), [](auto& p) { return p.receive_only(); }),
            1);
  send_video(1, true, "k");
  EXPECT_EQ(recorder.media.size(), 1u);
  send_video(9, true, "k");
  EXPECT_TRUE(a.media.empty());
  room_.leave(9, v1::LEAVE_REASON_LEFT);
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_participant_left(); }), 1);
}

// Drains its queue without decoding: for rooms with many members.
class DiscardingEndpoint : public Endpoint {
 public:
  void on_queue_ready() override {
    while (queue().pop()) {
    }
  }
  void close_with_error(uint32_t, std::string_view) override {}
};

TEST_F(RoomTest, ReceiveOnlyMembersCountTowardTheRoomLimit) {
  std::vector<DiscardingEndpoint> viewers(limits::kMaxParticipantsPerRoom);
  for (std::size_t i = 0; i < viewers.size(); ++i) {
    JoinRequest request;
    request.identity = Identity{100 + i, "Viewer", v1::PARTICIPANT_ROLE_PARTICIPANT};
    request.receive_only = true;
    ASSERT_EQ(room_.join(viewers[i], request), JoinResult::kJoined);
  }
  RecordingEndpoint a;
  EXPECT_EQ(join(a, 1, "Ada"), JoinResult::kRoomFull);
}

TEST_F(RoomTest, WaitingParticipantsReceiveNoMedia) {
  RecordingEndpoint a, waiting;
  join(a, 1, "Ada");
  join(waiting, 2, "Wait", false, v1::PARTICIPANT_ROLE_WAITING);
  send_video(1, true, "k");
  EXPECT_TRUE(waiting.media.empty());
}

TEST_F(RoomTest, SecondHelloIsAProtocolViolation) {
  RecordingEndpoint a;
  join(a, 1, "Ada");
  v1::Control hello;
  hello.mutable_hello()->set_protocol_version(v1::PROTOCOL_VERSION_1);
  room_.on_control(1, hello);
  EXPECT_EQ(a.closed_code, 4405u);
}

// --- Control floods (docs/PROTOCOL.md §4a) ---

v1::Control keyframe_request(uint64_t publisher, uint32_t track,
                             v1::MediaKind kind = v1::MEDIA_KIND_VIDEO) {
  v1::Control control;
  control.mutable_keyframe_request()->set_publisher_participant_id(publisher);
  control.mutable_keyframe_request()->set_kind(kind);
  control.mutable_keyframe_request()->set_track_id(track);
  return control;
}

v1::Control media_state(bool mic_on) {
  v1::Control control;
  control.mutable_media_state()->set_mic_on(mic_on);
  return control;
}

int keyframe_requests(const RecordingEndpoint& e) {
  return e.count_control([](auto& m) { return m.has_keyframe_request(); });
}

int updates(const RecordingEndpoint& e) {
  return e.count_control([](auto& m) { return m.has_participant_updated(); });
}

TEST_F(RoomTest, KeyframeRequestsForTracksThePublisherNeverSentAreDropped) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  send_video(1, true, "k");  // track 2
  // Slower than the control rate, so only the track check is at work.
  for (uint32_t track = 3; track <= 1002; ++track) {
    room_.on_control(2, keyframe_request(1, track));
    now_ += std::chrono::milliseconds(100);
  }
  EXPECT_EQ(keyframe_requests(a), 0) << "none of those tracks exists";
  EXPECT_EQ(room_.stats().keyframe_requests_unknown_track, 1000u);
  room_.on_control(2, keyframe_request(1, kCameraTrack));
  EXPECT_EQ(keyframe_requests(a), 1);
}

TEST_F(RoomTest, PublishedTracksAreBounded) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  for (uint32_t track = 1; track <= 100; ++track) {
    v1::Control control;
    v1::Track* published = control.mutable_publish_track()->mutable_track();
    published->set_track_id(track);
    published->set_source(v1::TRACK_SOURCE_CAMERA);
    published->set_kind(v1::MEDIA_KIND_VIDEO);
    room_.on_control(1, control);
    now_ += std::chrono::milliseconds(100);  // within the control rate
    v1::MediaHeader header;
    header.set_kind(v1::MEDIA_KIND_VIDEO);
    header.set_track_id(track);
    header.set_keyframe(true);
    const uint8_t payload[1] = {1};
    room_.on_media(1, header, payload);
  }
  EXPECT_EQ(b.media.size(), limits::kMaxTracksPerPublisher) << "only published tracks carry media";
  EXPECT_EQ(room_.stats().tracks_refused, 100 - limits::kMaxTracksPerPublisher);
  room_.on_control(2, keyframe_request(1, limits::kMaxTracksPerPublisher));
  EXPECT_EQ(keyframe_requests(a), 1);
  room_.on_control(2, keyframe_request(1, limits::kMaxTracksPerPublisher + 1));
  EXPECT_EQ(keyframe_requests(a), 1) << "never published, so not requestable";
}

TEST_F(RoomTest, ControlAtTheRateLimitIsNeverDropped) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  const auto interval = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(1.0 / limits::kControlRatePerSecond));
  for (int i = 0; i < 1000; ++i) {
    room_.on_control(2, media_state(i % 2 == 0));
    now_ += interval;
  }
  EXPECT_EQ(updates(a), 1000);
  EXPECT_EQ(room_.stats().control_messages_dropped, 0u);
}

TEST_F(RoomTest, ControlFloodIsDroppedOverTheBurstThenClosed) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  const auto burst = static_cast<int>(limits::kControlBurst);
  for (int i = 0; i < burst; ++i) room_.on_control(2, media_state(i % 2 == 0));
  EXPECT_EQ(updates(a), burst);
  room_.on_control(2, media_state(true));
  EXPECT_EQ(updates(a), burst) << "over the burst: dropped, not broadcast";
  EXPECT_EQ(room_.stats().control_messages_dropped, 1u);
  EXPECT_EQ(b.closed_code, 0u) << "a burst alone is not abuse";

  for (std::size_t i = 0; i < limits::kControlFloodDrops; ++i)
    room_.on_control(2, media_state(i % 2));
  EXPECT_EQ(b.closed_code, 4429u);
  EXPECT_EQ(room_.stats().control_flood_closes, 1u);
  EXPECT_EQ(a.count_control([](auto& m) { return m.has_participant_left(); }), 1);
  EXPECT_EQ(room_.participant_count(), 1u);
}

TEST_F(RoomTest, FloodClosedParticipantCannotRejoinWithAFullBudgetUntilTheWindowEnds) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  const auto messages =
      static_cast<std::size_t>(limits::kControlBurst) + limits::kControlFloodDrops;
  for (std::size_t i = 0; i <= messages; ++i) room_.on_control(2, media_state(i % 2));
  ASSERT_EQ(b.closed_code, 4429u);
  RecordingEndpoint again;
  EXPECT_EQ(join(again, 2, "Bob"), JoinResult::kFloodCooldown) << "reconnecting refills nothing";
  EXPECT_EQ(room_.participant_count(), 1u);
  now_ += limits::kControlFloodWindow;
  EXPECT_EQ(join(again, 2, "Bob"), JoinResult::kJoined);
}

TEST_F(RoomTest, ResumedPublisherKeepsItsTracksForKeyframeRequests) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  send_video(1, true, "k");  // track 2
  RecordingEndpoint a_again;
  ASSERT_EQ(join(a_again, 1, "Ada"), JoinResult::kResumed);
  room_.on_control(2, keyframe_request(1, kCameraTrack));
  EXPECT_EQ(keyframe_requests(a_again), 1) << "a receiver that lost the track can still ask";
  EXPECT_EQ(room_.stats().keyframe_requests_unknown_track, 0u);
}

TEST_F(RoomTest, OversizedAudioIsNotAPublishedTrack) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  v1::MediaHeader header;
  header.set_kind(v1::MEDIA_KIND_AUDIO);
  header.set_track_id(7);
  const std::vector<uint8_t> payload(limits::kMaxAudioEnvelopeBytes + 1, 1);
  room_.on_media(1, header, payload);
  room_.on_control(2, keyframe_request(1, 7, v1::MEDIA_KIND_AUDIO));
  EXPECT_EQ(room_.stats().keyframe_requests_unknown_track, 1u);
}

TEST_F(RoomTest, ControlRateComesFromTheRoomSettings) {
  room_.set_control_rate({2, 1});
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  for (int i = 0; i < 3; ++i) room_.on_control(2, media_state(i % 2 == 0));
  EXPECT_EQ(updates(a), 2) << "a burst of 2, then dropped";
  EXPECT_EQ(room_.stats().control_messages_dropped, 1u);
}

TEST_F(RoomTest, UnchangedMediaStateIsNotBroadcast) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  room_.on_control(2, media_state(true));
  room_.on_control(2, media_state(true));
  EXPECT_EQ(updates(a), 1);
}

TEST_F(RoomTest, LeaveIsHonouredWithAnEmptyControlBudget) {
  RecordingEndpoint a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bob");
  for (int i = 0; i <= static_cast<int>(limits::kControlBurst); ++i) {
    room_.on_control(2, media_state(i % 2 == 0));
  }
  ASSERT_GT(room_.stats().control_messages_dropped, 0u);
  v1::Control leave;
  leave.mutable_leave();
  room_.on_control(2, leave);
  EXPECT_EQ(room_.participant_count(), 1u);
}

}  // namespace
}  // namespace vc::room
