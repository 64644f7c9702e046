// Host actions across nodes over the bus (docs/PROTOCOL.md §14.6), on simulated time with a
// LocalBusHub: an action on another node's member is carried out by that node, every action's
// event and state reach the other nodes, waiting members show only in hosts' waiting lists, and
// the end of the meeting closes every node's members.
#include <gtest/gtest.h>

#include "cluster_fixture.hpp"
#include "protocol/close_codes.hpp"

namespace vc::bus::test {
namespace {

v1::Control host_request(v1::HostActionKind action, uint64_t target) {
  v1::Control control;
  control.mutable_host_request()->set_action(action);
  control.mutable_host_request()->set_target_participant_id(target);
  return control;
}

int events(const Recorder& r, v1::HostActionKind action) {
  int n = 0;
  for (const auto& c : r.control_log) {
    n += c.has_host_action_event() && c.host_action_event().action() == action ? 1 : 0;
  }
  return n;
}

const v1::WaitingList* last_waiting_list(const Recorder& r) {
  const v1::WaitingList* found = nullptr;
  for (const auto& c : r.control_log) {
    if (c.has_waiting_list()) found = &c.waiting_list();
  }
  return found;
}

TEST_F(ClusterTest, HostActionsReachMembersOnOtherNodes) {
  Recorder host, pia, wim;
  room::ModerationState state;
  state.host_subject = "s-host";
  ASSERT_EQ(a().join(host, 1, "Hana", v1::PARTICIPANT_ROLE_HOST, "s-host"),
            room::JoinResult::kJoined);
  a().demo().apply_moderation_state(state);
  ASSERT_EQ(b().join(pia, 2, "Pia", v1::PARTICIPANT_ROLE_PARTICIPANT, "s-pia"),
            room::JoinResult::kJoined);
  b().demo().apply_moderation_state(state);
  settle();
  ASSERT_EQ(host.roster.count(2), 1u);

  // Forced mute of node B's member, asked on node A.
  a().demo().on_control(1, host_request(v1::HOST_ACTION_MUTE_MIC, 2));
  settle();
  EXPECT_EQ(events(pia, v1::HOST_ACTION_MUTE_MIC), 1) << "carried out by Pia's node";
  EXPECT_EQ(events(host, v1::HOST_ACTION_MUTE_MIC), 1) << "and the event reaches node A";
  EXPECT_FALSE(host.roster.at(2).mic_on());
  EXPECT_EQ(b().demo().stats().host_actions, 1u);
  EXPECT_EQ(a().demo().stats().host_actions, 0u) << "node A only forwarded it";

  // Settings from node A apply on node B: a joiner there waits.
  v1::Control settings;
  settings.mutable_host_update_settings()->set_waiting_room(true);
  a().demo().on_control(1, settings);
  settle();
  EXPECT_TRUE(b().demo().moderation_state().settings.waiting_room());
  ASSERT_EQ(b().join(wim, 3, "Wim", v1::PARTICIPANT_ROLE_PARTICIPANT, "s-wim"),
            room::JoinResult::kJoined);
  settle();
  EXPECT_EQ(host.roster.count(3), 0u) << "a waiting member is in nobody's roster";
  EXPECT_EQ(pia.roster.count(3), 0u);
  ASSERT_NE(last_waiting_list(host), nullptr);
  ASSERT_EQ(last_waiting_list(host)->waiting_size(), 1);
  EXPECT_EQ(last_waiting_list(host)->waiting(0).participant_id(), 3u);

  // The host on A admits Wim on B.
  a().demo().on_control(1, host_request(v1::HOST_ACTION_ADMIT, 3));
  settle();
  EXPECT_EQ(host.roster.count(3), 1u) << "admitted: everyone meets Wim";
  EXPECT_EQ(pia.roster.count(3), 1u);
  EXPECT_EQ(wim.roster.size(), 2u);
  EXPECT_EQ(last_waiting_list(host)->waiting_size(), 0);

  // Hand over host to Pia (on B): node A's old host becomes a co-host.
  a().demo().on_control(1, host_request(v1::HOST_ACTION_MAKE_HOST, 2));
  settle();
  EXPECT_EQ(host.roster.at(2).role(), v1::PARTICIPANT_ROLE_HOST);
  EXPECT_EQ(a().demo().moderation_state().host_subject, "s-pia");
  EXPECT_EQ(pia.roster.at(1).role(), v1::PARTICIPANT_ROLE_CO_HOST) << "demoted by its own node";

  // The new host ends the meeting: every node closes its members.
  b().demo().on_control(2, host_request(v1::HOST_ACTION_END_MEETING, 0));
  settle();
  EXPECT_EQ(host.closed_code, close_code::kMeetingEnded);
  EXPECT_EQ(pia.closed_code, close_code::kMeetingEnded);
  EXPECT_EQ(wim.closed_code, close_code::kMeetingEnded);
}

}  // namespace
}  // namespace vc::bus::test
