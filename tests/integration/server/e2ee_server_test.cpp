// videocall-server end to end, end-to-end encryption support (docs/PROTOCOL.md §15.4, §15.6): a
// meeting that requires E2EE refuses a Hello without the capability (4450); announced public keys
// reach the others bound to the announcer's id; sealed keys go to their one recipient with the
// sender's id stamped (a forged one is overwritten); malformed ones and unknown recipients are
// refused with the connection kept open.
#include <gtest/gtest.h>

#include "protocol/close_codes.hpp"
#include "server_harness.hpp"

namespace vc::test {
namespace {

v1::Envelope hello(bool capable, const std::string& public_key = {}) {
  v1::Envelope envelope;
  auto* h = envelope.mutable_control()->mutable_hello();
  h->set_protocol_version(v1::PROTOCOL_VERSION_1);
  h->set_client("e2ee-test");
  h->set_e2ee_capable(capable);
  h->set_e2ee_public_key(public_key);
  return envelope;
}

v1::Envelope key_message(uint64_t to, std::size_t sealed_bytes, uint64_t forged_from = 0) {
  v1::Envelope envelope;
  auto* m = envelope.mutable_control()->mutable_e2ee_key_message();
  m->set_to_participant_id(to);
  m->set_from_participant_id(forged_from);
  m->set_key_id(0x101);
  m->set_sealed(std::string(sealed_bytes, '\x5a'));
  return envelope;
}

TEST(ServerE2ee, RequiredMeetingRefusesClientsWithoutE2ee) {
  ServerProcess server({"--e2ee-required-meeting", "locked"});
  const auto j = join_meeting(server.port(), "locked", "Old client");
  WsClient old_client(server.port(), "/ws?token=" + j.token);
  old_client.send(hello(false));
  EXPECT_EQ(old_client.wait_close(), close_code::kE2eeRequired);
  ASSERT_TRUE(old_client.last_error());
  EXPECT_EQ(old_client.last_error()->code(), close_code::kE2eeRequired);

  const auto k = join_meeting(server.port(), "locked", "New client");
  WsClient capable(server.port(), "/ws?token=" + k.token);
  capable.send(hello(true));
  const auto accepted =
      capable.read_control_until([](const v1::Control& c) { return c.has_join_accepted(); });
  ASSERT_TRUE(accepted);
  EXPECT_TRUE(accepted->join_accepted().e2ee_required());

  // Other meetings are unaffected.
  const auto o = join_meeting(server.port(), "open", "Old client");
  WsClient open(server.port(), "/ws?token=" + o.token);
  open.send(hello(false));
  const auto open_accepted =
      open.read_control_until([](const v1::Control& c) { return c.has_join_accepted(); });
  ASSERT_TRUE(open_accepted);
  EXPECT_FALSE(open_accepted->join_accepted().e2ee_required());
}

TEST(ServerE2ee, KeysAreBoundToParticipantsAndSealedKeysGoToOneRecipient) {
  ServerProcess server;
  const uint16_t port = server.port();
  const auto ja = join_meeting(port, "keys", "Ada");
  const auto jb = join_meeting(port, "keys", "Bob");
  const auto jc = join_meeting(port, "keys", "Cy");
  WsClient a(port, "/ws?token=" + ja.token);
  a.send(hello(true, std::string(32, 'A')));
  ASSERT_TRUE(a.read_control_until([](const v1::Control& c) { return c.has_join_accepted(); }));
  WsClient b(port, "/ws?token=" + jb.token);
  b.send(hello(true));
  const auto roster =
      b.read_control_until([](const v1::Control& c) { return c.has_join_accepted(); });
  ASSERT_TRUE(roster);
  ASSERT_EQ(roster->join_accepted().roster_size(), 1);
  EXPECT_EQ(roster->join_accepted().roster(0).e2ee_public_key(), std::string(32, 'A'));
  EXPECT_TRUE(roster->join_accepted().roster(0).e2ee_capable());
  WsClient c(port, "/ws?token=" + jc.token);
  c.send(hello(true));
  ASSERT_TRUE(c.read_control_until([](const v1::Control& c) { return c.has_join_accepted(); }));

  // Bob announces a key later: everyone sees it on Bob's id.
  v1::Envelope announce;
  announce.mutable_control()->mutable_e2ee_key_announce()->set_public_key(std::string(32, 'B'));
  b.send(announce);
  const auto updated = a.read_control_until([&](const v1::Control& m) {
    return m.has_participant_updated() &&
           m.participant_updated().participant().participant_id() == jb.participant_id &&
           !m.participant_updated().participant().e2ee_public_key().empty();
  });
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->participant_updated().participant().e2ee_public_key(), std::string(32, 'B'));

  // A sealed key for Bob, with a forged sender: Bob gets it stamped with Ada's id; Cy gets nothing.
  a.send(key_message(jb.participant_id, 60, /*forged_from=*/jc.participant_id));
  const auto sealed =
      b.read_control_until([](const v1::Control& m) { return m.has_e2ee_key_message(); });
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->e2ee_key_message().from_participant_id(), ja.participant_id);
  EXPECT_EQ(sealed->e2ee_key_message().to_participant_id(), jb.participant_id);
  EXPECT_EQ(sealed->e2ee_key_message().key_id(), 0x101u);
  EXPECT_EQ(sealed->e2ee_key_message().sealed(), std::string(60, '\x5a'));

  // Malformed: wrong size, to oneself, an unknown recipient, a bad announce. Refused; still open.
  a.send(key_message(jb.participant_id, 59));
  auto refused = a.read_control_until([](const v1::Control& m) { return m.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), close_code::kE2eeMalformed);
  EXPECT_EQ(refused->refused().request(), static_cast<uint32_t>(v1::Control::kE2EeKeyMessage));
  a.send(key_message(ja.participant_id, 60));
  refused = a.read_control_until([](const v1::Control& m) { return m.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), close_code::kE2eeMalformed);
  a.send(key_message(123456789, 60));
  refused = a.read_control_until([](const v1::Control& m) { return m.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), close_code::kUnknownMeeting);
  v1::Envelope bad_announce;
  bad_announce.mutable_control()->mutable_e2ee_key_announce()->set_public_key("short");
  a.send(bad_announce);
  refused = a.read_control_until([](const v1::Control& m) { return m.has_refused(); });
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->refused().code(), close_code::kE2eeMalformed);

  // Cy received none of the sealed keys; a key for Cy arrives as the first E2EE message it sees.
  b.send(key_message(jc.participant_id, 60));
  const auto for_cy =
      c.read_control_until([](const v1::Control& m) { return m.has_e2ee_key_message(); });
  ASSERT_TRUE(for_cy);
  EXPECT_EQ(for_cy->e2ee_key_message().from_participant_id(), jb.participant_id);
  EXPECT_FALSE(a.closed());
}

}  // namespace
}  // namespace vc::test
