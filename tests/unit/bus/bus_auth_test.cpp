#include "server/bus/bus_auth.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "server/bus/bus_codec.hpp"

namespace vc::bus {
namespace {

const std::vector<uint8_t> kSecret = {0x73, 0x65, 0x63, 0x72, 0x65, 0x74};
constexpr int64_t kNow = 1'800'000'000'000;
constexpr const char* kSubject = "vc.room.demo.media";

std::vector<uint8_t> heartbeat_from(uint64_t node) {
  std::vector<uint8_t> message;
  encode_heartbeat(node, MessageType::kHeartbeat, message);
  return message;
}

TEST(BusAuth, SealedMessageOpensWithTheSameSecretOnly) {
  BusAuthenticator sender(kSecret), receiver(kSecret), stranger(std::vector<uint8_t>{1});
  const std::vector<uint8_t> original = heartbeat_from(7);
  std::vector<uint8_t> sealed = original;
  sender.seal(kSubject, sealed, kNow);
  ASSERT_EQ(sealed.size(), original.size() + kAuthTrailerBytes);
  std::span<const uint8_t> message;
  EXPECT_EQ(stranger.open(kSubject, sealed, kNow, message), AuthResult::kUnauthenticated);
  EXPECT_EQ(receiver.open("vc.room.other.media", sealed, kNow, message),
            AuthResult::kUnauthenticated);
  ASSERT_EQ(receiver.open(kSubject, sealed, kNow, message), AuthResult::kOk);
  EXPECT_EQ(std::vector<uint8_t>(message.begin(), message.end()), original);
}

TEST(BusAuth, EveryByteIsCovered) {
  BusAuthenticator sender(kSecret), receiver(kSecret);
  std::vector<uint8_t> sealed = heartbeat_from(7);
  sender.seal(kSubject, sealed, kNow);
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    std::vector<uint8_t> tampered = sealed;
    tampered[i] ^= 0x01;
    std::span<const uint8_t> message;
    EXPECT_EQ(receiver.open(kSubject, tampered, kNow, message), AuthResult::kUnauthenticated)
        << "byte " << i;
  }
  std::span<const uint8_t> message;
  EXPECT_EQ(receiver.open(kSubject, std::span(sealed).first(10), kNow, message),
            AuthResult::kUnauthenticated);
}

TEST(BusAuth, OldOrFutureMessagesAreStale) {
  BusAuthenticator sender(kSecret), receiver(kSecret);
  const int64_t max_age =
      std::chrono::duration_cast<std::chrono::milliseconds>(limits::kBusMessageMaxAge).count();
  std::vector<uint8_t> old_one = heartbeat_from(7), future = heartbeat_from(7),
                       edge = heartbeat_from(7);
  sender.seal(kSubject, old_one, kNow - max_age - 1);
  sender.seal(kSubject, future, kNow + max_age + 1);
  sender.seal(kSubject, edge, kNow - max_age);
  std::span<const uint8_t> message;
  EXPECT_EQ(receiver.open(kSubject, old_one, kNow, message), AuthResult::kStale);
  EXPECT_EQ(receiver.open(kSubject, future, kNow, message), AuthResult::kStale);
  EXPECT_EQ(receiver.open(kSubject, edge, kNow, message), AuthResult::kOk);
}

TEST(BusAuth, EachSequenceNumberIsAcceptedOncePerSender) {
  BusAuthenticator node_a(kSecret), node_b(kSecret), receiver(kSecret);
  std::vector<std::vector<uint8_t>> from_a;
  for (int i = 0; i < 3; ++i) {
    from_a.push_back(heartbeat_from(0xA));
    node_a.seal(kSubject, from_a.back(), kNow);
  }
  std::vector<uint8_t> from_b = heartbeat_from(0xB);
  node_b.seal(kSubject, from_b, kNow);  // the same sequence number as from_a[0]
  std::span<const uint8_t> message;
  // Out of order (another subject was delivered first) is fine; twice is not.
  EXPECT_EQ(receiver.open(kSubject, from_a[2], kNow, message), AuthResult::kOk);
  EXPECT_EQ(receiver.open(kSubject, from_a[0], kNow, message), AuthResult::kOk);
  EXPECT_EQ(receiver.open(kSubject, from_b, kNow, message), AuthResult::kOk);
  EXPECT_EQ(receiver.open(kSubject, from_a[0], kNow, message), AuthResult::kReplayed);
  EXPECT_EQ(receiver.open(kSubject, from_a[2], kNow, message), AuthResult::kReplayed);
  EXPECT_EQ(receiver.open(kSubject, from_a[1], kNow, message), AuthResult::kOk);
  EXPECT_EQ(receiver.tracked_senders(), 2u);
}

TEST(BusAuth, SequenceNumbersBelowTheWindowAreRejected) {
  BusAuthenticator sender(kSecret), receiver(kSecret);
  std::vector<uint8_t> first = heartbeat_from(7);
  sender.seal(kSubject, first, kNow);
  std::span<const uint8_t> message;
  for (std::size_t i = 0; i < limits::kBusReplayWindowMessages; ++i) {
    std::vector<uint8_t> next = heartbeat_from(7);
    sender.seal(kSubject, next, kNow);
    ASSERT_EQ(receiver.open(kSubject, next, kNow, message), AuthResult::kOk);
  }
  EXPECT_EQ(receiver.open(kSubject, first, kNow, message), AuthResult::kReplayed);
}

TEST(BusAuth, SilentSendersAreForgotten) {
  BusAuthenticator sender(kSecret), receiver(kSecret);
  std::vector<uint8_t> sealed = heartbeat_from(7);
  sender.seal(kSubject, sealed, kNow);
  std::span<const uint8_t> message;
  ASSERT_EQ(receiver.open(kSubject, sealed, kNow, message), AuthResult::kOk);
  receiver.forget_silent_senders(kNow + 1000);
  EXPECT_EQ(receiver.tracked_senders(), 1u);
  const int64_t max_age =
      std::chrono::duration_cast<std::chrono::milliseconds>(limits::kBusMessageMaxAge).count();
  receiver.forget_silent_senders(kNow + 2 * max_age + 1);
  EXPECT_EQ(receiver.tracked_senders(), 0u);
  // Forgotten, yet a replay is still refused: it is stale by then.
  EXPECT_EQ(receiver.open(kSubject, sealed, kNow + 2 * max_age + 1, message), AuthResult::kStale);
}

}  // namespace
}  // namespace vc::bus
