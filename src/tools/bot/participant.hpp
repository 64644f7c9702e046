// One bot participant's state, shared by the scenario (bot.cpp), the receive accounting and the
// view (view.cpp) and the summary (summary.cpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "common/limits.hpp"
#include "videocall/client.hpp"

namespace vc::tools {

using Clock = std::chrono::steady_clock;

struct StreamKey {
  uint64_t sender;
  uint32_t kind;
  uint32_t track;
  auto operator<=>(const StreamKey&) const = default;
};

// One received track. Sequences count per encoding, so gaps are measured within one spatial
// layer; a change of layer (the server switched encodings) starts a new baseline.
struct StreamStats {
  uint32_t last_sequence = 0;
  uint32_t layer = 0;
  bool fresh = true;  // the next frame sets the baseline (first frame, or a new subscription)
  uint64_t received = 0;
  uint64_t lost = 0;          // sum of sequence gaps
  uint64_t out_of_order = 0;  // sequence went backwards (or repeated)
  uint64_t layer_switches = 0;
  uint64_t by_layer[limits::kMaxSimulcastLayers] = {};
};

struct Participant {
  int room = 0;
  int index_in_room = 0;  // publishers first
  bool publisher = false;
  bool speaker = false;  // publishes audio (--speakers)
  std::shared_ptr<client::Client> client;
  Clock::time_point join_started;
  int64_t join_us = -1;
  std::optional<client::TransportKind> transport;  // of the last join
  uint64_t participant_id = 0;                     // of the last join
  bool closed = false;
  client::ClientError close_error;
  // Encodings a keyframe was asked for (bit per spatial layer).
  std::atomic<uint32_t> keyframe_layers{0};
  // Receive statistics: written on this client's strand, read after the loop drained. The lock is
  // per participant so hundreds of receivers never contend on one mutex.
  std::mutex receive_mutex;
  std::map<StreamKey, StreamStats> streams;
  std::vector<uint32_t> video_latency_us;
  std::vector<uint32_t> audio_latency_us;
  // --view with explicit subscriptions (receive_mutex): who is on screen, and since when we wait
  // for the first frame of a publisher that just came on screen.
  bool explicit_view = false;
  std::set<uint64_t> viewed;
  std::map<uint64_t, Clock::time_point> awaiting_first_frame;
  std::vector<uint32_t> first_frame_us;  // subscription change -> first frame, per publisher
  uint64_t unviewed_video = 0;           // video frames of publishers not on screen
  // Publisher send state (scheduler thread only), per spatial layer.
  std::vector<uint32_t> video_sequence;
  std::vector<std::size_t> video_index;
  uint32_t audio_sequence = 0;
  std::size_t audio_index = 0;
};

// Accounts one received frame (the client's strand).
void on_frame_received(Participant& p, const v1::MediaHeader& header, uint64_t now_wall_us);

}  // namespace vc::tools
