// A slow receiver against the real server (docs/PROTOCOL.md §11.4, §11.6): one WebSocket receiver
// sits behind a ShapingProxy that limits the server -> client direction to 300 kbps, another is
// connected directly. A publisher sends a 3-encoding simulcast camera in real time (about 70 kbps,
// 360 kbps and 1.2 Mbps). The shaped receiver's bandwidth estimate must bring it down to the
// lowest encoding and keep it there; the direct one must get the top encoding throughout, never
// lowered by the slow one. Every wait is on received frames, with deadlines.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include "server_harness.hpp"
#include "shaping_proxy.hpp"

namespace vc::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint32_t kCamera = 2;
constexpr uint64_t kShapedBps = 300'000;
constexpr auto kFrameInterval = std::chrono::microseconds(33'333);  // 30 fps
constexpr uint32_t kGopFrames = 30;                                 // a keyframe every second
// Payload bytes per frame of each encoding: x 8 x 30 fps = 72 kbps, 360 kbps, 1.2 Mbps. Only the
// lowest fits 300 kbps (the estimate backs off to 0.85 x the delivery rate).
constexpr std::size_t kFrameBytes[3] = {300, 1500, 5000};
// "Settled": this many frames in a row of the lowest encoding (4 s).
constexpr int kSettledRun = 120;

v1::Envelope publish_camera() {
  v1::Envelope envelope;
  v1::Track* track = envelope.mutable_control()->mutable_publish_track()->mutable_track();
  track->set_track_id(kCamera);
  track->set_source(v1::TRACK_SOURCE_CAMERA);
  track->set_kind(v1::MEDIA_KIND_VIDEO);
  track->set_codec(v1::CODEC_VP8);
  track->set_temporal_layers(1);
  const uint32_t heights[3] = {180, 360, 720};
  for (uint32_t s = 0; s < 3; ++s) {
    v1::VideoLayer* layer = track->add_layers();
    layer->set_spatial_layer(s);
    layer->set_height(heights[s]);
    layer->set_width(heights[s] * 16 / 9);
    layer->set_max_bitrate_bps(static_cast<uint32_t>(kFrameBytes[s] * 8 * 30));
  }
  return envelope;
}

v1::Envelope frame(uint32_t spatial, uint32_t sequence) {
  v1::Envelope envelope;
  v1::MediaHeader* header = envelope.mutable_media()->mutable_header();
  header->set_kind(v1::MEDIA_KIND_VIDEO);
  header->set_track_id(kCamera);
  header->set_spatial_layer(spatial);
  header->set_temporal_layer(0);
  header->set_sequence(sequence);
  header->set_keyframe(sequence % kGopFrames == 0);
  header->set_codec(v1::CODEC_VP8);
  envelope.mutable_media()->set_payload(std::string(kFrameBytes[spatial], 'v'));
  return envelope;
}

// What one receiver saw, filled by its reader thread.
struct Tally {
  std::mutex mutex;
  std::condition_variable changed;
  int frames[3] = {};
  int low_run = 0;  // frames of encoding 0 in a row, up to the last one
  std::optional<Clock::time_point> first_frame;
  std::optional<Clock::time_point> low_run_start;  // when the current run of encoding 0 began
  std::optional<Clock::duration> settled_after;    // first frame -> start of a kSettledRun run
  bool closed = false;
  std::string close_reason;
};

void read_frames(WsClient& client, Tally& tally, const std::atomic<bool>& stop) {
  while (!stop) {
    auto message = client.read(5s);
    std::lock_guard lock(tally.mutex);
    if (!message) {
      tally.closed = true;
      tally.close_reason = client.read_error();
      tally.changed.notify_all();
      return;
    }
    if (!message->envelope.has_media()) continue;
    const uint32_t spatial = message->envelope.media().header().spatial_layer();
    if (spatial > 2) continue;
    const Clock::time_point now = Clock::now();
    if (!tally.first_frame) tally.first_frame = now;
    ++tally.frames[spatial];
    if (spatial == 0) {
      if (tally.low_run++ == 0) tally.low_run_start = now;
      if (tally.low_run == kSettledRun && !tally.settled_after) {
        tally.settled_after = *tally.low_run_start - *tally.first_frame;
      }
    } else {
      tally.low_run = 0;
    }
    tally.changed.notify_all();
  }
}

TEST(ShapedReceiver, SlowReceiverGetsTheLowEncodingAndTheFastOneKeepsTheTop) {
  ServerProcess server;
  const uint16_t port = server.port();
  // An Ethernet-sized MSS, so the server's kernel buffers about as much as it would on a real
  // path (loopback's 64 KiB segments make it buffer seconds of this rate).
  ShapingProxy proxy({.target_port = port, .downstream_bps = kShapedBps, .upstream_mss = 1460});
  const auto pub = join_meeting(port, "shaped", "Publisher");
  const auto fast = join_meeting(port, "shaped", "Direct");
  const auto slow = join_meeting(port, "shaped", "Shaped");
  WsClient publisher(port, "/ws?token=" + pub.token);
  publisher.join();
  WsClient direct(port, "/ws?token=" + fast.token);
  direct.join(true);
  WsClient shaped(proxy.port(), "/ws?token=" + slow.token);
  shaped.join(true);
  publisher.send(publish_camera());
  // The receivers see the track before media flows (the default subscription: the top encoding).
  for (WsClient* receiver : {&direct, &shaped}) {
    ASSERT_TRUE(receiver->read_control_until([](const v1::Control& c) {
      return c.has_participant_updated() &&
             c.participant_updated().participant().tracks_size() == 1;
    }));
  }

  std::atomic<bool> stop_readers{false};
  std::atomic<bool> stop_publisher{false};
  Tally direct_tally, shaped_tally;
  std::string publisher_error;
  std::thread direct_reader([&] { read_frames(direct, direct_tally, stop_readers); });
  std::thread shaped_reader([&] { read_frames(shaped, shaped_tally, stop_readers); });
  const Clock::time_point start = Clock::now();
  std::thread sender([&] {
    // Real time on purpose: the estimate is a rate over wall-clock time.
    Clock::time_point next = Clock::now();
    try {
      for (uint32_t i = 0; !stop_publisher; ++i) {
        for (uint32_t s = 0; s < 3; ++s) publisher.send(frame(s, i));
        next += kFrameInterval;
        std::this_thread::sleep_until(next);
      }
    } catch (const std::exception& e) {
      publisher_error = e.what();  // the server dropped the publisher: reported below
    }
  });

  // Wait for the shaped receiver to settle on the lowest encoding, then for another second of
  // frames to show it stays there.
  int low_after_settling = 0;
  {
    std::unique_lock lock(shaped_tally.mutex);
    const bool settled = shaped_tally.changed.wait_until(lock, start + 60s, [&] {
      return shaped_tally.settled_after.has_value() || shaped_tally.closed;
    });
    EXPECT_TRUE(settled && shaped_tally.settled_after)
        << "the shaped receiver never settled on the lowest encoding: frames per encoding "
        << shaped_tally.frames[0] << "/" << shaped_tally.frames[1] << "/" << shaped_tally.frames[2]
        << ", closed: " << shaped_tally.close_reason;
    if (shaped_tally.settled_after) {
      const int target = shaped_tally.low_run + 30;
      shaped_tally.changed.wait_until(lock, Clock::now() + 10s, [&] {
        return shaped_tally.low_run >= target || shaped_tally.low_run < kSettledRun ||
               shaped_tally.closed;
      });
      low_after_settling = shaped_tally.low_run;
      EXPECT_GE(shaped_tally.low_run, target) << "the shaped receiver left the lowest encoding";
    }
  }
  const Clock::duration elapsed = Clock::now() - start;
  stop_readers = true;
  // The readers return at their next frame, so the publisher stops after them.
  direct_reader.join();
  shaped_reader.join();
  stop_publisher = true;
  sender.join();

  // The direct receiver got the top encoding from the start and was never lowered.
  EXPECT_FALSE(direct_tally.closed) << direct_tally.close_reason;
  EXPECT_GT(direct_tally.frames[2], 0);
  EXPECT_EQ(direct_tally.frames[0], 0);
  EXPECT_EQ(direct_tally.frames[1], 0);
  EXPECT_FALSE(shaped_tally.closed) << shaped_tally.close_reason;
  EXPECT_EQ(publisher_error, "");
  EXPECT_TRUE(server.running());
  if (shaped_tally.settled_after) {
    const auto ms = [](Clock::duration d) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    // The measured numbers, for docs and tuning.
    std::printf(
        "shaped receiver (%llu kbps): settled on encoding 0 %lld ms after its first frame; "
        "frames per encoding %d/%d/%d (last run %d); direct receiver %d frames of encoding 2; "
        "test ran %lld ms\n",
        static_cast<unsigned long long>(kShapedBps / 1000),
        static_cast<long long>(ms(*shaped_tally.settled_after)), shaped_tally.frames[0],
        shaped_tally.frames[1], shaped_tally.frames[2], low_after_settling, direct_tally.frames[2],
        static_cast<long long>(ms(elapsed)));
  }
}

}  // namespace
}  // namespace vc::test
