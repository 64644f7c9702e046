// Behaviour of end-to-end encryption (docs/PROTOCOL.md §15): tampering is detected and counted,
// a leaver cannot read media sent after the rotation, a joiner cannot read earlier media, and a
// nonce is never used twice.
#include <gtest/gtest.h>

#include <set>

#include "e2ee/key_ring.hpp"

namespace vc::e2ee {
namespace {

constexpr std::string_view kMeeting = "abc-defg-hij";

::videocall::v1::MediaHeader video_header(uint64_t sender, uint32_t sequence) {
  ::videocall::v1::MediaHeader header;
  header.set_kind(::videocall::v1::MEDIA_KIND_VIDEO);
  header.set_track_id(2);
  header.set_sequence(sequence);
  header.set_codec(::videocall::v1::CODEC_VP8);
  header.set_keyframe(sequence == 0);
  header.set_sender_participant_id(sender);
  return header;
}

const Bytes kFrame{'p', 'l', 'a', 'i', 'n', ' ', 'v', 'p', '8', ' ', 'f', 'r', 'a', 'm', 'e'};

// Delivers every sealed key to the group it is addressed to.
void deliver(std::map<uint64_t, GroupKeys*>& group, const std::vector<KeyMessage>& messages) {
  for (const KeyMessage& message : messages) {
    auto to = group.find(message.to_participant_id);
    if (to != group.end()) {
      EXPECT_TRUE(to->second->on_key_message(message));
    }
  }
}

// Joins `joiner` to everyone in `group`, as the roster and announces would.
void join(std::map<uint64_t, GroupKeys*>& group, uint64_t id, GroupKeys& joiner) {
  const auto others = group;
  group[id] = &joiner;
  // Like the server: everyone sees the joiner's key (and the joiner the roster) before any key
  // message arrives.
  std::vector<KeyMessage> sent;
  for (auto& [other_id, other] : others) {
    for (auto& message : other->peer_key(id, joiner.public_key())) sent.push_back(message);
    for (auto& message : joiner.peer_key(other_id, other->public_key())) sent.push_back(message);
  }
  deliver(group, sent);
}

TEST(E2eeFrames, TamperedHeaderOrPayloadIsDroppedAndCounted) {
  auto keys = PassphraseKeys::create("secret words", std::string(kMeeting));
  ASSERT_TRUE(keys && keys->start_sending(7));
  auto header = video_header(7, 3);
  auto payload = keys->sender().encrypt(header, kFrame);
  ASSERT_TRUE(payload);
  EXPECT_EQ(payload->size(), kFrame.size() + kFrameOverheadBytes);
  EXPECT_EQ(std::search(payload->begin(), payload->end(), kFrame.begin(), kFrame.end()),
            payload->end());

  auto receiver = PassphraseKeys::create("secret words", std::string(kMeeting));
  ASSERT_TRUE(receiver && receiver->start_sending(8));
  Bytes plaintext;
  ASSERT_EQ(receiver->receiver().decrypt(header, *payload, plaintext), DecryptResult::kOk);
  EXPECT_EQ(plaintext, kFrame);

  auto changed = header;
  changed.set_keyframe(true);  // one routing header field changed in transit
  EXPECT_EQ(receiver->receiver().decrypt(changed, *payload, plaintext), DecryptResult::kAuthFailed);
  changed = header;
  changed.set_sender_participant_id(9);  // the server claims another sender
  EXPECT_NE(receiver->receiver().decrypt(changed, *payload, plaintext), DecryptResult::kOk);
  Bytes flipped = *payload;
  flipped[kFrameHeaderBytes + 2] ^= 0x01;
  EXPECT_EQ(receiver->receiver().decrypt(header, flipped, plaintext), DecryptResult::kAuthFailed);
  flipped = *payload;
  flipped[12] ^= 0x01;  // the counter in the E2EE header
  EXPECT_EQ(receiver->receiver().decrypt(header, flipped, plaintext), DecryptResult::kAuthFailed);
  EXPECT_EQ(receiver->receiver().decrypt(header, kFrame, plaintext), DecryptResult::kMalformed);
  EXPECT_EQ(receiver->receiver().stats().auth_failed, 4u);
  EXPECT_EQ(receiver->receiver().stats().malformed, 1u);
  EXPECT_EQ(receiver->receiver().stats().decrypted, 1u);
}

TEST(E2eeFrames, WrongPassphraseDoesNotDecrypt) {
  auto sender = PassphraseKeys::create("right", std::string(kMeeting));
  auto other = PassphraseKeys::create("wrong", std::string(kMeeting));
  ASSERT_TRUE(sender && other && sender->start_sending(1) && other->start_sending(2));
  auto header = video_header(1, 0);
  auto payload = sender->sender().encrypt(header, kFrame);
  Bytes plaintext;
  EXPECT_EQ(other->receiver().decrypt(header, *payload, plaintext), DecryptResult::kAuthFailed);
}

TEST(E2eeFrames, NoncesNeverRepeatAcrossFramesAndRotations) {
  auto group = GroupKeys::create(std::string(kMeeting));
  ASSERT_TRUE(group && group->start(1));
  std::set<std::pair<uint32_t, uint64_t>> seen;  // (key id, counter) in the E2EE header
  std::set<std::array<uint8_t, kNonceBytes>> nonces;
  auto peer = GroupKeys::create(std::string(kMeeting));
  ASSERT_TRUE(peer && peer->start(2));
  for (int round = 0; round < 3; ++round) {
    for (uint32_t i = 0; i < 50; ++i) {
      auto payload = group->sender().encrypt(video_header(1, i), kFrame);
      ASSERT_TRUE(payload);
      auto frame_header = parse_frame_header(*payload);
      ASSERT_TRUE(frame_header);
      EXPECT_TRUE(seen.insert({frame_header->key_id, frame_header->counter}).second);
      auto key = FrameKey::derive(group->sender().secret());
      EXPECT_TRUE(nonces.insert(key->nonce(frame_header->counter)).second);
    }
    // A join ratchets (new secret, same generation) and a leave rotates (new generation).
    group->peer_key(2, peer->public_key());
    group->peer_left(2);
  }
}

TEST(E2eeGroup, LeaverCannotDecryptAfterRotationAndJoinerCannotDecryptEarlier) {
  auto alice = GroupKeys::create(std::string(kMeeting));
  auto bob = GroupKeys::create(std::string(kMeeting));
  auto carol = GroupKeys::create(std::string(kMeeting));
  ASSERT_TRUE(alice && bob && carol && alice->start(1) && bob->start(2) && carol->start(3));
  std::map<uint64_t, GroupKeys*> group{{1, &*alice}};
  join(group, 2, *bob);

  Bytes plaintext;
  auto before_carol = alice->sender().encrypt(video_header(1, 0), kFrame);
  ASSERT_EQ(bob->receiver().decrypt(video_header(1, 0), *before_carol, plaintext),
            DecryptResult::kOk);

  join(group, 3, *carol);
  EXPECT_EQ(alice->safety_code(), bob->safety_code());
  EXPECT_EQ(alice->safety_code(), carol->safety_code());
  // Carol got Alice's next ratchet step: earlier media stays closed to her.
  EXPECT_NE(carol->receiver().decrypt(video_header(1, 0), *before_carol, plaintext),
            DecryptResult::kOk);
  auto with_carol = alice->sender().encrypt(video_header(1, 1), kFrame);
  EXPECT_EQ(carol->receiver().decrypt(video_header(1, 1), *with_carol, plaintext),
            DecryptResult::kOk);
  // Bob ratchets forward on his own (no message needed).
  EXPECT_EQ(bob->receiver().decrypt(video_header(1, 1), *with_carol, plaintext),
            DecryptResult::kOk);

  // Bob leaves: Alice and Carol rotate and tell only each other.
  group.erase(2);
  deliver(group, alice->peer_left(2));
  deliver(group, carol->peer_left(2));
  auto after_leave = alice->sender().encrypt(video_header(1, 2), kFrame);
  EXPECT_EQ(carol->receiver().decrypt(video_header(1, 2), *after_leave, plaintext),
            DecryptResult::kOk);
  EXPECT_EQ(plaintext, kFrame);
  EXPECT_NE(bob->receiver().decrypt(video_header(1, 2), *after_leave, plaintext),
            DecryptResult::kOk);
  EXPECT_EQ(bob->receiver().stats().no_key, 1u);
  EXPECT_NE(alice->safety_code(), bob->safety_code());
}

TEST(E2eeGroup, KeyMessagesOpenOnlyForTheirRecipientFromTheAnnouncedKey) {
  auto alice = GroupKeys::create(std::string(kMeeting));
  auto bob = GroupKeys::create(std::string(kMeeting));
  auto mallory = GroupKeys::create(std::string(kMeeting));
  ASSERT_TRUE(alice && bob && mallory && alice->start(1) && bob->start(2) && mallory->start(3));
  bob->peer_key(1, alice->public_key());
  mallory->peer_key(1, alice->public_key());
  auto messages = alice->peer_key(2, bob->public_key());
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_FALSE(mallory->on_key_message(messages[0]));  // not addressed to Mallory
  KeyMessage redirected = messages[0];
  redirected.to_participant_id = 3;
  EXPECT_FALSE(mallory->on_key_message(redirected));
  KeyMessage other_key_id = messages[0];
  other_key_id.key_id ^= 1;
  EXPECT_FALSE(bob->on_key_message(other_key_id));
  // A key sealed by someone else than the announced key holder does not open.
  auto forged = seal_key(*X25519KeyPair::generate(), 1, bob->public_key(), 2, kMeeting,
                         messages[0].key_id, Secret{});
  ASSERT_TRUE(forged);
  EXPECT_FALSE(bob->on_key_message(*forged));
  EXPECT_TRUE(bob->on_key_message(messages[0]));
  // Same meeting id only.
  auto elsewhere = GroupKeys::create("zzz-zzzz-zzz");
  ASSERT_TRUE(elsewhere && elsewhere->start(2));
  EXPECT_TRUE(alice->peer_key(2, elsewhere->public_key()).size() == 1);
}

TEST(E2eeFrames, HeaderParserRejectsShortAndUnknownVersions) {
  Bytes payload(kFrameOverheadBytes, 0);
  EXPECT_FALSE(parse_frame_header(payload));  // version 0
  payload[0] = kFrameVersion;
  EXPECT_TRUE(parse_frame_header(payload));
  payload.pop_back();
  EXPECT_FALSE(parse_frame_header(payload));
}

}  // namespace
}  // namespace vc::e2ee
