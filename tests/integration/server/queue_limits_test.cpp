// Queues and memory against the real server (issue 9 item 3): a receiver that never reads is
// closed with 4429 once the process-wide send-queue cap is reached, the server's queued bytes stay
// under that cap, oversized audio is dropped, and the receiver that keeps up gets everything.
#include <gtest/gtest.h>

#include <string>

#include "common/limits.hpp"
#include "protocol/close_codes.hpp"
#include "server_harness.hpp"

namespace vc::test {
namespace {

// The value of an unlabelled metric in the /metrics text, or -1 when absent.
long long metric_value(uint16_t port, const std::string& name) {
  const std::string body = http_request(port, "GET", "/metrics").body;
  const std::string key = "\n" + name + " ";
  const auto at = body.find(key);
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + key.size()));
}

TEST(ServerQueues, NonReadingReceiverIsClosedAndQueuedBytesStayBounded) {
  constexpr std::size_t kCap = limits::kMaxEnvelopeBytes;  // the smallest the flag accepts
  ServerProcess server({"--max-send-queue-bytes", std::to_string(kCap)});
  const uint16_t port = server.port();
  const auto join_pub = join_meeting(port, "queues", "Publisher");
  const auto join_reader = join_meeting(port, "queues", "Reader");
  const auto join_stuck = join_meeting(port, "queues", "Stuck");
  WsClient publisher(port, "/ws?token=" + join_pub.token);
  publisher.join();
  WsClient reader(port, "/ws?token=" + join_reader.token);
  reader.join();
  WsClient stuck(port, "/ws?token=" + join_stuck.token);
  stuck.join();  // and never reads again

  // Paced by the reader, so its queue is empty at every push: only the stuck one falls behind.
  const std::string frame(64u << 10, 'v');
  long long max_queued = 0;
  bool stuck_closed = false;
  for (int i = 0; i < 2000 && !stuck_closed; ++i) {
    publisher.send_media(v1::MEDIA_KIND_VIDEO, frame, 0, static_cast<uint32_t>(i));
    const auto media = reader.read_media();
    ASSERT_TRUE(media) << "the reader lost frame " << i;
    ASSERT_EQ(media->header().sequence(), static_cast<uint32_t>(i));
    if (i % 4 == 0) {
      max_queued = std::max(max_queued, metric_value(port, "videocall_send_queue_bytes"));
      stuck_closed = metric_value(port, "videocall_slow_receivers_closed_total") > 0;
    }
  }
  ASSERT_TRUE(stuck_closed) << "the non-reading receiver was never closed";
  EXPECT_EQ(stuck.wait_close(), close_code::kTooSlow);
  // Over the cap a receiver that keeps up may still take one frame: allow one per connection.
  EXPECT_LE(max_queued, static_cast<long long>(kCap + 3 * (frame.size() + 256)));
  EXPECT_GE(metric_value(port, "videocall_send_queue_over_process_cap_total"), 1);

  // Oversized audio is dropped; normal audio and video keep flowing to the reader.
  publisher.send_media(v1::MEDIA_KIND_AUDIO, std::string(limits::kMaxAudioEnvelopeBytes, 'a'));
  publisher.send_media(v1::MEDIA_KIND_AUDIO, std::string(160, 'a'));
  const auto audio = reader.read_media();
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->header().kind(), v1::MEDIA_KIND_AUDIO);
  EXPECT_EQ(audio->payload().size(), 160u);
  EXPECT_EQ(metric_value(port, "videocall_audio_oversized_dropped_total"), 1);
  publisher.send_media(v1::MEDIA_KIND_VIDEO, frame);
  EXPECT_TRUE(reader.read_media());
  EXPECT_LT(metric_value(port, "videocall_send_queue_bytes"),
            static_cast<long long>(frame.size() + 256));
}

}  // namespace
}  // namespace vc::test
