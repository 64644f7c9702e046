// Grants enforcement in the room (docs/PROTOCOL.md §13), on virtual time: what a participant's
// token does not grant is dropped and counted, answered with one numeric Refused, and never reaches
// anyone, whether the participant is local or announced by another node.
#include <gtest/gtest.h>

#include "protocol/close_codes.hpp"
#include "recorder.hpp"
#include "server/room/room.hpp"

namespace vc::room {
namespace {

using test::Recorder;

constexpr uint64_t kNodeB = 0xB;

std::vector<v1::Refused> refused_of(const Recorder& r) {
  std::vector<v1::Refused> out;
  for (const auto& c : r.control) {
    if (c.has_refused()) out.push_back(c.refused());
  }
  return out;
}

v1::Grants all_but(void (v1::Grants::*clear)(bool)) {
  v1::Grants grants = role_default_grants(v1::PARTICIPANT_ROLE_PARTICIPANT);
  (grants.*clear)(false);
  return grants;
}

v1::Track track_of(v1::TrackSource source) {
  v1::Track track;
  switch (source) {
    case v1::TRACK_SOURCE_CAMERA:
      track.set_track_id(2);
      track.set_kind(v1::MEDIA_KIND_VIDEO);
      break;
    case v1::TRACK_SOURCE_MICROPHONE:
      track.set_track_id(1);
      track.set_kind(v1::MEDIA_KIND_AUDIO);
      break;
    default:
      track.set_track_id(3);
      track.set_kind(v1::MEDIA_KIND_SCREEN);
      break;
  }
  track.set_source(source);
  return track;
}

class RoomGrantsTest : public ::testing::Test {
 protected:
  RoomGrantsTest() : room_("demo", [this] { return now_; }) {}

  void join(Recorder& endpoint, uint64_t id, v1::Grants grants,
            v1::ParticipantRole role = v1::PARTICIPANT_ROLE_PARTICIPANT) {
    JoinRequest request;
    request.identity = Identity{id, "P" + std::to_string(id), role, {}, std::move(grants)};
    request.session_id = id * 10;
    request.media_state.set_mic_on(true);
    request.media_state.set_camera_on(true);
    room_.join(endpoint, request);
  }
  void publish(uint64_t from, v1::TrackSource source) {
    v1::Control control;
    *control.mutable_publish_track()->mutable_track() = track_of(source);
    room_.on_control(from, control);
  }
  // Publishes (as far as granted) and sends `frames` frames of `source`.
  void send(uint64_t from, v1::TrackSource source, int frames = 1) {
    publish(from, source);
    const v1::Track track = track_of(source);
    for (int i = 0; i < frames; ++i) {
      v1::MediaHeader header;
      header.set_kind(track.kind());
      header.set_track_id(track.track_id());
      header.set_keyframe(true);
      header.set_sequence(static_cast<uint32_t>(i));
      const uint8_t payload[2] = {1, 2};
      room_.on_media(from, header, payload);
    }
  }

  TimePoint now_{};
  Room room_;
};

struct SourceCase {
  v1::TrackSource source;
  void (v1::Grants::*clear)(bool);
  uint32_t code;
};

TEST_F(RoomGrantsTest, EachPublishGrantDropsThatSourceWithOneRefused) {
  const SourceCase cases[] = {
      {v1::TRACK_SOURCE_CAMERA, &v1::Grants::set_publish_camera, close_code::kNotGrantedCamera},
      {v1::TRACK_SOURCE_MICROPHONE, &v1::Grants::set_publish_microphone,
       close_code::kNotGrantedMicrophone},
      {v1::TRACK_SOURCE_SCREEN, &v1::Grants::set_publish_screen, close_code::kNotGrantedScreen},
  };
  uint64_t id = 1;
  for (const SourceCase& c : cases) {
    SCOPED_TRACE(c.code);
    Recorder sender, receiver;
    const uint64_t sender_id = id++, receiver_id = id++;
    join(sender, sender_id, all_but(c.clear));
    join(receiver, receiver_id, role_default_grants(v1::PARTICIPANT_ROLE_PARTICIPANT));
    const uint64_t dropped_before = room_.stats().media_not_granted;
    send(sender_id, c.source, 5);
    EXPECT_TRUE(receiver.media.empty()) << "nothing of an ungranted source is forwarded";
    EXPECT_EQ(room_.stats().media_not_granted - dropped_before, 5u);
    const auto refused = refused_of(sender);
    ASSERT_EQ(refused.size(), 2u) << "one for PublishTrack, one for the frames (not one each)";
    EXPECT_EQ(refused[0].code(), c.code);
    EXPECT_EQ(refused[0].request(), 12u);
    EXPECT_EQ(refused[1].code(), c.code);
    EXPECT_EQ(refused[1].request(), 0u);
    EXPECT_EQ(sender.closed_code, 0u) << "a refusal never closes the connection";
    // Granted sources of the same participant still flow.
    const v1::TrackSource other =
        c.source == v1::TRACK_SOURCE_CAMERA ? v1::TRACK_SOURCE_MICROPHONE : v1::TRACK_SOURCE_CAMERA;
    send(sender_id, other);
    EXPECT_EQ(receiver.media.size(), 1u);
    room_.leave(sender_id, v1::LEAVE_REASON_LEFT);
    room_.leave(receiver_id, v1::LEAVE_REASON_LEFT);
  }
}

TEST_F(RoomGrantsTest, MediaStateNeverShowsAnUngrantedSourceOn) {
  Recorder a, b;
  join(a, 1, all_but(&v1::Grants::set_publish_camera));
  join(b, 2, role_default_grants(v1::PARTICIPANT_ROLE_PARTICIPANT));
  const auto roster = room_.roster();
  EXPECT_FALSE(roster[0].camera_on());
  EXPECT_TRUE(roster[0].mic_on());
  EXPECT_FALSE(roster[0].grants().publish_camera()) << "peers and the client see the grants";
  v1::Control state;
  state.mutable_media_state()->set_camera_on(true);
  state.mutable_media_state()->set_mic_on(true);
  room_.on_control(1, state);
  EXPECT_FALSE(room_.roster()[0].camera_on());
  ASSERT_TRUE(a.control[0].has_join_accepted());
  EXPECT_FALSE(a.control[0].join_accepted().self().grants().publish_camera());
}

TEST_F(RoomGrantsTest, ViewerJoinsReceiveOnlyAndPublishesNothing) {
  Recorder viewer, host;
  join(viewer, 1, role_default_grants(v1::PARTICIPANT_ROLE_VIEWER), v1::PARTICIPANT_ROLE_VIEWER);
  join(host, 2, role_default_grants(v1::PARTICIPANT_ROLE_HOST), v1::PARTICIPANT_ROLE_HOST);
  EXPECT_TRUE(room_.roster()[0].receive_only());
  send(1, v1::TRACK_SOURCE_CAMERA, 3);
  EXPECT_TRUE(host.media.empty());
  ASSERT_FALSE(refused_of(viewer).empty());
  EXPECT_EQ(refused_of(viewer)[0].code(), close_code::kNotGrantedCamera);
  send(2, v1::TRACK_SOURCE_CAMERA);
  EXPECT_EQ(viewer.media.size(), 1u) << "a viewer receives";
}

TEST_F(RoomGrantsTest, WithoutSubscribeNothingIsForwardedAndUpdatesAreRefused) {
  Recorder sender, blind;
  join(sender, 1, role_default_grants(v1::PARTICIPANT_ROLE_PARTICIPANT));
  join(blind, 2, all_but(&v1::Grants::set_subscribe));
  send(1, v1::TRACK_SOURCE_CAMERA, 3);
  send(1, v1::TRACK_SOURCE_MICROPHONE, 3);
  EXPECT_TRUE(blind.media.empty());
  v1::Control update;
  update.mutable_update_subscriptions()->mutable_defaults()->set_video_max_height(180);
  room_.on_control(2, update);
  const auto refused = refused_of(blind);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code(), close_code::kNotGrantedSubscribe);
  EXPECT_EQ(room_.stats().subscriptions_not_granted, 1u);
  EXPECT_EQ(blind.closed_code, 0u);
}

TEST_F(RoomGrantsTest, WithoutChatTheMessageIsRefusedAndReachesNobody) {
  Recorder muted, other;
  join(muted, 1, all_but(&v1::Grants::set_chat));
  join(other, 2, role_default_grants(v1::PARTICIPANT_ROLE_PARTICIPANT));
  v1::Control chat;
  chat.mutable_send_chat()->set_text("hello");
  chat.mutable_send_chat()->set_client_message_id(7);
  room_.on_control(1, chat);
  EXPECT_EQ(other.count(v1::Control::kChatMessage), 0);
  const auto refused = refused_of(muted);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].code(), close_code::kNotGrantedChat);
  EXPECT_EQ(refused[0].client_message_id(), 7u);
  room_.on_control(2, chat);
  EXPECT_EQ(muted.count(v1::Control::kChatMessage), 1) << "it still reads the chat";
}

TEST_F(RoomGrantsTest, RemoteMembersAnnouncedGrantsAreEnforcedHere) {
  Recorder local;
  join(local, 1, role_default_grants(v1::PARTICIPANT_ROLE_PARTICIPANT));
  RemoteMember remote;
  remote.node_id = kNodeB;
  remote.claim_us = 100;
  remote.info.set_participant_id(5);
  remote.info.set_display_name("Bob");
  remote.info.set_role(v1::PARTICIPANT_ROLE_PARTICIPANT);
  *remote.info.mutable_grants() = all_but(&v1::Grants::set_publish_camera);
  // Its node announces a camera track anyway (a bug, or a node that does not enforce grants).
  *remote.info.add_tracks() = track_of(v1::TRACK_SOURCE_CAMERA);
  *remote.info.add_tracks() = track_of(v1::TRACK_SOURCE_MICROPHONE);
  room_.upsert_remote(remote);
  auto frame = [](v1::MediaKind kind, uint32_t track) {
    v1::MediaHeader header;
    header.set_kind(kind);
    header.set_track_id(track);
    header.set_keyframe(true);
    header.set_sender_participant_id(5);
    const uint8_t payload[1] = {1};
    return encode_media(header, payload);
  };
  room_.on_remote_media(frame(v1::MEDIA_KIND_VIDEO, 2), kNodeB);
  EXPECT_TRUE(local.media.empty());
  EXPECT_EQ(room_.stats().media_not_granted, 1u);
  room_.on_remote_media(frame(v1::MEDIA_KIND_AUDIO, 1), kNodeB);
  EXPECT_EQ(local.media.size(), 1u) << "granted audio still flows";

  // A remote member without chat: its node's chat message is not accepted here.
  *remote.info.mutable_grants() = all_but(&v1::Grants::set_chat);
  room_.upsert_remote(remote);
  v1::ChatMessage message;
  message.set_message_id(42);
  message.set_sender_participant_id(5);
  message.set_text("hi");
  EXPECT_FALSE(room_.on_remote_chat(message, kNodeB));
  EXPECT_EQ(local.count(v1::Control::kChatMessage), 0);
}

TEST_F(RoomGrantsTest, RemoteReceiverWithoutGrantsFieldGetsRoleDefaults) {
  v1::Participant old_node;
  old_node.set_role(v1::PARTICIPANT_ROLE_VIEWER);
  EXPECT_FALSE(grants_of(old_node).publish_camera());
  EXPECT_TRUE(grants_of(old_node).subscribe());
  old_node.set_role(v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_FALSE(may_subscribe(old_node));
  EXPECT_FALSE(may_chat(old_node));
}

}  // namespace
}  // namespace vc::room
