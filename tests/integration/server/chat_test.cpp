// videocall-server end to end, chat, raised hands and reactions (docs/PROTOCOL.md §12): messages
// reach the other participant stamped by the server, a late joiner gets the history, and too long
// or too fast messages are refused with a Refused while the connection stays open.
#include <gtest/gtest.h>

#include "common/limits.hpp"
#include "server_harness.hpp"

namespace vc::test {
namespace {

// A server with Ada and Bob joined to `meeting` over WebSocket.
struct Pair {
  explicit Pair(const std::string& meeting)
      : ja(join_meeting(server.port(), meeting, "Ada")),
        jb(join_meeting(server.port(), meeting, "Bob")),
        a(server.port(), "/ws?token=" + ja.token),
        b(server.port(), "/ws?token=" + jb.token) {
    a.join();
    b.join();
  }
  ServerProcess server;
  JoinInfo ja, jb;
  WsClient a, b;
};

v1::Envelope chat(const std::string& text, uint64_t client_id) {
  v1::Envelope envelope;
  auto* send = envelope.mutable_control()->mutable_send_chat();
  send->set_text(text);
  send->set_client_message_id(client_id);
  return envelope;
}

bool is_chat(const v1::Control& c, const std::string& text) {
  return c.has_chat_message() && c.chat_message().text() == text;
}

TEST(ServerChat, MessagesReachOthersAndLateJoinersGetTheHistory) {
  Pair pair("talk");
  const uint16_t port = pair.server.port();
  const JoinInfo &ja = pair.ja, &jb = pair.jb;
  WsClient &a = pair.a, &b = pair.b;

  v1::Envelope forged = chat("hi Bob", 7);
  a.send(forged);
  const auto got = b.read_control_until([](const v1::Control& c) { return is_chat(c, "hi Bob"); });
  ASSERT_TRUE(got) << "Bob must receive Ada's message";
  EXPECT_EQ(got->chat_message().sender_participant_id(), ja.participant_id);
  EXPECT_EQ(got->chat_message().sender_display_name(), "Ada");
  EXPECT_GT(got->chat_message().sent_at_ms(), 0u);
  const auto echo = a.read_control_until([](const v1::Control& c) { return is_chat(c, "hi Bob"); });
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->chat_message().client_message_id(), 7u);
  b.send(chat("hello Ada\nsecond line", 1));
  ASSERT_TRUE(a.read_control_until(
      [](const v1::Control& c) { return is_chat(c, "hello Ada\nsecond line"); }));

  const auto jc = join_meeting(port, "talk", "Cy");
  WsClient c(port, "/ws?token=" + jc.token);
  c.join();
  const auto history =
      c.read_control_until([](const v1::Control& m) { return m.has_chat_history(); });
  ASSERT_TRUE(history) << "a late joiner gets the chat right after JoinAccepted";
  ASSERT_EQ(history->chat_history().messages_size(), 2);
  EXPECT_EQ(history->chat_history().messages(0).text(), "hi Bob");
  EXPECT_EQ(history->chat_history().messages(1).sender_participant_id(), jb.participant_id);
}

TEST(ServerChat, OversizeInvalidAndFloodedMessagesAreRefusedWithoutClosing) {
  Pair pair("limits");
  const JoinInfo& ja = pair.ja;
  WsClient &a = pair.a, &b = pair.b;

  a.send(chat(std::string(limits::kMaxChatTextBytes + 1, 'x'), 1));
  auto refused = a.read_control_until([](const v1::Control& c) { return c.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), 4413u);
  EXPECT_EQ(refused->refused().client_message_id(), 1u);
  a.send(chat("\x1b]0;pwned\x07", 2));
  refused = a.read_control_until([](const v1::Control& c) { return c.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), 4422u);

  // A flood: the burst passes, the rest is refused one by one (well under the control budget).
  const int sent = static_cast<int>(limits::kChatBurst) + 5;
  for (int i = 0; i < sent; ++i) a.send(chat("flood " + std::to_string(i), 100 + i));
  int accepted = 0;
  int rate_limited = 0;
  while (accepted + rate_limited < sent) {
    const auto answer = a.read_control_until(
        [](const v1::Control& c) { return c.has_refused() || c.has_chat_message(); });
    ASSERT_TRUE(answer) << "every message is answered: echoed or refused";
    if (answer->has_refused()) {
      EXPECT_EQ(answer->refused().code(), 4429u);
      ++rate_limited;
    } else {
      ++accepted;
    }
  }
  EXPECT_GE(rate_limited, 4);
  EXPECT_LE(accepted, static_cast<int>(limits::kChatBurst) + 1);

  // Still connected both ways: the next reaction arrives.
  v1::Envelope reaction;
  reaction.mutable_control()->mutable_send_reaction()->set_emoji("\xF0\x9F\x8E\x89");
  a.send(reaction);
  const auto seen = b.read_control_until([](const v1::Control& c) { return c.has_reaction(); });
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->reaction().participant_id(), ja.participant_id);
  EXPECT_FALSE(a.closed());
  EXPECT_FALSE(b.closed());
}

TEST(ServerChat, RaisedHandsAreOrderedAndShownToLateJoiners) {
  Pair pair("hands");
  const uint16_t port = pair.server.port();
  const JoinInfo &ja = pair.ja, &jb = pair.jb;
  WsClient &a = pair.a, &b = pair.b;
  const auto raise = [](WsClient& client) {
    v1::Envelope envelope;
    envelope.mutable_control()->mutable_raise_hand()->set_raised(true);
    client.send(envelope);
    return client.read_control_until([](const v1::Control& c) {
      return c.has_participant_updated() &&
             c.participant_updated().participant().hand_raised_at_us() != 0;
    });
  };
  const auto bob_up = raise(b);  // Bob first
  ASSERT_TRUE(bob_up);
  ASSERT_TRUE(a.read_control_until([&](const v1::Control& c) {
    return c.has_participant_updated() &&
           c.participant_updated().participant().participant_id() == jb.participant_id;
  }));
  const auto ada_up = raise(a);
  ASSERT_TRUE(ada_up);

  const auto jc = join_meeting(port, "hands", "Cy");
  WsClient c(port, "/ws?token=" + jc.token);
  const auto accepted = c.join();
  uint64_t ada_at = 0;
  uint64_t bob_at = 0;
  for (const auto& p : accepted.roster()) {
    (p.participant_id() == ja.participant_id ? ada_at : bob_at) = p.hand_raised_at_us();
  }
  EXPECT_NE(bob_at, 0u);
  EXPECT_LT(bob_at, ada_at);
}

}  // namespace
}  // namespace vc::test
