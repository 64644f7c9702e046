#include "server/bus/bus_codec.hpp"

#include <gtest/gtest.h>

#include "server/bus/local_bus.hpp"

namespace vc::bus {
namespace {

TEST(BusCodec, MediaKeepsTheEnvelopeBytesAndRoutingFacts) {
  v1::MediaHeader header;
  header.set_kind(v1::MEDIA_KIND_VIDEO);
  header.set_keyframe(true);
  header.set_track_id(3);
  header.set_spatial_layer(2);
  header.set_temporal_layer(1);
  header.set_sender_participant_id(42);
  const uint8_t payload[4] = {9, 8, 7, 6};
  FrameRef frame = vc::encode_media(header, payload);
  std::vector<uint8_t> wire;
  encode_media(0xABCD, *frame, wire);

  MessageHeader decoded;
  ASSERT_TRUE(decode_header(wire, decoded));
  EXPECT_EQ(decoded.type, MessageType::kMedia);
  EXPECT_EQ(decoded.node_id, 0xABCDu);
  MediaMessage media;
  ASSERT_TRUE(decode_media(decoded.body, media));
  EXPECT_EQ(media.meta.publisher_id, 42u);
  EXPECT_EQ(media.meta.track_id, 3u);
  EXPECT_TRUE(media.meta.keyframe);
  EXPECT_EQ(media.meta.lane, Lane::kVideo);
  EXPECT_EQ(media.meta.spatial_layer, 2);
  EXPECT_EQ(media.meta.temporal_layer, 1);
  ASSERT_EQ(media.envelope.size(), frame->size());
  EXPECT_TRUE(std::equal(media.envelope.begin(), media.envelope.end(), frame->bytes().begin()));
}

TEST(BusCodec, ControlMessagesRoundTrip) {
  std::vector<uint8_t> wire;
  MessageHeader header;

  v1::Participant info;
  info.set_participant_id(7);
  info.set_display_name("Ada");
  info.set_mic_on(true);
  encode_member_upsert(1, info, 555, wire);
  ASSERT_TRUE(decode_header(wire, header));
  room::RemoteMember member;
  ASSERT_TRUE(decode_member_upsert(header.body, member));
  EXPECT_EQ(member.claim_us, 555u);
  EXPECT_EQ(member.info.display_name(), "Ada");
  EXPECT_TRUE(member.info.mic_on());

  encode_member_left(1, 7, v1::LEAVE_REASON_KICKED, wire);
  ASSERT_TRUE(decode_header(wire, header));
  uint64_t id = 0;
  v1::LeaveReason reason{};
  ASSERT_TRUE(decode_member_left(header.body, id, reason));
  EXPECT_EQ(id, 7u);
  EXPECT_EQ(reason, v1::LEAVE_REASON_KICKED);

  std::vector<room::RemoteMember> members(2);
  members[0].info = info;
  members[1].info.set_participant_id(8);
  encode_snapshot(1, true, members, wire);
  ASSERT_TRUE(decode_header(wire, header));
  bool want_reply = false;
  std::vector<room::RemoteMember> decoded;
  ASSERT_TRUE(decode_snapshot(header.body, want_reply, decoded));
  EXPECT_TRUE(want_reply);
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_EQ(decoded[1].info.participant_id(), 8u);

  v1::KeyframeRequest request;
  request.set_publisher_participant_id(7);
  request.set_kind(v1::MEDIA_KIND_SCREEN);
  request.set_track_id(1);
  request.set_requester_participant_id(9);
  encode_keyframe_request(1, "demo", request, wire);
  ASSERT_TRUE(decode_header(wire, header));
  std::string_view meeting;
  v1::KeyframeRequest back;
  ASSERT_TRUE(decode_keyframe_request(header.body, meeting, back));
  EXPECT_EQ(meeting, "demo");
  EXPECT_EQ(back.kind(), v1::MEDIA_KIND_SCREEN);
  EXPECT_EQ(back.requester_participant_id(), 9u);
}

TEST(BusCodec, RosterQueryAndReplyRoundTrip) {
  std::vector<uint8_t> out;
  encode_roster_query(7, 42, out);
  MessageHeader header;
  ASSERT_TRUE(decode_header(out, header));
  EXPECT_EQ(header.type, MessageType::kRosterQuery);
  uint64_t query_id = 0;
  ASSERT_TRUE(decode_roster_query(header.body, query_id));
  EXPECT_EQ(query_id, 42u);

  room::RemoteMember member;
  member.info.set_participant_id(9);
  member.info.set_display_name("Ada");
  member.claim_us = 123;
  encode_roster_reply(7, 42, "demo", std::span(&member, 1), out);
  ASSERT_TRUE(decode_header(out, header));
  EXPECT_EQ(header.type, MessageType::kRosterReply);
  std::string_view meeting;
  std::vector<room::RemoteMember> members;
  ASSERT_TRUE(decode_roster_reply(header.body, query_id, meeting, members));
  EXPECT_EQ(query_id, 42u);
  EXPECT_EQ(meeting, "demo");
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].info.display_name(), "Ada");
  EXPECT_EQ(members[0].claim_us, 123u);

  // Truncations are refused, never read past the end.
  for (std::size_t cut = 0; cut < header.body.size(); ++cut) {
    EXPECT_FALSE(decode_roster_reply(header.body.first(cut), query_id, meeting, members)) << cut;
  }
}

TEST(BusCodec, RejectsTruncatedAndForeignInput) {
  std::vector<uint8_t> wire;
  v1::Participant info;
  info.set_participant_id(7);
  encode_member_upsert(1, info, 1, wire);
  MessageHeader header;
  for (std::size_t cut = 0; cut < wire.size(); ++cut) {
    const std::span<const uint8_t> truncated(wire.data(), cut);
    room::RemoteMember member;
    const bool ok = decode_header(truncated, header) && decode_member_upsert(header.body, member);
    EXPECT_FALSE(ok) << "cut at " << cut;
  }
  const std::vector<uint8_t> junk = {'x', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(decode_header(junk, header));
  encode_heartbeat(0, MessageType::kHeartbeat, wire);
  EXPECT_FALSE(decode_header(wire, header)) << "node id 0 is reserved for 'this node'";
}

TEST(BusSubjects, SchemeAndParsing) {
  Subjects subjects("vc");
  EXPECT_EQ(subjects.room_media("demo"), "vc.room.demo.media");
  EXPECT_EQ(subjects.room_control("demo"), "vc.room.demo.ctrl");
  EXPECT_EQ(subjects.room_wildcard("demo"), "vc.room.demo.*");
  EXPECT_EQ(subjects.node(0xab), "vc.node.00000000000000ab");
  EXPECT_EQ(subjects.meeting_of("vc.room.my-room_1.media"), "my-room_1");
  EXPECT_EQ(subjects.meeting_of("vc.heartbeat"), "");
  EXPECT_EQ(subjects.meeting_of("vc.room.a*b.media"), "");
  EXPECT_FALSE(Subjects::valid_meeting_id("a.b"));
  EXPECT_FALSE(Subjects::valid_meeting_id(">"));
  EXPECT_TRUE(LocalBusHub::subject_matches("vc.room.demo.*", "vc.room.demo.media"));
  EXPECT_FALSE(LocalBusHub::subject_matches("vc.room.demo.*", "vc.room.demo2.media"));
  EXPECT_FALSE(LocalBusHub::subject_matches("vc.room.demo.*", "vc.room.demo.media.x"));
  EXPECT_TRUE(LocalBusHub::subject_matches("vc.>", "vc.room.demo.media"));
}

}  // namespace
}  // namespace vc::bus
