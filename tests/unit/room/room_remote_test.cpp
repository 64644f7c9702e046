// Room with remote members (participants on other server nodes): what local receivers see and
// what the room reports to the cross-node bus.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "recorder.hpp"
#include "server/room/room.hpp"

namespace vc::room {
namespace {

using test::Recorder;

class BusRecorder : public RoomObserver {
 public:
  void on_local_member_changed(const Room&, const v1::Participant& info, uint64_t) override {
    changed.push_back(info);
  }
  void on_local_member_left(const Room&, uint64_t id, v1::LeaveReason) override {
    left.push_back(id);
  }
  void on_local_media(const Room&, const FrameRef& frame) override { media.push_back(frame); }
  void on_remote_keyframe_request(const Room&, uint64_t node,
                                  const v1::KeyframeRequest& request) override {
    keyframe_nodes.push_back(node);
    keyframe_requests.push_back(request);
  }
  std::vector<v1::Participant> changed;
  std::vector<uint64_t> left;
  std::vector<FrameRef> media;
  std::vector<uint64_t> keyframe_nodes;
  std::vector<v1::KeyframeRequest> keyframe_requests;
};

constexpr uint64_t kNodeB = 0xB;
constexpr uint64_t kNodeC = 0xC;

RemoteMember remote(uint64_t node, uint64_t id, const std::string& name, uint64_t claim_us = 100) {
  RemoteMember member;
  member.node_id = node;
  member.info.set_participant_id(id);
  member.info.set_display_name(name);
  member.info.set_role(v1::PARTICIPANT_ROLE_PARTICIPANT);
  member.info.set_connection_state(v1::CONNECTION_STATE_CONNECTED);
  v1::Track* camera = member.info.add_tracks();  // announced by its node
  camera->set_track_id(2);
  camera->set_source(v1::TRACK_SOURCE_CAMERA);
  camera->set_kind(v1::MEDIA_KIND_VIDEO);
  member.claim_us = claim_us;
  return member;
}

FrameRef remote_video(uint64_t publisher, bool keyframe = true) {
  v1::MediaHeader header;
  header.set_kind(v1::MEDIA_KIND_VIDEO);
  header.set_track_id(2);
  header.set_keyframe(keyframe);
  header.set_sender_participant_id(publisher);
  const uint8_t payload[3] = {1, 2, 3};
  return encode_media(header, payload);
}

class RoomRemoteTest : public ::testing::Test {
 protected:
  RoomRemoteTest()
      : room_(
            "demo", [this] { return now_; }, &bus_) {}

  JoinResult join(Recorder& endpoint, uint64_t id, const std::string& name) {
    JoinRequest request;
    request.identity = Identity{id, name, v1::PARTICIPANT_ROLE_PARTICIPANT};
    request.session_id = ++sessions_;
    return room_.join(endpoint, request);
  }
  void send_video(uint64_t from) {
    v1::Control publish;
    v1::Track* track = publish.mutable_publish_track()->mutable_track();
    track->set_track_id(2);
    track->set_source(v1::TRACK_SOURCE_CAMERA);
    track->set_kind(v1::MEDIA_KIND_VIDEO);
    room_.on_control(from, publish);  // an update after the first time: no change for peers
    v1::MediaHeader header;
    header.set_kind(v1::MEDIA_KIND_VIDEO);
    header.set_track_id(2);
    header.set_keyframe(true);
    const uint8_t payload[1] = {7};
    room_.on_media(from, header, payload);
  }

  TimePoint now_{};
  uint64_t sessions_ = 0;
  BusRecorder bus_;
  Room room_;
};

TEST_F(RoomRemoteTest, RemoteMembersAppearInRosterAndJoinAccepted) {
  Recorder a, b;
  join(a, 1, "Ada");
  room_.upsert_remote(remote(kNodeB, 2, "Bob"));
  ASSERT_EQ(a.count(v1::Control::kParticipantJoined), 1);
  EXPECT_EQ(a.last().participant_joined().participant().display_name(), "Bob");
  EXPECT_EQ(room_.participant_count(), 2u);
  EXPECT_EQ(room_.remote_member_count(), 1u);
  EXPECT_EQ(room_.local_member_count(), 1u);

  join(b, 3, "Cy");
  ASSERT_TRUE(b.control[0].has_join_accepted());
  EXPECT_EQ(b.control[0].join_accepted().roster_size(), 2) << "local Ada and remote Bob";
  // Only local members are announced to the bus.
  ASSERT_EQ(bus_.changed.size(), 2u);
  EXPECT_EQ(bus_.changed[1].participant_id(), 3u);
}

TEST_F(RoomRemoteTest, RemoteMediaReachesLocalReceiversOnly) {
  Recorder a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bea");
  room_.upsert_remote(remote(kNodeB, 5, "Bob"));
  EXPECT_EQ(room_.on_remote_media(remote_video(5), kNodeB), RemoteMediaResult::kForwarded);
  ASSERT_EQ(a.media.size(), 1u);
  ASSERT_EQ(b.media.size(), 1u);
  EXPECT_EQ(a.media[0].sender_participant_id(), 5u);
  EXPECT_EQ(room_.stats().remote_media_in, 1u);
  EXPECT_EQ(room_.on_remote_media(remote_video(99), kNodeB), RemoteMediaResult::kUnknownPublisher)
      << "unknown publisher asks for a resync";
  EXPECT_EQ(a.media.size(), 1u);
  // Only the node that owns Bob is heard for Bob's media (another node forging it is not).
  EXPECT_EQ(room_.on_remote_media(remote_video(5), kNodeB + 1), RemoteMediaResult::kNotFromOwner);
  EXPECT_EQ(a.media.size(), 1u);
}

TEST_F(RoomRemoteTest, LocalMediaGoesToTheBusOnlyWhenSomeoneIsRemote) {
  Recorder a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bea");
  send_video(1);
  EXPECT_TRUE(bus_.media.empty()) << "a single-node room publishes nothing";
  room_.upsert_remote(remote(kNodeB, 5, "Bob"));
  send_video(1);
  ASSERT_EQ(bus_.media.size(), 1u);
  EXPECT_EQ(bus_.media[0]->meta().publisher_id, 1u);
  EXPECT_EQ(b.media.size(), 2u);
}

TEST_F(RoomRemoteTest, KeyframeRequestForRemotePublisherGoesToItsNodeCoalesced) {
  Recorder a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bea");
  room_.upsert_remote(remote(kNodeB, 5, "Bob"));
  ASSERT_EQ(room_.on_remote_media(remote_video(5), kNodeB),
            RemoteMediaResult::kForwarded);  // Bob's track is known here
  v1::Control request;
  request.mutable_keyframe_request()->set_publisher_participant_id(5);
  request.mutable_keyframe_request()->set_kind(v1::MEDIA_KIND_VIDEO);
  request.mutable_keyframe_request()->set_track_id(2);
  room_.on_control(1, request);
  room_.on_control(2, request);
  ASSERT_EQ(bus_.keyframe_nodes.size(), 1u);
  EXPECT_EQ(bus_.keyframe_nodes[0], kNodeB);
  EXPECT_EQ(bus_.keyframe_requests[0].requester_participant_id(), 1u);
  EXPECT_EQ(a.count(v1::Control::kKeyframeRequest) + b.count(v1::Control::kKeyframeRequest), 0);
  EXPECT_EQ(room_.stats().keyframe_requests_coalesced, 1u);
}

TEST_F(RoomRemoteTest, RemoteKeyframeRequestReachesTheLocalPublisher) {
  Recorder a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bea");
  send_video(1);
  v1::KeyframeRequest request;
  request.set_publisher_participant_id(1);
  request.set_kind(v1::MEDIA_KIND_VIDEO);
  request.set_track_id(2);
  request.set_requester_participant_id(5);
  room_.on_remote_keyframe_request(request);
  ASSERT_EQ(a.count(v1::Control::kKeyframeRequest), 1);
  EXPECT_EQ(a.last().keyframe_request().requester_participant_id(), 5u);
  EXPECT_EQ(b.count(v1::Control::kKeyframeRequest), 0);
  request.set_track_id(7);  // never sent by Ada
  room_.on_remote_keyframe_request(request);
  EXPECT_EQ(a.count(v1::Control::kKeyframeRequest), 1);
  EXPECT_EQ(room_.stats().keyframe_requests_unknown_track, 1u);
}

TEST_F(RoomRemoteTest, RemoteReceiveOnlyMemberIsAnnouncedFlagged) {
  Recorder a;
  join(a, 1, "Ada");
  RemoteMember recorder = remote(kNodeB, 9, "Recorder");
  recorder.info.set_receive_only(true);
  room_.upsert_remote(recorder);
  ASSERT_EQ(a.count(v1::Control::kParticipantJoined), 1);
  EXPECT_TRUE(a.last().participant_joined().participant().receive_only());
  EXPECT_EQ(room_.roster().size(), 2u);
  room_.remove_remote(kNodeB, 9, v1::LEAVE_REASON_LEFT);
  EXPECT_EQ(a.count(v1::Control::kParticipantLeft), 1);
}

TEST_F(RoomRemoteTest, MoveToAnotherNodeIsAnUpdateAndStaleMessagesAreIgnored) {
  Recorder a;
  join(a, 1, "Ada");
  room_.upsert_remote(remote(kNodeB, 5, "Bob", 100));
  room_.upsert_remote(remote(kNodeC, 5, "Bob", 200));  // resumed on node C
  room_.upsert_remote(remote(kNodeB, 5, "Bob", 100));  // late message from node B
  room_.remove_remote(kNodeB, 5, v1::LEAVE_REASON_TIMED_OUT);
  EXPECT_EQ(a.count(v1::Control::kParticipantJoined), 1);
  EXPECT_EQ(a.count(v1::Control::kParticipantLeft), 0);
  EXPECT_EQ(room_.participant_count(), 2u);
  room_.remove_remote(kNodeC, 5, v1::LEAVE_REASON_LEFT);
  EXPECT_EQ(a.count(v1::Control::kParticipantLeft), 1);
  EXPECT_EQ(room_.remote_member_count(), 0u);
}

TEST_F(RoomRemoteTest, LocalMemberInGraceResumedElsewhereBecomesRemoteWithoutLeave) {
  Recorder a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bea");
  room_.disconnect(2, b);
  RemoteMember moved = remote(kNodeB, 2, "Bea", UINT64_MAX);
  room_.upsert_remote(moved);
  EXPECT_EQ(room_.remote_member_count(), 1u);
  now_ += limits::kReconnectGrace * 2;
  room_.on_timer();
  EXPECT_EQ(a.count(v1::Control::kParticipantLeft), 0);
  EXPECT_TRUE(bus_.left.empty()) << "a move is not a leave";
  EXPECT_EQ(a.last().participant_updated().participant().connection_state(),
            v1::CONNECTION_STATE_CONNECTED);
}

TEST_F(RoomRemoteTest, NewerClaimElsewhereReplacesTheLiveLocalConnection) {
  Recorder a, b;
  join(a, 1, "Ada");
  join(b, 2, "Bea");
  room_.upsert_remote(remote(kNodeB, 2, "Bea", 1));  // older than ours: we keep it, re-announce
  EXPECT_EQ(b.closed_code, 0u);
  EXPECT_EQ(room_.local_member_count(), 2u);
  EXPECT_EQ(bus_.changed.back().participant_id(), 2u);
  room_.upsert_remote(remote(kNodeB, 2, "Bea", UINT64_MAX));
  EXPECT_EQ(b.closed_code, 4409u);
  EXPECT_EQ(room_.local_member_count(), 1u);
  EXPECT_EQ(a.count(v1::Control::kParticipantLeft), 0);
}

TEST_F(RoomRemoteTest, LostNodeMembersReconnectThenLeaveUnlessTheyResume) {
  Recorder a;
  join(a, 1, "Ada");
  room_.upsert_remote(remote(kNodeB, 5, "Bob", 100));
  room_.upsert_remote(remote(kNodeB, 6, "Bo", 100));
  room_.remote_node_lost(kNodeB, std::chrono::milliseconds(2000));
  EXPECT_EQ(a.count(v1::Control::kParticipantUpdated), 2);
  EXPECT_EQ(a.last().participant_updated().participant().connection_state(),
            v1::CONNECTION_STATE_RECONNECTING);
  now_ += std::chrono::milliseconds(1000);
  room_.upsert_remote(remote(kNodeC, 6, "Bo", 200));  // resumed through node C
  now_ += std::chrono::milliseconds(1000);
  room_.on_timer();
  ASSERT_EQ(a.count(v1::Control::kParticipantLeft), 1);
  EXPECT_EQ(a.last().participant_left().participant_id(), 5u);
  EXPECT_EQ(room_.participant_count(), 2u);
}

TEST_F(RoomRemoteTest, SnapshotRemovesMembersTheNodeNoLongerHas) {
  Recorder a;
  join(a, 1, "Ada");
  room_.upsert_remote(remote(kNodeB, 5, "Bob"));
  room_.upsert_remote(remote(kNodeB, 6, "Bo"));
  room_.upsert_remote(remote(kNodeC, 7, "Cy"));
  const std::vector<RemoteMember> snapshot = {remote(kNodeB, 6, "Bo"), remote(kNodeB, 8, "New")};
  room_.sync_remote_node(kNodeB, snapshot);
  EXPECT_EQ(a.count(v1::Control::kParticipantLeft), 1);
  EXPECT_EQ(room_.remote_member_count(), 3u);  // 6, 7, 8
  EXPECT_EQ(a.count(v1::Control::kParticipantJoined), 4);
}

TEST_F(RoomRemoteTest, LastLocalLeavingForgetsRemoteMembers) {
  Recorder a;
  join(a, 1, "Ada");
  room_.upsert_remote(remote(kNodeB, 5, "Bob"));
  room_.leave(1, v1::LEAVE_REASON_LEFT);
  EXPECT_TRUE(room_.empty());
  ASSERT_EQ(bus_.left.size(), 1u);
  room_.upsert_remote(remote(kNodeB, 6, "Bo"));
  EXPECT_TRUE(room_.empty()) << "no local member: nothing to track";
}

TEST_F(RoomRemoteTest, RemoteParticipantReconnectingHereResumesItsIdentity) {
  Recorder a, b;
  join(a, 1, "Ada");
  room_.upsert_remote(remote(kNodeB, 5, "Bob"));
  EXPECT_EQ(join(b, 5, "Bob"), JoinResult::kResumed);
  EXPECT_TRUE(b.control[0].join_accepted().resumed());
  EXPECT_EQ(room_.remote_member_count(), 0u);
  EXPECT_EQ(a.count(v1::Control::kParticipantJoined), 1);
  EXPECT_EQ(a.count(v1::Control::kParticipantUpdated), 1);
  EXPECT_EQ(bus_.changed.back().participant_id(), 5u);
  // Late media from node B for a participant now local is not forwarded twice.
  EXPECT_EQ(room_.on_remote_media(remote_video(5), kNodeB), RemoteMediaResult::kPublisherIsLocal);
  EXPECT_TRUE(a.media.empty());
}

}  // namespace
}  // namespace vc::room
