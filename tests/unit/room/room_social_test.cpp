// Chat, raised hands and reactions in the room (docs/PROTOCOL.md §12), on virtual time: the room
// stamps identity and time, refuses without closing, keeps a bounded history for late joiners, and
// hands chat to and from other nodes only for members those nodes own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "protocol/close_codes.hpp"
#include "recorder.hpp"
#include "server/room/chat_history.hpp"
#include "server/room/chat_text.hpp"
#include "server/room/room.hpp"

namespace vc::room {
namespace {

using test::Recorder;

std::vector<v1::ChatMessage> chat_of(const Recorder& r) {
  std::vector<v1::ChatMessage> out;
  for (const auto& c : r.control) {
    if (c.has_chat_message()) out.push_back(c.chat_message());
    if (c.has_chat_history()) {
      for (const auto& m : c.chat_history().messages()) out.push_back(m);
    }
  }
  return out;
}

std::vector<v1::Refused> refused_of(const Recorder& r) {
  std::vector<v1::Refused> out;
  for (const auto& c : r.control) {
    if (c.has_refused()) out.push_back(c.refused());
  }
  return out;
}

class SocialObserver : public RoomObserver {
 public:
  void on_local_chat(const Room&, const v1::ChatMessage& message) override {
    chat.push_back(message);
  }
  void on_local_reaction(const Room&, const v1::Reaction& reaction) override {
    reactions.push_back(reaction);
  }
  std::vector<v1::ChatMessage> chat;
  std::vector<v1::Reaction> reactions;
};

class RoomSocialTest : public ::testing::Test {
 protected:
  RoomSocialTest()
      : room_(
            "demo", [this] { return now_; }, &observer_) {}

  void join(Recorder& endpoint, uint64_t id, std::string name,
            v1::ParticipantRole role = v1::PARTICIPANT_ROLE_PARTICIPANT,
            bool receive_only = false) {
    JoinRequest request;
    request.identity = Identity{id, std::move(name), role};
    request.session_id = id * 10;
    request.receive_only = receive_only;
    room_.join(endpoint, request);
  }
  void say(uint64_t from, const std::string& text, uint64_t client_id = 0) {
    v1::Control control;
    control.mutable_send_chat()->set_text(text);
    control.mutable_send_chat()->set_client_message_id(client_id);
    room_.on_control(from, control);
  }
  void react(uint64_t from, const std::string& emoji) {
    v1::Control control;
    control.mutable_send_reaction()->set_emoji(emoji);
    room_.on_control(from, control);
  }
  void hand(uint64_t from, bool raised) {
    v1::Control control;
    control.mutable_raise_hand()->set_raised(raised);
    room_.on_control(from, control);
  }

  TimePoint now_{std::chrono::seconds(100)};
  SocialObserver observer_;
  Room room_;
};

const std::string kThumbsUp = "\xF0\x9F\x91\x8D";

TEST(ChatText, AcceptsTextAndNewlinesRefusesControlsAndBadUtf8) {
  EXPECT_EQ(check_chat_text("hello\nworld"), ChatTextResult::kOk);
  EXPECT_EQ(check_chat_text("h\xC3\xA9llo \xF0\x9F\x8E\x89"), ChatTextResult::kOk);
  EXPECT_EQ(check_chat_text(""), ChatTextResult::kEmpty);
  EXPECT_EQ(check_chat_text(" \n "), ChatTextResult::kEmpty);
  EXPECT_EQ(check_chat_text("a\rb"), ChatTextResult::kInvalid);
  EXPECT_EQ(check_chat_text("a\x1b[31mb"), ChatTextResult::kInvalid);
  EXPECT_EQ(check_chat_text("a\tb"), ChatTextResult::kInvalid);
  EXPECT_EQ(check_chat_text("a\xC2\x85"), ChatTextResult::kInvalid);     // C1 NEL
  EXPECT_EQ(check_chat_text("\xC0\xAF"), ChatTextResult::kInvalid);      // overlong
  EXPECT_EQ(check_chat_text("\xED\xA0\x80"), ChatTextResult::kInvalid);  // surrogate
  EXPECT_EQ(check_chat_text("ab\xE2\x82"), ChatTextResult::kInvalid);    // cut sequence
  EXPECT_EQ(check_chat_text(std::string(limits::kMaxChatTextBytes, 'x')), ChatTextResult::kOk);
  EXPECT_EQ(check_chat_text(std::string(limits::kMaxChatTextBytes + 1, 'x')),
            ChatTextResult::kTooLong);
  EXPECT_TRUE(is_allowed_reaction(kThumbsUp));
  EXPECT_FALSE(is_allowed_reaction("x"));
  EXPECT_FALSE(is_allowed_reaction(kThumbsUp + kThumbsUp));
}

TEST(ChatHistoryBounds, EvictsOldestByCountAndBytes) {
  ChatHistory history(3, 10);
  for (uint64_t id = 1; id <= 4; ++id) {
    v1::ChatMessage m;
    m.set_message_id(id);
    m.set_sent_at_ms(id);
    m.set_text("ab");
    history.add(m);
  }
  ASSERT_EQ(history.messages().size(), 3u);
  EXPECT_EQ(history.messages().front().message_id(), 2u);
  v1::ChatMessage big;
  big.set_message_id(9);
  big.set_sent_at_ms(9);
  big.set_text("123456789");
  history.add(big);
  EXPECT_LE(history.bytes(), 10u);
  ASSERT_EQ(history.messages().size(), 1u);
  EXPECT_EQ(history.messages().front().message_id(), 9u);
}

TEST(ChatHistoryBounds, MergeKeepsTimeOrderAndReportsOnlyNewMessages) {
  ChatHistory history;
  v1::ChatMessage a, b, c;
  a.set_message_id(1), a.set_sent_at_ms(10), a.set_text("a");
  b.set_message_id(2), b.set_sent_at_ms(20), b.set_text("b");
  c.set_message_id(3), c.set_sent_at_ms(30), c.set_text("c");
  history.add(c);
  const std::vector<v1::ChatMessage> incoming = {b, a, c};
  const auto added = history.merge(incoming);
  ASSERT_EQ(added.size(), 2u);
  EXPECT_EQ(added[0].message_id(), 1u);
  EXPECT_EQ(added[1].message_id(), 2u);
  ASSERT_EQ(history.messages().size(), 3u);
  EXPECT_EQ(history.messages()[0].message_id(), 1u);
  EXPECT_EQ(history.messages()[2].message_id(), 3u);
  EXPECT_TRUE(history.merge(incoming).empty());
}

TEST_F(RoomSocialTest, ChatIsStampedByTheServerAndReachesEveryoneWithEcho) {
  Recorder ada, bob;
  join(ada, 1, "Ada");
  join(bob, 2, "Bob");
  say(1, "hi");
  say(1, "hello bob", 77);
  ASSERT_EQ(chat_of(bob).size(), 2u);
  const v1::ChatMessage got = chat_of(bob).back();
  EXPECT_EQ(got.sender_participant_id(), 1u);
  EXPECT_EQ(got.sender_display_name(), "Ada");
  EXPECT_EQ(got.text(), "hello bob");
  EXPECT_NE(got.message_id(), 0u);
  EXPECT_GT(got.sent_at_ms(), 0u);
  ASSERT_EQ(chat_of(ada).size(), 2u);
  EXPECT_EQ(chat_of(ada).back().client_message_id(), 77u);
  EXPECT_EQ(chat_of(ada).back().message_id(), got.message_id());
  // Nothing left the room yet: no remote member, nothing for the bus.
  EXPECT_TRUE(observer_.chat.empty());
}

TEST_F(RoomSocialTest, LateJoinerGetsHistoryRightAfterJoinAccepted) {
  Recorder ada, bob, late;
  join(ada, 1, "Ada");
  join(bob, 2, "Bob");
  say(1, "one");
  say(2, "two");
  join(late, 3, "Cy");
  ASSERT_GE(late.control.size(), 2u);
  EXPECT_TRUE(late.control[0].has_join_accepted());
  ASSERT_TRUE(late.control[1].has_chat_history());
  const auto& history = late.control[1].chat_history().messages();
  ASSERT_EQ(history.size(), 2);
  EXPECT_EQ(history[0].text(), "one");
  EXPECT_EQ(history[1].sender_display_name(), "Bob");
  EXPECT_EQ(history[0].client_message_id(), 0u);
  // A joiner in an empty chat gets no ChatHistory at all.
  Room quiet("quiet", [this] { return now_; });
  Recorder first;
  JoinRequest request;
  request.identity = Identity{5, "Eve", v1::PARTICIPANT_ROLE_PARTICIPANT};
  quiet.join(first, request);
  EXPECT_EQ(first.count(v1::Control::kChatHistory), 0);
}

TEST_F(RoomSocialTest, TooLongInvalidAndFloodedChatIsRefusedWithoutClosing) {
  Recorder ada, bob;
  join(ada, 1, "Ada");
  join(bob, 2, "Bob");
  say(1, std::string(limits::kMaxChatTextBytes + 1, 'x'), 5);
  say(1, "bad\x1b", 6);
  ASSERT_EQ(refused_of(ada).size(), 2u);
  EXPECT_EQ(refused_of(ada)[0].code(), close_code::kTooLarge);
  EXPECT_EQ(refused_of(ada)[0].client_message_id(), 5u);
  EXPECT_EQ(refused_of(ada)[0].request(), static_cast<uint32_t>(v1::Control::kSendChat));
  EXPECT_EQ(refused_of(ada)[1].code(), close_code::kInvalidContent);
  // The burst passes, the next one is over the rate; time refills the bucket.
  for (int i = 0; i < static_cast<int>(limits::kChatBurst); ++i) say(1, "m" + std::to_string(i));
  EXPECT_EQ(chat_of(bob).size(), static_cast<std::size_t>(limits::kChatBurst));
  say(1, "one too many", 9);
  ASSERT_EQ(refused_of(ada).size(), 3u);
  EXPECT_EQ(refused_of(ada)[2].code(), close_code::kTooSlow);
  EXPECT_EQ(chat_of(bob).size(), static_cast<std::size_t>(limits::kChatBurst));
  now_ += std::chrono::seconds(2);
  say(1, "later");
  EXPECT_EQ(chat_of(bob).back().text(), "later");
  EXPECT_EQ(ada.closed_code, 0u);
  EXPECT_EQ(room_.participant_count(), 2u);
  EXPECT_EQ(room_.stats().chat_refused, 3u);
}

TEST_F(RoomSocialTest, ViewersChatWaitingParticipantsNeitherSendNorSee) {
  Recorder ada, viewer, waiting;
  join(ada, 1, "Ada");
  join(viewer, 2, "Viewer", v1::PARTICIPANT_ROLE_PARTICIPANT, /*receive_only=*/true);
  join(waiting, 3, "Wait", v1::PARTICIPANT_ROLE_WAITING);
  say(2, "from the audience");
  ASSERT_EQ(chat_of(ada).size(), 1u);
  EXPECT_EQ(chat_of(ada)[0].sender_participant_id(), 2u);
  say(3, "let me in");
  ASSERT_EQ(refused_of(waiting).size(), 1u);
  EXPECT_EQ(refused_of(waiting)[0].code(), close_code::kForbidden);
  EXPECT_TRUE(chat_of(waiting).empty());
  EXPECT_EQ(chat_of(ada).size(), 1u);
}

TEST_F(RoomSocialTest, HandsAreOrderedByRaiseAndLoweredBySelf) {
  Recorder ada, bob, cy;
  join(ada, 1, "Ada");
  join(bob, 2, "Bob");
  hand(2, true);
  hand(1, true);
  hand(2, true);  // already up: no new time, no broadcast
  std::vector<v1::Participant> roster = room_.roster();
  const uint64_t ada_at = roster[0].hand_raised_at_us();
  const uint64_t bob_at = roster[1].hand_raised_at_us();
  EXPECT_NE(bob_at, 0u);
  EXPECT_LT(bob_at, ada_at);  // Bob first
  // The raiser hears it too (it learns its place); the other sees it.
  EXPECT_EQ(bob.count(v1::Control::kParticipantUpdated), 2);
  join(cy, 3, "Cy");
  const auto& accepted = cy.control[0].join_accepted();
  ASSERT_EQ(accepted.roster_size(), 2);
  EXPECT_EQ(accepted.roster(0).hand_raised_at_us(), ada_at);
  EXPECT_EQ(accepted.roster(1).hand_raised_at_us(), bob_at);
  hand(2, false);
  EXPECT_EQ(room_.roster()[1].hand_raised_at_us(), 0u);
  EXPECT_EQ(cy.control.back().participant_updated().participant().hand_raised_at_us(), 0u);
  hand(2, true);  // up again: behind Ada now
  EXPECT_GT(room_.roster()[1].hand_raised_at_us(), ada_at);
}

TEST_F(RoomSocialTest, ReactionsFromTheAllowedSetAreRateLimited) {
  Recorder ada, bob;
  join(ada, 1, "Ada");
  join(bob, 2, "Bob");
  react(1, "not an emoji");
  ASSERT_EQ(refused_of(ada).size(), 1u);
  EXPECT_EQ(refused_of(ada)[0].code(), close_code::kInvalidContent);
  for (int i = 0; i < static_cast<int>(limits::kReactionBurst) + 1; ++i) react(1, kThumbsUp);
  EXPECT_EQ(bob.count(v1::Control::kReaction), static_cast<int>(limits::kReactionBurst));
  ASSERT_EQ(refused_of(ada).size(), 2u);
  EXPECT_EQ(refused_of(ada)[1].code(), close_code::kTooSlow);
  v1::Reaction seen;
  for (const auto& c : bob.control) {
    if (c.has_reaction()) seen = c.reaction();
  }
  EXPECT_EQ(seen.participant_id(), 1u);
  EXPECT_EQ(seen.emoji(), kThumbsUp);
  EXPECT_EQ(ada.closed_code, 0u);
}

TEST_F(RoomSocialTest, ChatCrossesNodesOnlyForMembersTheSendingNodeOwns) {
  Recorder ada;
  join(ada, 1, "Ada");
  RemoteMember remote;
  remote.node_id = 42;
  remote.info.set_participant_id(9);
  remote.info.set_display_name("Remote");
  remote.claim_us = 1;
  room_.upsert_remote(remote);
  say(1, "to everyone");
  ASSERT_EQ(observer_.chat.size(), 1u);
  EXPECT_EQ(observer_.chat[0].sender_participant_id(), 1u);
  react(1, kThumbsUp);
  EXPECT_EQ(observer_.reactions.size(), 1u);

  v1::ChatMessage incoming;
  incoming.set_message_id(1234);
  incoming.set_sender_participant_id(9);
  incoming.set_sender_display_name("Forged name");
  incoming.set_sent_at_ms(5);
  incoming.set_text("from node 42");
  EXPECT_FALSE(room_.on_remote_chat(incoming, 43));  // not the owner
  EXPECT_TRUE(room_.on_remote_chat(incoming, 42));
  EXPECT_FALSE(room_.on_remote_chat(incoming, 42));  // a duplicate
  ASSERT_EQ(chat_of(ada).back().text(), "from node 42");
  EXPECT_EQ(chat_of(ada).back().sender_display_name(), "Remote");
  incoming.set_sender_participant_id(1);  // a local member: never from another node
  incoming.set_message_id(1235);
  EXPECT_FALSE(room_.on_remote_chat(incoming, 42));
  EXPECT_EQ(room_.chat_history().messages().size(), 2u);

  // A history from another node: only the unknown messages go to local members, oldest first.
  Recorder late;
  join(late, 3, "Late");
  const std::size_t before = chat_of(late).size();
  v1::ChatMessage older;
  older.set_message_id(99);
  older.set_sender_participant_id(9);
  older.set_sent_at_ms(1);
  older.set_text("before we followed the room");
  const std::vector<v1::ChatMessage> history = {older, room_.chat_history().messages().back()};
  room_.merge_chat_history(history);
  ASSERT_EQ(chat_of(late).size(), before + 1);
  EXPECT_EQ(chat_of(late).back().message_id(), 99u);
  EXPECT_EQ(room_.chat_history().messages().front().message_id(), 99u);
}

}  // namespace
}  // namespace vc::room
