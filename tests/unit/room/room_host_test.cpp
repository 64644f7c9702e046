// Meeting settings, host actions and the waiting room in the room core (docs/PROTOCOL.md §14), on
// virtual time: a waiting participant gets no roster, no media and no events until admitted; only
// hosts and co-hosts act (Refused 4403 otherwise); every action is broadcast and persisted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/close_codes.hpp"
#include "recorder.hpp"
#include "server/room/room.hpp"

namespace vc::room {
namespace {

using test::Recorder;

class RecordingModeration : public ModerationObserver {
 public:
  void on_host_action(const Room&, const HostActionRecord& record) override {
    records.push_back(record);
  }
  std::vector<HostActionRecord> records;
};

std::vector<v1::Refused> refused_of(const Recorder& r) {
  std::vector<v1::Refused> out;
  for (const auto& c : r.control) {
    if (c.has_refused()) out.push_back(c.refused());
  }
  return out;
}

const v1::JoinAccepted* last_join_accepted(const Recorder& r) {
  const v1::JoinAccepted* found = nullptr;
  for (const auto& c : r.control) {
    if (c.has_join_accepted()) found = &c.join_accepted();
  }
  return found;
}

const v1::WaitingList* last_waiting_list(const Recorder& r) {
  const v1::WaitingList* found = nullptr;
  for (const auto& c : r.control) {
    if (c.has_waiting_list()) found = &c.waiting_list();
  }
  return found;
}

class RoomHostTest : public ::testing::Test {
 protected:
  RoomHostTest() : room_("demo", [this] { return now_; }) {
    room_.set_moderation_observer(&moderation_);
  }

  JoinResult join(Recorder& endpoint, uint64_t id, std::string name, v1::ParticipantRole role,
                  std::string subject = {}) {
    JoinRequest request;
    request.identity = Identity{id, std::move(name), role, std::move(subject)};
    request.session_id = id * 10;
    request.media_state.set_mic_on(true);
    request.media_state.set_camera_on(true);
    return room_.join(endpoint, request);
  }
  // Host "h" (1), participant "p" (2), and the waiting room switched on by the host.
  void host_and_participant_with_waiting_room() {
    ModerationState state;
    state.host_subject = "sub-host";
    room_.apply_moderation_state(state);
    ASSERT_EQ(join(host_, 1, "Hana", v1::PARTICIPANT_ROLE_HOST, "sub-host"), JoinResult::kJoined);
    ASSERT_EQ(join(participant_, 2, "Pia", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-p"),
              JoinResult::kJoined);
    v1::HostUpdateSettings update;
    update.set_waiting_room(true);
    ASSERT_TRUE(room_.update_settings(actor(1), update).ok());
  }
  HostActor actor(uint64_t id) {
    Identity identity{id, "", v1::PARTICIPANT_ROLE_PARTICIPANT};
    return room_.actor_for(identity);
  }
  void request(uint64_t from, v1::HostActionKind action, uint64_t target = 0, bool bar = false) {
    v1::Control control;
    control.mutable_host_request()->set_action(action);
    control.mutable_host_request()->set_target_participant_id(target);
    control.mutable_host_request()->set_bar(bar);
    room_.on_control(from, control);
  }
  void publish(uint64_t from, uint32_t track, v1::TrackSource source, v1::MediaKind kind) {
    v1::Control control;
    v1::Track* t = control.mutable_publish_track()->mutable_track();
    t->set_track_id(track);
    t->set_source(source);
    t->set_kind(kind);
    room_.on_control(from, control);
  }
  void send(uint64_t from, uint32_t track, v1::MediaKind kind) {
    v1::MediaHeader header;
    header.set_kind(kind);
    header.set_track_id(track);
    header.set_keyframe(true);
    const std::string payload = "frame";
    room_.on_media(from, header,
                   {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
  }

  TimePoint now_{};
  RecordingModeration moderation_;
  Room room_;
  Recorder host_, participant_, waiting_, other_;
};

TEST_F(RoomHostTest, WaitingParticipantGetsNoRosterNoMediaNoEventsUntilAdmitted) {
  host_and_participant_with_waiting_room();
  publish(2, 1, v1::TRACK_SOURCE_MICROPHONE, v1::MEDIA_KIND_AUDIO);
  ASSERT_EQ(join(waiting_, 3, "Wim", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-w"),
            JoinResult::kJoined);

  const v1::JoinAccepted* accepted = last_join_accepted(waiting_);
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->self().role(), v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_EQ(accepted->roster_size(), 0) << "a waiting participant learns nobody's name";
  EXPECT_TRUE(accepted->settings().waiting_room());
  EXPECT_EQ(participant_.count(v1::Control::kParticipantJoined), 0)
      << "participants do not see the waiting room";
  ASSERT_NE(last_waiting_list(host_), nullptr);
  ASSERT_EQ(last_waiting_list(host_)->waiting_size(), 1);
  EXPECT_EQ(last_waiting_list(host_)->waiting(0).display_name(), "Wim");
  EXPECT_EQ(participant_.count(v1::Control::kWaitingList), 0) << "only hosts see the list";

  // Media, chat, hands and roster changes in the meeting reach it not at all.
  waiting_.control.clear();
  send(2, 1, v1::MEDIA_KIND_AUDIO);
  v1::Control chat;
  chat.mutable_send_chat()->set_text("hello");
  room_.on_control(2, chat);
  v1::Control hand;
  hand.mutable_raise_hand()->set_raised(true);
  room_.on_control(2, hand);
  // A host token whose subject is not the meeting's host: demoted, so Olga waits too.
  ASSERT_EQ(join(other_, 4, "Olga", v1::PARTICIPANT_ROLE_HOST, "sub-host2"), JoinResult::kJoined);
  EXPECT_EQ(last_join_accepted(other_)->self().role(), v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_TRUE(waiting_.media.empty());
  EXPECT_TRUE(waiting_.control.empty());
  EXPECT_EQ(host_.media.size(), 1u);
  // Nor can it publish into the meeting.
  publish(3, 1, v1::TRACK_SOURCE_MICROPHONE, v1::MEDIA_KIND_AUDIO);
  send(3, 1, v1::MEDIA_KIND_AUDIO);
  EXPECT_EQ(participant_.media.size(), 0u);

  // Admitted: a normal JoinAccepted with the roster, everyone meets it, media flows.
  request(1, v1::HOST_ACTION_ADMIT, 3);
  accepted = last_join_accepted(waiting_);
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->self().role(), v1::PARTICIPANT_ROLE_PARTICIPANT);
  EXPECT_EQ(accepted->roster_size(), 2);  // Hana, Pia (Olga still waits)
  EXPECT_EQ(participant_.count(v1::Control::kParticipantJoined), 1);  // Wim
  ASSERT_EQ(last_waiting_list(host_)->waiting_size(), 1);
  EXPECT_EQ(last_waiting_list(host_)->waiting(0).display_name(), "Olga");
  send(2, 1, v1::MEDIA_KIND_AUDIO);
  EXPECT_EQ(waiting_.media.size(), 1u);
  ASSERT_EQ(moderation_.records.size(), 2u);  // the settings update, then the admit
  EXPECT_EQ(moderation_.records[1].event.action(), v1::HOST_ACTION_ADMIT);
  EXPECT_EQ(moderation_.records[1].target_subject, "sub-w");
}

TEST_F(RoomHostTest, WaitingRoleFromTheTokenWaitsWhenTheRoomKnowsNoSettings) {
  ASSERT_EQ(join(host_, 1, "Hana", v1::PARTICIPANT_ROLE_HOST), JoinResult::kJoined);
  ASSERT_EQ(join(waiting_, 3, "Wim", v1::PARTICIPANT_ROLE_WAITING), JoinResult::kJoined);
  EXPECT_EQ(last_join_accepted(waiting_)->self().role(), v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_EQ(host_.count(v1::Control::kParticipantJoined), 0);
}

TEST_F(RoomHostTest, LockedMeetingPutsEveryNewJoinerInTheWaitingRoomButNotTheHost) {
  ModerationState state;
  state.host_subject = "sub-host";
  state.settings.set_locked(true);
  room_.apply_moderation_state(state);
  ASSERT_EQ(join(host_, 1, "Hana", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-host"),
            JoinResult::kJoined);
  EXPECT_EQ(last_join_accepted(host_)->self().role(), v1::PARTICIPANT_ROLE_HOST)
      << "the host's subject makes it host again, whatever its token says";
  ASSERT_EQ(join(waiting_, 3, "Wim", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-w"),
            JoinResult::kJoined);
  EXPECT_EQ(last_join_accepted(waiting_)->self().role(), v1::PARTICIPANT_ROLE_WAITING);
  EXPECT_TRUE(last_join_accepted(waiting_)->settings().locked());
}

TEST_F(RoomHostTest, StaleHostTokenIsDemotedOnceTheRoomKnowsTheHost) {
  ModerationState state;
  state.host_subject = "sub-new-host";
  room_.apply_moderation_state(state);
  ASSERT_EQ(join(host_, 1, "Old", v1::PARTICIPANT_ROLE_HOST, "sub-old"), JoinResult::kJoined);
  EXPECT_EQ(last_join_accepted(host_)->self().role(), v1::PARTICIPANT_ROLE_PARTICIPANT);
}

TEST_F(RoomHostTest, OnlyHostsAndCoHostsActOthersAreRefusedWith4403) {
  host_and_participant_with_waiting_room();
  ASSERT_EQ(join(waiting_, 3, "Wim", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-w"),
            JoinResult::kJoined);
  const std::vector<v1::HostActionKind> actions = {
      v1::HOST_ACTION_ADMIT,      v1::HOST_ACTION_DENY,          v1::HOST_ACTION_REMOVE,
      v1::HOST_ACTION_MUTE_MIC,   v1::HOST_ACTION_STOP_CAMERA,   v1::HOST_ACTION_STOP_SCREEN,
      v1::HOST_ACTION_ASK_UNMUTE, v1::HOST_ACTION_MUTE_ALL,      v1::HOST_ACTION_LOCK,
      v1::HOST_ACTION_UNLOCK,     v1::HOST_ACTION_END_MEETING,   v1::HOST_ACTION_MAKE_CO_HOST,
      v1::HOST_ACTION_MAKE_HOST,  v1::HOST_ACTION_REVOKE_CO_HOST};
  const std::size_t before = moderation_.records.size();
  for (const v1::HostActionKind action : actions) {
    request(2, action, action == v1::HOST_ACTION_ADMIT || action == v1::HOST_ACTION_DENY ? 3 : 1);
  }
  v1::Control settings;
  settings.mutable_host_update_settings()->set_locked(true);
  room_.on_control(2, settings);
  const auto refusals = refused_of(participant_);
  ASSERT_EQ(refusals.size(), actions.size() + 1);
  for (const auto& r : refusals) EXPECT_EQ(r.code(), close_code::kForbidden);
  EXPECT_EQ(refusals.front().request(), static_cast<uint32_t>(v1::Control::kHostRequest));
  EXPECT_EQ(refusals.back().request(), static_cast<uint32_t>(v1::Control::kHostUpdateSettings));
  EXPECT_EQ(moderation_.records.size(), before) << "nothing was carried out";
  EXPECT_EQ(room_.participant_count(), 3u);
  EXPECT_FALSE(room_.moderation_state().settings.locked());
  EXPECT_EQ(room_.stats().host_actions_refused, actions.size() + 1);
  // A waiting participant cannot act either (it cannot even admit itself).
  request(3, v1::HOST_ACTION_ADMIT, 3);
  EXPECT_EQ(room_.waiting_list().size(), 1u);
}

TEST_F(RoomHostTest, CoHostModeratesButCannotEndTheMeetingOrActOnTheHost) {
  host_and_participant_with_waiting_room();
  request(1, v1::HOST_ACTION_MAKE_CO_HOST, 2);
  EXPECT_EQ(room_.roster()[1].role(), v1::PARTICIPANT_ROLE_CO_HOST);
  ASSERT_EQ(join(waiting_, 3, "Wim", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-w"),
            JoinResult::kJoined);
  ASSERT_NE(last_waiting_list(participant_), nullptr) << "co-hosts see the waiting list";
  request(2, v1::HOST_ACTION_ADMIT, 3);
  EXPECT_TRUE(room_.waiting_list().empty());
  request(2, v1::HOST_ACTION_END_MEETING);
  request(2, v1::HOST_ACTION_MAKE_HOST, 3);
  request(2, v1::HOST_ACTION_REMOVE, 1);
  request(2, v1::HOST_ACTION_MUTE_MIC, 1);
  const auto refusals = refused_of(participant_);
  ASSERT_EQ(refusals.size(), 4u);
  for (const auto& r : refusals) EXPECT_EQ(r.code(), close_code::kForbidden);
  EXPECT_FALSE(room_.ended());
  EXPECT_EQ(host_.closed_code, 0u);
  EXPECT_TRUE(room_.moderation_state().co_host_subjects == std::vector<std::string>{"sub-p"});
}

TEST_F(RoomHostTest, DenyClosesTheWaitingParticipantWithItsCode) {
  host_and_participant_with_waiting_room();
  ASSERT_EQ(join(waiting_, 3, "Wim", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-w"),
            JoinResult::kJoined);
  request(1, v1::HOST_ACTION_DENY, 3);
  EXPECT_EQ(waiting_.closed_code, close_code::kEntryDenied);
  EXPECT_TRUE(room_.waiting_list().empty());
  EXPECT_EQ(participant_.count(v1::Control::kParticipantLeft), 0) << "the meeting never knew it";
  // Admit and deny apply to waiting participants only.
  request(1, v1::HOST_ACTION_ADMIT, 2);
  ASSERT_EQ(refused_of(host_).size(), 1u);
  EXPECT_EQ(refused_of(host_)[0].code(), close_code::kNotApplicable);
  request(1, v1::HOST_ACTION_REMOVE, 99);
  EXPECT_EQ(refused_of(host_)[1].code(), close_code::kUnknownMeeting);
}

TEST_F(RoomHostTest, RemoveAndBarKeepsTheSubjectOutEvenWithANewToken) {
  host_and_participant_with_waiting_room();
  request(1, v1::HOST_ACTION_REMOVE, 2, /*bar=*/true);
  EXPECT_EQ(participant_.closed_code, close_code::kBarred);
  ASSERT_EQ(host_.count(v1::Control::kParticipantLeft), 1);
  const auto& last_event = moderation_.records.back().event;
  EXPECT_EQ(last_event.action(), v1::HOST_ACTION_REMOVE);
  EXPECT_TRUE(last_event.bar());
  EXPECT_EQ(moderation_.records.back().target_subject, "sub-p");
  EXPECT_EQ(host_.count(v1::Control::kHostActionEvent), 2);  // settings, remove
  // A new participant id (a new token) with the same subject is refused.
  Recorder again;
  EXPECT_EQ(join(again, 22, "Pia", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-p"), JoinResult::kBarred);
  // Removal without a bar: 4431, and the subject may come back (to the waiting room).
  ASSERT_EQ(join(other_, 5, "Ole", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-o"), JoinResult::kJoined);
  request(1, v1::HOST_ACTION_ADMIT, 5);
  request(1, v1::HOST_ACTION_REMOVE, 5);
  EXPECT_EQ(other_.closed_code, close_code::kRemoved);
  Recorder back;
  EXPECT_EQ(join(back, 55, "Ole", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-o"), JoinResult::kJoined);
}

TEST_F(RoomHostTest, ForcedMuteStopsForwardingUntilTheMemberUnmutesItself) {
  host_and_participant_with_waiting_room();
  publish(2, 1, v1::TRACK_SOURCE_MICROPHONE, v1::MEDIA_KIND_AUDIO);
  publish(2, 2, v1::TRACK_SOURCE_CAMERA, v1::MEDIA_KIND_VIDEO);
  send(2, 1, v1::MEDIA_KIND_AUDIO);
  ASSERT_EQ(host_.media.size(), 1u);
  request(1, v1::HOST_ACTION_MUTE_MIC, 2);
  request(1, v1::HOST_ACTION_STOP_CAMERA, 2);
  EXPECT_FALSE(room_.roster()[1].mic_on());
  EXPECT_FALSE(room_.roster()[1].camera_on());
  // The target hears of it (its client turns the mic off) like everyone else.
  EXPECT_EQ(participant_.count_control([](const v1::Control& c) {
    return c.has_host_action_event() && c.host_action_event().target_participant_id() == 2;
  }),
            2);
  send(2, 1, v1::MEDIA_KIND_AUDIO);  // a client that ignores it
  send(2, 2, v1::MEDIA_KIND_VIDEO);
  EXPECT_EQ(host_.media.size(), 1u) << "forced off: not forwarded";
  EXPECT_EQ(room_.stats().media_forced_off, 2u);
  // Asking to unmute changes nothing by itself; the member unmuting does.
  request(1, v1::HOST_ACTION_ASK_UNMUTE, 2);
  send(2, 1, v1::MEDIA_KIND_AUDIO);
  EXPECT_EQ(host_.media.size(), 1u);
  v1::Control unmute;
  unmute.mutable_media_state()->set_mic_on(true);
  room_.on_control(2, unmute);
  send(2, 1, v1::MEDIA_KIND_AUDIO);
  send(2, 2, v1::MEDIA_KIND_VIDEO);
  EXPECT_EQ(host_.media.size(), 2u) << "the mic again, the camera still stopped";
}

TEST_F(RoomHostTest, MuteAllMutesEveryoneButHostsAndCoHosts) {
  host_and_participant_with_waiting_room();
  request(1, v1::HOST_ACTION_MUTE_ALL);
  EXPECT_TRUE(room_.roster()[0].mic_on());
  EXPECT_FALSE(room_.roster()[1].mic_on());
  EXPECT_EQ(moderation_.records.back().event.action(), v1::HOST_ACTION_MUTE_ALL);
}

TEST_F(RoomHostTest, LockAndSettingsAreBroadcastAndPersisted) {
  host_and_participant_with_waiting_room();
  request(1, v1::HOST_ACTION_LOCK);
  EXPECT_TRUE(room_.moderation_state().settings.locked());
  EXPECT_TRUE(moderation_.records.back().state.settings.locked());
  EXPECT_GE(participant_.count(v1::Control::kMeetingSettings), 2);
  v1::Control settings;
  settings.mutable_host_update_settings()->set_e2ee_required(true);
  settings.mutable_host_update_settings()->set_max_participants(2);
  room_.on_control(1, settings);
  EXPECT_TRUE(room_.moderation_state().settings.e2ee_required());
  EXPECT_TRUE(room_.moderation_state().settings.locked()) << "unset fields stay";
  request(1, v1::HOST_ACTION_UNLOCK);
  v1::Control open;
  open.mutable_host_update_settings()->set_waiting_room(false);
  open.mutable_host_update_settings()->set_e2ee_required(false);  // Ole's client has no E2EE
  room_.on_control(1, open);
  // Max participants: a third participant is refused (hosts still get in).
  EXPECT_EQ(join(other_, 5, "Ole", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-o"),
            JoinResult::kRoomFull);
  v1::Control too_many;
  too_many.mutable_host_update_settings()->set_max_participants(100000);
  room_.on_control(1, too_many);
  EXPECT_EQ(refused_of(host_).back().code(), close_code::kInvalidContent);
}

TEST_F(RoomHostTest, MakeHostHandsOverAndTheOldHostBecomesCoHost) {
  host_and_participant_with_waiting_room();
  request(1, v1::HOST_ACTION_MAKE_HOST, 2);
  EXPECT_EQ(room_.roster()[0].role(), v1::PARTICIPANT_ROLE_CO_HOST);
  EXPECT_EQ(room_.roster()[1].role(), v1::PARTICIPANT_ROLE_HOST);
  EXPECT_EQ(room_.moderation_state().host_subject, "sub-p");
  EXPECT_EQ(moderation_.records.back().state.host_subject, "sub-p");
  request(1, v1::HOST_ACTION_END_MEETING);
  EXPECT_EQ(refused_of(host_).back().code(), close_code::kForbidden) << "no longer the host";
}

TEST_F(RoomHostTest, EndMeetingClosesEveryoneWithItsCodeAndKeepsTheRoomClosed) {
  host_and_participant_with_waiting_room();
  ASSERT_EQ(join(waiting_, 3, "Wim", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-w"),
            JoinResult::kJoined);
  request(1, v1::HOST_ACTION_END_MEETING);
  EXPECT_EQ(host_.closed_code, close_code::kMeetingEnded);
  EXPECT_EQ(participant_.closed_code, close_code::kMeetingEnded);
  EXPECT_EQ(waiting_.closed_code, close_code::kMeetingEnded);
  EXPECT_EQ(participant_.count(v1::Control::kHostActionEvent), 2) << "settings, then the end";
  EXPECT_TRUE(room_.empty());
  EXPECT_TRUE(room_.ended());
  EXPECT_TRUE(moderation_.records.back().state.ended);
  Recorder late;
  EXPECT_EQ(join(late, 9, "Late", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-l"),
            JoinResult::kMeetingEnded);
}

TEST_F(RoomHostTest, RestActorWithoutAConnectionGetsItsStandingRole) {
  ModerationState state;
  state.host_subject = "sub-host";
  state.co_host_subjects = {"sub-co"};
  room_.apply_moderation_state(state);
  ASSERT_EQ(join(participant_, 2, "Pia", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-p"),
            JoinResult::kJoined);
  EXPECT_EQ(room_.actor_for(Identity{7, "H", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-host"}).role,
            v1::PARTICIPANT_ROLE_HOST);
  EXPECT_EQ(room_.actor_for(Identity{8, "C", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-co"}).role,
            v1::PARTICIPANT_ROLE_CO_HOST);
  EXPECT_EQ(room_.actor_for(Identity{9, "X", v1::PARTICIPANT_ROLE_HOST, "sub-x"}).role,
            v1::PARTICIPANT_ROLE_PARTICIPANT)
      << "a host token from before a hand-over";
  v1::HostRequest mute;
  mute.set_action(v1::HOST_ACTION_MUTE_MIC);
  mute.set_target_participant_id(2);
  EXPECT_EQ(
      room_
          .host_request(room_.actor_for(Identity{9, "X", v1::PARTICIPANT_ROLE_HOST, "sub-x"}), mute)
          .code,
      close_code::kForbidden);
  EXPECT_TRUE(
      room_
          .host_request(
              room_.actor_for(Identity{7, "H", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-host"}), mute)
          .ok());
  EXPECT_FALSE(room_.roster()[0].mic_on());
}

}  // namespace
}  // namespace vc::room
