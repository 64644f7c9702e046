// libvideocall end-to-end encryption against the real server (docs/PROTOCOL.md §15): a receiver
// without the key gets payloads that never contain the plaintext, a keyed one gets the plaintext;
// a routing header changed after encryption makes the receiver drop the frame and count it; in a
// meeting that requires E2EE, three participants agree on keys and a safety code, and after one
// leaves the others still decode the rotated key. Every wait is on an event with a deadline.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "e2ee/key_ring.hpp"
#include "server_process.hpp"
#include "videocall/client.hpp"
#include "videocall/event_loop.hpp"

namespace vc {
namespace {

using namespace std::chrono_literals;

struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<client::JoinInfo> joined;
  std::vector<std::vector<uint8_t>> payloads;
  std::vector<uint64_t> peers_joined;
  std::vector<uint64_t> peers_left;
  std::optional<client::E2eeStatus> e2ee;
  std::optional<client::ClientError> closed;

  template <class Predicate>
  bool wait_for(Predicate predicate, std::chrono::seconds deadline = 20s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, deadline, [&] { return predicate(*this); });
  }
};

client::ClientEvents observe(Seen& seen) {
  client::ClientEvents events;
  auto notify = [&seen](auto&& update) {
    std::lock_guard lock(seen.mutex);
    update();
    seen.changed.notify_all();
  };
  events.on_joined = [&seen, notify](const client::JoinInfo& info) {
    notify([&] { seen.joined = info; });
  };
  events.on_participant_joined = [&seen, notify](const v1::Participant& p) {
    notify([&] { seen.peers_joined.push_back(p.participant_id()); });
  };
  events.on_participant_left = [&seen, notify](uint64_t id, v1::LeaveReason) {
    notify([&] { seen.peers_left.push_back(id); });
  };
  events.on_media = [&seen, notify](const v1::MediaHeader& header,
                                    std::span<const uint8_t> payload) {
    if (header.kind() != v1::MEDIA_KIND_VIDEO) return;
    notify([&] { seen.payloads.emplace_back(payload.begin(), payload.end()); });
  };
  events.on_e2ee_status = [&seen, notify](const client::E2eeStatus& status) {
    notify([&] { seen.e2ee = status; });
  };
  events.on_closed = [&seen, notify](const client::ClientError& error) {
    notify([&] { seen.closed = error; });
  };
  return events;
}

// Checks `condition` (which may lock any Seen) each time `wake` changes, for up to 20 s.
template <class Condition>
bool eventually(Condition condition, Seen& wake) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::unique_lock lock(wake.mutex);
    wake.changed.wait_for(lock, 100ms);
  }
  return condition();
}

client::ClientConfig config_for(uint16_t port, const std::string& meeting,
                                const std::string& name) {
  client::ClientConfig config;
  config.server_url = "http://127.0.0.1:" + std::to_string(port);
  config.meeting_id = meeting;
  config.display_name = name;
  config.transport = client::TransportPreference::kWebSocket;
  return config;
}

v1::MediaHeader video_header(uint32_t sequence) {
  v1::MediaHeader header;
  header.set_kind(v1::MEDIA_KIND_VIDEO);
  header.set_codec(v1::CODEC_VP8);
  header.set_sequence(sequence);
  header.set_keyframe(sequence == 0);
  header.set_width(320);
  header.set_height(180);
  return header;
}

std::vector<uint8_t> plaintext_frame(uint32_t sequence) {
  std::string text;
  while (text.size() < 600) text += "PLAINTEXT-FRAME-" + std::to_string(sequence) + "-";
  return {text.begin(), text.end()};
}

bool contains(const std::vector<uint8_t>& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

// Copies what `seen` recorded under its lock: assertions and client calls then run without it
// (holding it while a client closes would deadlock with the on_closed callback).
std::vector<std::vector<uint8_t>> payloads_of(Seen& seen) {
  std::lock_guard lock(seen.mutex);
  return seen.payloads;
}

TEST(ClientE2ee, KeylessReceiverGetsOnlyCiphertextAndKeyedReceiverThePlaintext) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start()) << "server did not start";
  // Declared before the loop: callbacks on the loop's threads may touch them until it stops.
  Seen pub_seen, keyed_seen, keyless_seen;
  client::EventLoop loop(2);
  auto pub_config = config_for(server.port(), "e2ee-passphrase", "pub");
  pub_config.e2ee.passphrase = "correct horse battery staple";
  auto keyed_config = config_for(server.port(), "e2ee-passphrase", "keyed");
  keyed_config.e2ee.passphrase = pub_config.e2ee.passphrase;
  keyed_config.receive_only = true;
  auto keyless_config = config_for(server.port(), "e2ee-passphrase", "recorder");
  keyless_config.receive_only = true;

  auto keyed = client::Client::create(loop, keyed_config, observe(keyed_seen));
  auto keyless = client::Client::create(loop, keyless_config, observe(keyless_seen));
  keyed->start();
  keyless->start();
  ASSERT_TRUE(keyed_seen.wait_for([](Seen& s) { return s.joined.has_value(); }));
  ASSERT_TRUE(keyless_seen.wait_for([](Seen& s) { return s.joined.has_value(); }));
  auto publisher = client::Client::create(loop, pub_config, observe(pub_seen));
  publisher->publish_track(client::default_track(v1::MEDIA_KIND_VIDEO, v1::CODEC_VP8, 320, 180));
  publisher->start();
  ASSERT_TRUE(pub_seen.wait_for(
      [](Seen& s) { return s.e2ee && s.e2ee->mode == client::E2eeMode::kPassphrase; }));

  constexpr uint32_t kFrames = 12;
  for (uint32_t i = 0; i < kFrames; ++i) publisher->send_media(video_header(i), plaintext_frame(i));
  ASSERT_TRUE(keyed_seen.wait_for([](Seen& s) { return s.payloads.size() >= kFrames; }));
  ASSERT_TRUE(keyless_seen.wait_for([](Seen& s) { return s.payloads.size() >= kFrames; }));

  const auto keyed_payloads = payloads_of(keyed_seen);
  const auto keyless_payloads = payloads_of(keyless_seen);
  for (uint32_t i = 0; i < kFrames; ++i) {
    EXPECT_EQ(keyed_payloads[i], plaintext_frame(i));
    const auto& opaque = keyless_payloads[i];
    EXPECT_FALSE(contains(opaque, "PLAINTEXT-FRAME")) << "frame " << i;
    EXPECT_EQ(opaque.size(), plaintext_frame(i).size() + e2ee::kFrameOverheadBytes);
    EXPECT_EQ(opaque[0], e2ee::kFrameVersion);
  }
  EXPECT_EQ(keyed->stats().e2ee_decrypted, kFrames);
  EXPECT_EQ(keyed->stats().e2ee_auth_failed, 0u);
  EXPECT_EQ(publisher->stats().e2ee_encrypted, kFrames);
  publisher->leave();
  keyed->leave();
  keyless->leave();
  loop.drain();
}

TEST(ClientE2ee, AHeaderChangedAfterEncryptionIsDroppedAndCounted) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start()) << "server did not start";
  Seen rx_seen, tx_seen;
  client::EventLoop loop(2);
  const std::string meeting = "e2ee-tamper";
  const std::string passphrase = "tamper test words";
  auto rx_config = config_for(server.port(), meeting, "rx");
  rx_config.e2ee.passphrase = passphrase;
  rx_config.receive_only = true;
  auto receiver = client::Client::create(loop, rx_config, observe(rx_seen));
  receiver->start();
  ASSERT_TRUE(rx_seen.wait_for([](Seen& s) { return s.joined.has_value(); }));
  // The sender encrypts by hand (libvideocall without E2EE passes payloads through), so it can
  // change a header field after encryption, as a meddling server or network would.
  auto sender =
      client::Client::create(loop, config_for(server.port(), meeting, "tx"), observe(tx_seen));
  sender->publish_track(client::default_track(v1::MEDIA_KIND_VIDEO, v1::CODEC_VP8, 320, 180));
  sender->start();
  ASSERT_TRUE(tx_seen.wait_for([](Seen& s) { return s.joined.has_value(); }));
  const uint64_t sender_id = tx_seen.joined->participant_id;
  auto keys = e2ee::PassphraseKeys::create(passphrase, meeting);
  ASSERT_TRUE(keys && keys->start_sending(sender_id));

  auto header = video_header(0);
  header.set_track_id(client::kCameraTrackId);
  header.set_sender_participant_id(sender_id);
  auto honest = keys->sender().encrypt(header, plaintext_frame(0));
  header.set_sequence(1);
  header.set_keyframe(false);
  auto tampered = keys->sender().encrypt(header, plaintext_frame(1));
  ASSERT_TRUE(honest && tampered);
  sender->send_media(video_header(0), *honest);
  auto changed = video_header(1);
  changed.set_width(321);  // one routing header field differs from what was encrypted
  sender->send_media(changed, *tampered);
  auto after = video_header(2);
  after.set_track_id(client::kCameraTrackId);
  after.set_sender_participant_id(sender_id);
  auto third = keys->sender().encrypt(after, plaintext_frame(2));
  sender->send_media(video_header(2), *third);

  ASSERT_TRUE(rx_seen.wait_for([](Seen& s) { return s.payloads.size() >= 2; }));
  const auto received = payloads_of(rx_seen);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0], plaintext_frame(0));
  EXPECT_EQ(received[1], plaintext_frame(2));
  EXPECT_EQ(receiver->stats().e2ee_auth_failed, 1u);
  EXPECT_EQ(receiver->stats().e2ee_decrypted, 2u);
  sender->leave();
  receiver->leave();
  loop.drain();
}

TEST(ClientE2ee, RequiredMeetingAgreesOnKeysAndRotatesWhenSomeoneLeaves) {
  testing::ServerProcess server;
  const std::string meeting = "e2ee-required";
  ASSERT_TRUE(server.start({"--e2ee-required-meeting", meeting})) << "server did not start";
  Seen a_seen, b_seen, c_seen;
  client::EventLoop loop(2);
  auto a =
      client::Client::create(loop, config_for(server.port(), meeting, "alice"), observe(a_seen));
  a->publish_track(client::default_track(v1::MEDIA_KIND_VIDEO, v1::CODEC_VP8, 320, 180));
  auto b = client::Client::create(loop, config_for(server.port(), meeting, "bob"), observe(b_seen));
  auto c =
      client::Client::create(loop, config_for(server.port(), meeting, "carol"), observe(c_seen));
  a->start();
  ASSERT_TRUE(a_seen.wait_for([](Seen& s) { return s.joined.has_value(); }));
  b->start();
  ASSERT_TRUE(b_seen.wait_for([](Seen& s) { return s.joined.has_value(); }));
  c->start();
  ASSERT_TRUE(c_seen.wait_for([](Seen& s) { return s.joined.has_value(); }));
  // Everyone converges on one safety code over all three keys.
  auto code_of = [](Seen& s) {
    std::lock_guard lock(s.mutex);
    return s.e2ee ? s.e2ee->safety_code : std::string();
  };
  ASSERT_TRUE(a_seen.wait_for([](Seen& s) { return s.peers_joined.size() >= 2 && s.e2ee; }));
  ASSERT_TRUE(c_seen.wait_for(
      [&](Seen& s) { return s.e2ee && s.e2ee->mode == client::E2eeMode::kKeyAgreement; }));
  const auto same_code = [&] {
    const std::string code = code_of(a_seen);
    return !code.empty() && code == code_of(b_seen) && code == code_of(c_seen);
  };
  ASSERT_TRUE(eventually(same_code, a_seen))
      << code_of(a_seen) << " / " << code_of(b_seen) << " / " << code_of(c_seen);

  // Frames sent before a key arrives are dropped (and keyframes asked for): send until both
  // receivers decode.
  uint32_t sequence = 0;
  const auto decoded = [](Seen& s) { return !s.payloads.empty(); };
  for (int round = 0;
       round < 200 && !(b_seen.wait_for(decoded, 0s) && c_seen.wait_for(decoded, 0s)); ++round) {
    a->send_media(video_header(sequence), plaintext_frame(sequence));
    ++sequence;
    b_seen.wait_for(decoded, 1s);
  }
  ASSERT_TRUE(b_seen.wait_for(decoded, 1s));
  ASSERT_TRUE(c_seen.wait_for(decoded, 1s));

  // Carol leaves: Alice rotates to a new key only Bob gets, and Bob keeps decoding.
  c->leave();
  ASSERT_TRUE(a_seen.wait_for([](Seen& s) { return !s.peers_left.empty(); }));
  const std::size_t before = [&] {
    std::lock_guard lock(b_seen.mutex);
    return b_seen.payloads.size();
  }();
  for (int round = 0;
       round < 200 && !b_seen.wait_for([&](Seen& s) { return s.payloads.size() > before; }, 0s);
       ++round) {
    a->send_media(video_header(sequence), plaintext_frame(sequence));
    ++sequence;
    b_seen.wait_for([&](Seen& s) { return s.payloads.size() > before; }, 1s);
  }
  {
    std::lock_guard lock(b_seen.mutex);
    ASSERT_GT(b_seen.payloads.size(), before);
    EXPECT_TRUE(contains(b_seen.payloads.back(), "PLAINTEXT-FRAME"));
  }
  EXPECT_EQ(b->stats().e2ee_auth_failed, 0u);
  EXPECT_NE(code_of(a_seen), code_of(c_seen));  // the safety code changed with the roster
  a->leave();
  b->leave();
  loop.drain();
}

}  // namespace
}  // namespace vc
