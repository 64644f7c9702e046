// Several server nodes in one process: each has its own rooms and Cluster, connected by a
// LocalBusHub. Time is simulated; the "network" runs when the test calls settle().
#include "cluster_fixture.hpp"

namespace vc::bus {
namespace {

using namespace test;

TEST_F(ClusterTest, ParticipantsOnThreeNodesSeeEachOtherAndReceiveMedia) {
  Recorder ada, ann, bob, cy;
  a().join(ada, 1, "Ada");
  a().join(ann, 2, "Ann");
  b().join(bob, 3, "Bob");
  c().join(cy, 4, "Cy");
  settle();
  for (Recorder* r : {&ada, &ann, &bob, &cy}) EXPECT_EQ(r->roster.size(), 3u);
  EXPECT_EQ(bob.roster.at(1).display_name(), "Ada");

  a().send_video(1);
  c().send_video(4);
  settle();
  EXPECT_EQ(ann.media_count_from(1), 1);
  EXPECT_EQ(bob.media_count_from(1), 1);
  EXPECT_EQ(cy.media_count_from(1), 1);
  EXPECT_EQ(ada.media_count_from(1), 0);
  for (Recorder* r : {&ada, &ann, &bob}) EXPECT_EQ(r->media_count_from(4), 1);

  // One room subscription per node, however many local participants it has.
  EXPECT_EQ(a().bus.subscription_count(), 3u);  // heartbeat + node + room
  EXPECT_EQ(a().cluster.stats().rooms_linked, 1u);
  // A's frame went to the bus once, not once per remote receiver.
  EXPECT_EQ(a().cluster.stats().media_published, 1u);

  v1::MediaState muted;
  muted.set_camera_on(true);
  v1::Control control;
  *control.mutable_media_state() = muted;
  b().demo().on_control(3, control);
  settle();
  EXPECT_FALSE(ada.roster.at(3).mic_on());
  EXPECT_TRUE(ada.roster.at(3).camera_on());
}

TEST_F(ClusterTest, KeyframeRequestReachesOnlyThePublishersNode) {
  Recorder ada, ann, bob, cy;
  a().join(ada, 1, "Ada");
  a().join(ann, 2, "Ann");
  b().join(bob, 3, "Bob");
  c().join(cy, 4, "Cy");
  settle();
  a().send_video(1);  // node B learns Ada's track from her announcement: only those can be requested
  settle();
  const uint64_t c_received = c().bus.stats().received;
  v1::Control request;
  request.mutable_keyframe_request()->set_publisher_participant_id(1);
  request.mutable_keyframe_request()->set_kind(v1::MEDIA_KIND_VIDEO);
  request.mutable_keyframe_request()->set_track_id(2);
  b().demo().on_control(3, request);
  settle();
  EXPECT_EQ(ada.keyframe_requests, 1);
  EXPECT_EQ(ann.keyframe_requests, 0);
  EXPECT_EQ(c().bus.stats().received, c_received) << "node C never sees it";
  const auto& last = ada.control_log.back().keyframe_request();
  EXPECT_EQ(last.requester_participant_id(), 3u);
}

TEST_F(ClusterTest, DeadNodeMembersLeaveUnlessTheyResumeElsewhere) {
  Recorder ada, bob, bea, cy, bob_again;
  a().join(ada, 1, "Ada");
  b().join(bob, 3, "Bob");
  b().join(bea, 5, "Bea");
  c().join(cy, 4, "Cy");
  settle();
  nodes_[1].reset();  // kill -9: no goodbye, no leave messages

  // Bob's client reconnects through node C with the same identity.
  EXPECT_EQ(c().join(bob_again, 3, "Bob"), room::JoinResult::kResumed);
  EXPECT_TRUE(bob_again.control_log[0].join_accepted().resumed());
  settle();
  EXPECT_EQ(bob_again.roster.size(), 3u) << "Ada, Cy, and Bea (still listed)";

  const auto gone = wait_for([&] { return ada.roster.count(5) == 0; }, 5000ms);
  ASSERT_TRUE(gone.has_value()) << "Bea must leave within 5 s";
  EXPECT_EQ(ada.roster.count(3), 1u);
  EXPECT_EQ(ada.leaves[3], 0) << "Bob moved: never a leave";
  EXPECT_EQ(ada.joins[3], 1) << "and never a second join";
  EXPECT_EQ(ada.state_of(3), v1::CONNECTION_STATE_CONNECTED);
  EXPECT_EQ(cy.roster.count(5), 0u);

  a().send_video(1);
  settle();
  EXPECT_EQ(bob_again.media_count_from(1), 1);
  c().send_video(3);
  settle();
  EXPECT_EQ(ada.media_count_from(3), 1);
}

TEST_F(ClusterTest, MoveBetweenLiveNodesIsAnUpdateAndFreesTheOldSubscription) {
  Recorder ada, bob, bob_again;
  a().join(ada, 1, "Ada");
  b().join(bob, 3, "Bob");
  settle();
  b().demo().disconnect(3, bob);
  settle();
  EXPECT_EQ(ada.state_of(3), v1::CONNECTION_STATE_RECONNECTING);
  c().join(bob_again, 3, "Bob");
  settle();
  EXPECT_EQ(ada.state_of(3), v1::CONNECTION_STATE_CONNECTED);
  EXPECT_EQ(ada.leaves[3], 0);
  EXPECT_EQ(b().bus.subscription_count(), 2u) << "node B has nobody left in the room";
  advance(10s);
  EXPECT_EQ(ada.roster.count(3), 1u) << "node B's grace timer must not remove Bob";
}

TEST_F(ClusterTest, LastLocalLeaveUnsubscribesAndOthersSeeTheLeave) {
  Recorder ada, bob;
  a().join(ada, 1, "Ada");
  b().join(bob, 3, "Bob");
  settle();
  EXPECT_EQ(b().bus.subscription_count(), 3u);
  b().demo().leave(3, v1::LEAVE_REASON_LEFT);
  settle();
  EXPECT_EQ(ada.roster.count(3), 0u);
  EXPECT_EQ(b().bus.subscription_count(), 2u);
  EXPECT_TRUE(b().demo().empty());
}

TEST_F(ClusterTest, BusOutageKeepsLocalMediaAndResumesCrossNode) {
  Recorder ada, ann, bob;
  a().join(ada, 1, "Ada");
  a().join(ann, 2, "Ann");
  b().join(bob, 3, "Bob");
  settle();
  hub_.set_connected(a().bus, false);
  advance(2000ms);
  a().send_video(1);
  settle();
  EXPECT_EQ(ann.media_count_from(1), 1) << "local media never stops";
  EXPECT_EQ(bob.media_count_from(1), 0);
  EXPECT_EQ(a().cluster.stats().nodes_lost, 0u) << "a cut-off node judges nobody";
  EXPECT_EQ(ada.state_of(3), v1::CONNECTION_STATE_CONNECTED);
  EXPECT_EQ(bob.state_of(1), v1::CONNECTION_STATE_RECONNECTING);

  hub_.set_connected(a().bus, true);
  settle();
  EXPECT_EQ(bob.state_of(1), v1::CONNECTION_STATE_CONNECTED);
  EXPECT_EQ(bob.leaves[1], 0);
  a().send_video(1);
  settle();
  EXPECT_EQ(bob.media_count_from(1), 1) << "cross-node media resumes";
  advance(10s);
  EXPECT_EQ(bob.roster.size(), 2u);
  EXPECT_EQ(ada.roster.size(), 2u);
}

TEST_F(ClusterTest, MissedAnnouncementIsRepairedBySnapshot) {
  Recorder ada, bob;
  a().join(ada, 1, "Ada");
  settle();
  hub_.set_connected(a().bus, false);
  b().join(bob, 3, "Bob");  // A misses Bob's snapshot
  settle();
  EXPECT_EQ(ada.roster.count(3), 0u);
  hub_.set_connected(a().bus, true);
  settle();
  EXPECT_EQ(ada.roster.count(3), 1u);
  EXPECT_EQ(bob.roster.count(1), 1u);
}

TEST_F(ClusterTest, RosterQueryFromANodeWithoutMembersSeesEveryNode) {
  Recorder ada, ann, bob;
  a().join(ada, 1, "Ada");
  a().join(ann, 2, "Ann");
  b().join(bob, 3, "Bob");
  settle();
  // C has no member in "demo", so it does not follow the room: it has to ask.
  std::optional<std::vector<room::RemoteMember>> answer;
  ASSERT_TRUE(c().cluster.query_roster(
      "demo", [&](std::vector<room::RemoteMember> members) { answer = std::move(members); }));
  settle();
  EXPECT_FALSE(answer.has_value()) << "answers only once the window has passed";
  ASSERT_TRUE(wait_for([&] { return answer.has_value(); }, 1s));
  std::map<uint64_t, std::string> names;
  for (const auto& member : *answer)
    names[member.info.participant_id()] = member.info.display_name();
  EXPECT_EQ(names, (std::map<uint64_t, std::string>{{1, "Ada"}, {2, "Ann"}, {3, "Bob"}}));
  EXPECT_EQ(c().cluster.stats().rooms_linked, 0u) << "a query must not subscribe to the room";

  // An unknown room answers empty; while the bus is down, queries are refused at once.
  std::optional<std::vector<room::RemoteMember>> nobody;
  ASSERT_TRUE(c().cluster.query_roster(
      "empty-room", [&](std::vector<room::RemoteMember> m) { nobody = std::move(m); }));
  ASSERT_TRUE(wait_for([&] { return nobody.has_value(); }, 1s));
  EXPECT_TRUE(nobody->empty());
  c().cluster.on_bus_state(false);
  EXPECT_FALSE(c().cluster.query_roster("demo", [](std::vector<room::RemoteMember>) {
    ADD_FAILURE() << "a refused query must not call back";
  }));
}

}  // namespace
}  // namespace vc::bus
