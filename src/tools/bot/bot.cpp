#include "bot.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "tool_support.hpp"
#include "videocall/client.hpp"
#include "videocall/event_loop.hpp"
#include "videocall/media.hpp"

namespace vc::tools {

namespace {

using Clock = std::chrono::steady_clock;

struct EncodedPacket {
  std::vector<uint8_t> data;
  bool keyframe = false;
};

struct EncodedLoop {
  std::vector<EncodedPacket> video;  // video[0] is a keyframe; a keyframe request restarts there
  std::vector<EncodedPacket> audio;
};

media::MediaError pre_encode(const BotOptions& options, EncodedLoop& loop) {
  const int video_frames = std::max(1, static_cast<int>(options.fps * options.loop_s));
  if (options.video) {
    media::VideoSourceOptions source_options{options.width, options.height, options.fps,
                                             /*realtime=*/false};
    auto source = media::open_test_pattern(source_options);
    media::VideoEncoderOptions encoder_options;
    encoder_options.codec = options.codec == "vp8"   ? media::VideoCodec::kVp8
                            : options.codec == "av1" ? media::VideoCodec::kAv1
                                                     : media::VideoCodec::kVp9;
    encoder_options.width = options.width;
    encoder_options.height = options.height;
    encoder_options.fps = options.fps;
    encoder_options.bitrate_kbps = options.bitrate_kbps;
    encoder_options.keyframe_interval_s = 3600;  // only frame 0
    std::unique_ptr<media::VideoEncoder> encoder;
    if (auto error = media::create_video_encoder(encoder_options, encoder)) return error;
    media::I420Frame frame;
    std::vector<media::EncodedFrame> encoded;
    for (int i = 0; i < video_frames; ++i) {
      if (auto error = source->read(frame)) return error;
      encoded.clear();
      if (auto error = encoder->encode(frame, i == 0, encoded)) return error;
      for (auto& out : encoded) loop.video.push_back({std::move(out.data), out.keyframe});
    }
  }
  if (options.audio) {
    auto tone = media::open_tone(440, /*realtime=*/false);
    std::unique_ptr<media::OpusEncoder> encoder;
    if (auto error = media::create_opus_encoder(1, 32000, encoder)) return error;
    media::AudioFrame frame;
    const int audio_frames = std::max(1, static_cast<int>(50 * options.loop_s));
    for (int i = 0; i < audio_frames; ++i) {
      tone->read(frame);
      EncodedPacket packet;
      packet.keyframe = true;
      if (auto error = encoder->encode(frame, packet.data)) return error;
      loop.audio.push_back(std::move(packet));
    }
  }
  return {};
}

struct StreamKey {
  uint64_t sender;
  uint32_t kind;
  uint32_t track;
  auto operator<=>(const StreamKey&) const = default;
};

struct StreamStats {
  uint32_t last_sequence = 0;
  uint64_t received = 0;
  uint64_t lost = 0;          // sum of sequence gaps
  uint64_t out_of_order = 0;  // sequence went backwards (or repeated)
};

struct Participant {
  int room = 0;
  bool publisher = false;
  std::shared_ptr<client::Client> client;
  Clock::time_point join_started;
  int64_t join_us = -1;
  std::optional<client::TransportKind> transport;  // of the last join
  uint64_t participant_id = 0;                     // of the last join
  bool closed = false;
  client::ClientError close_error;
  std::atomic<bool> keyframe_wanted{false};
  // Receive statistics: written on this client's strand, read after the loop drained. The lock is
  // per participant so hundreds of receivers never contend on one mutex.
  std::mutex receive_mutex;
  std::map<StreamKey, StreamStats> streams;
  std::vector<uint32_t> video_latency_us;
  std::vector<uint32_t> audio_latency_us;
  // Publisher send state (scheduler thread only).
  uint32_t video_sequence = 0;
  uint32_t audio_sequence = 0;
  std::size_t video_index = 0;
  std::size_t audio_index = 0;
};

// Guards everything the clients' strands and the main thread share about participants.
struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  int joined = 0;
  int failed = 0;
  int closed = 0;
};

nlohmann::json percentiles_ms(std::vector<uint32_t>& samples) {
  if (samples.empty()) return {{"samples", 0}};
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    return samples[index] / 1000.0;
  };
  return {{"samples", samples.size()},
          {"p50", at(0.50)},
          {"p90", at(0.90)},
          {"p99", at(0.99)},
          {"max", at(1.0)}};
}

uint64_t wall_now_us() {
  return media::wall_clock_us();
}

void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int run_bot(const BotOptions& options, nlohmann::json& summary) {
  raise_fd_limit();
  summary = nlohmann::json::object();
  summary["scenario"] = {
      {"server", options.server},
      {"rooms", options.rooms},
      {"publishers_per_room", options.publishers},
      {"subscribers_per_room", options.subscribers},
      {"receive_only_subscribers", options.receive_only_subscribers},
      {"codec", options.codec},
      {"resolution", std::to_string(options.width) + "x" + std::to_string(options.height)},
      {"fps", options.fps},
      {"bitrate_kbps", options.bitrate_kbps},
      {"audio", options.audio},
      {"video", options.video},
      {"duration_s", options.duration_s},
      {"threads", options.threads},
      {"transport", options.transport},
      {"subscriber_transport",
       options.subscriber_transport.empty() ? options.transport : options.subscriber_transport}};

  EncodedLoop media_loop;
  const auto encode_started = Clock::now();
  if (auto error = pre_encode(options, media_loop)) {
    std::cerr << "error: pre-encoding failed: " << error.message << "\n";
    return kExitFailure;
  }
  uint64_t loop_bytes = 0;
  for (const auto& packet : media_loop.video) loop_bytes += packet.data.size();
  summary["pre_encode"] = {
      {"video_frames", media_loop.video.size()},
      {"audio_packets", media_loop.audio.size()},
      {"video_kbps", media_loop.video.empty() ? 0.0 : loop_bytes * 8.0 / 1000.0 / options.loop_s},
      {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - encode_started)
                 .count()}};

  client::EventLoop loop(options.threads);
  Shared shared;
  std::vector<std::unique_ptr<Participant>> participants;
  const std::string run_id = std::to_string(wall_now_us() % 1000000000);
  for (int room = 0; room < options.rooms; ++room) {
    for (int i = 0; i < options.publishers + options.subscribers; ++i) {
      auto participant = std::make_unique<Participant>();
      participant->room = room;
      participant->publisher = i < options.publishers;
      participants.push_back(std::move(participant));
    }
  }

  const Clock::time_point run_started = Clock::now();
  int index = 0;
  const v1::Codec codec = options.codec == "vp8"   ? v1::CODEC_VP8
                          : options.codec == "av1" ? v1::CODEC_AV1
                                                   : v1::CODEC_VP9;
  for (auto& owned : participants) {
    Participant* p = owned.get();
    client::ClientConfig config;
    config.server_url = options.server;
    config.meeting_id = !options.meeting.empty()
                            ? options.meeting
                            : options.meeting_prefix + "-" + run_id + "-" + std::to_string(p->room);
    config.display_name = (p->publisher ? "pub-" : "sub-") + std::to_string(index++);
    config.receive_only = !p->publisher && options.receive_only_subscribers;
    config.client_name = "videocall-bot/0.1";
    config.initial_media_state.set_camera_on(p->publisher && options.video);
    config.initial_media_state.set_mic_on(p->publisher && options.audio);
    // Subscribers must not drop anything of ours: give a publisher's queue room for a few seconds.
    config.send_queue_video_bytes = 8u << 20;
    const std::string& transport = p->publisher || options.subscriber_transport.empty()
                                       ? options.transport
                                       : options.subscriber_transport;
    config.transport =
        client::parse_transport_preference(transport).value_or(client::TransportPreference::kAuto);
    if (options.source_addresses > 1) {
      config.webtransport_bind_address =
          "127.0.0." + std::to_string(1 + (index % options.source_addresses));
    }

    client::ClientEvents events;
    events.on_joined = [p, &shared](const client::JoinInfo& info) {
      std::lock_guard lock(shared.mutex);
      p->transport = info.transport;
      p->participant_id = info.participant_id;
      if (p->join_us < 0) {
        p->join_us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - p->join_started)
                .count();
        ++shared.joined;
        shared.changed.notify_all();
      }
    };
    events.on_keyframe_request = [p](const v1::KeyframeRequest&) { p->keyframe_wanted = true; };
    events.on_local_video_dropped = [p](v1::MediaKind, uint32_t) { p->keyframe_wanted = true; };
    events.on_media = [p](const v1::MediaHeader& header, std::span<const uint8_t>) {
      const uint64_t now = wall_now_us();
      std::lock_guard lock(p->receive_mutex);
      StreamStats& stats = p->streams[{header.sender_participant_id(),
                                       static_cast<uint32_t>(header.kind()), header.track_id()}];
      if (stats.received > 0) {
        const uint32_t expected = stats.last_sequence + 1;
        if (header.sequence() > expected) {
          stats.lost += header.sequence() - expected;
        } else if (header.sequence() < expected) {
          ++stats.out_of_order;
        }
      }
      stats.last_sequence = header.sequence();
      ++stats.received;
      const uint64_t latency = now > header.capture_time_us() ? now - header.capture_time_us() : 0;
      auto& samples =
          header.kind() == v1::MEDIA_KIND_AUDIO ? p->audio_latency_us : p->video_latency_us;
      samples.push_back(static_cast<uint32_t>(std::min<uint64_t>(latency, UINT32_MAX)));
    };
    events.on_closed = [p, &shared](const client::ClientError& error) {
      std::lock_guard lock(shared.mutex);
      p->closed = true;
      p->close_error = error;
      ++shared.closed;
      if (p->join_us < 0) ++shared.failed;
      shared.changed.notify_all();
    };
    p->client = client::Client::create(loop, config, std::move(events));
    // Published before the join, so the server knows them ahead of the first frame.
    if (p->publisher && !media_loop.video.empty()) {
      p->client->publish_track(client::default_track(v1::MEDIA_KIND_VIDEO, codec,
                                                     static_cast<uint32_t>(options.width),
                                                     static_cast<uint32_t>(options.height)));
    }
    if (p->publisher && !media_loop.audio.empty()) {
      p->client->publish_track(client::default_track(v1::MEDIA_KIND_AUDIO, v1::CODEC_OPUS));
    }
  }

  // Ramp-up: start joins at the configured rate.
  const auto join_interval = std::chrono::microseconds(1000000 / options.ramp_up_per_second);
  auto next_join = Clock::now();
  for (auto& p : participants) {
    std::this_thread::sleep_until(next_join);
    next_join += join_interval;
    {
      std::lock_guard lock(shared.mutex);
      p->join_started = Clock::now();
    }
    p->client->start();
    std::lock_guard lock(shared.mutex);
    if (shared.failed > 0) break;  // fail fast: the server is unreachable or refuses us
  }
  const int total = static_cast<int>(participants.size());
  bool all_joined = false;
  {
    std::unique_lock lock(shared.mutex);
    shared.changed.wait_for(lock, std::chrono::duration<double>(options.join_timeout_s),
                            [&] { return shared.joined == total || shared.failed > 0; });
    all_joined = shared.joined == total;
  }
  const double ramp_s = std::chrono::duration<double>(Clock::now() - run_started).count();

  // Publish for the configured duration (only when everyone is in, so "expected" is exact).
  uint64_t video_sent_per_publisher = 0;
  uint64_t audio_sent_per_publisher = 0;
  if (all_joined) {
    std::cerr << "bot: phase=publishing participants=" << total
              << std::endl;  // bench/load samples here
    std::vector<Participant*> publishers;
    for (auto& p : participants) {
      if (p->publisher) publishers.push_back(p.get());
    }
    const auto video_period = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options.fps));
    const auto audio_period =
        std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(20));
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(options.duration_s));
    auto next_video = start;
    auto next_audio = start;
    const bool send_video = !media_loop.video.empty();
    const bool send_audio = !media_loop.audio.empty();
    for (;;) {
      auto next = Clock::time_point::max();
      if (send_video) next = std::min(next, next_video);
      if (send_audio) next = std::min(next, next_audio);
      if (next >= end) break;
      std::this_thread::sleep_until(next);
      if (send_video && next_video <= next) {
        for (Participant* p : publishers) {
          if (p->keyframe_wanted.exchange(false)) p->video_index = 0;
          const EncodedPacket& packet = media_loop.video[p->video_index];
          p->video_index = (p->video_index + 1) % media_loop.video.size();
          v1::MediaHeader header;
          header.set_kind(v1::MEDIA_KIND_VIDEO);
          header.set_sequence(p->video_sequence++);
          header.set_capture_time_us(wall_now_us());
          header.set_keyframe(packet.keyframe);
          header.set_codec(codec);
          header.set_width(static_cast<uint32_t>(options.width));
          header.set_height(static_cast<uint32_t>(options.height));
          p->client->send_media(header, packet.data);
        }
        ++video_sent_per_publisher;
        next_video += video_period;
      }
      if (send_audio && next_audio <= next) {
        for (Participant* p : publishers) {
          const EncodedPacket& packet = media_loop.audio[p->audio_index];
          p->audio_index = (p->audio_index + 1) % media_loop.audio.size();
          v1::MediaHeader header;
          header.set_kind(v1::MEDIA_KIND_AUDIO);
          header.set_sequence(p->audio_sequence++);
          header.set_capture_time_us(wall_now_us());
          header.set_keyframe(true);
          header.set_codec(v1::CODEC_OPUS);
          header.set_audio_level(30);
          p->client->send_media(header, packet.data);
        }
        ++audio_sent_per_publisher;
        next_audio += audio_period;
      }
    }
    std::cerr << "bot: phase=draining" << std::endl;
    std::this_thread::sleep_for(
        std::chrono::duration<double>(options.drain_s));  // frames in flight
  }

  for (auto& p : participants) p->client->leave();
  bool all_closed = false;
  {
    std::unique_lock lock(shared.mutex);
    all_closed = shared.changed.wait_for(lock, std::chrono::seconds(10),
                                         [&] { return shared.closed == total; });
  }
  if (all_closed) {
    loop.drain();
  } else {
    loop.stop();
  }

  // ---- summary ----
  std::lock_guard lock(shared.mutex);
  std::vector<uint32_t> join_us;
  std::vector<uint32_t> video_latency;
  std::vector<uint32_t> audio_latency;
  nlohmann::json failures = nlohmann::json::array();
  int exit_code = kExitOk;
  uint64_t reconnects = 0;
  uint64_t forwarded = 0;
  struct KindTotals {
    uint64_t received = 0, lost = 0, out_of_order = 0, expected = 0;
    double fps_min = 1e9, fps_max = 0, fps_sum = 0;
    int receivers = 0;
  } video, audio;
  // Transport each participant's (last) session ran on, by role.
  nlohmann::json transports_used = {{"publishers", {{"webtransport", 0}, {"websocket", 0}}},
                                    {"subscribers", {{"webtransport", 0}, {"websocket", 0}}}};
  // With --meeting, publishers of other bot processes share the meeting: loss and rates are
  // accounted for our own publishers only (we know what they sent).
  std::set<uint64_t> own_publishers;
  for (const auto& p : participants) {
    if (p->publisher) own_publishers.insert(p->participant_id);
  }
  for (auto& p : participants) {
    std::lock_guard receive_lock(p->receive_mutex);
    reconnects += p->client->stats().reconnects;
    if (p->transport) {
      auto& used = transports_used[p->publisher ? "publishers" : "subscribers"]
                                  [std::string(client::to_string(*p->transport))];
      used = used.get<int>() + 1;
    }
    if (p->join_us >= 0) {
      join_us.push_back(static_cast<uint32_t>(p->join_us));
    } else if (failures.size() < 5) {
      failures.push_back(p->close_error.message);
      if (exit_code == kExitOk) exit_code = exit_code_for(p->close_error);
    }
    if (p->join_us < 0 && exit_code == kExitOk) exit_code = kExitUnreachable;  // join timeout
    video_latency.insert(video_latency.end(), p->video_latency_us.begin(),
                         p->video_latency_us.end());
    audio_latency.insert(audio_latency.end(), p->audio_latency_us.begin(),
                         p->audio_latency_us.end());
    // Every participant receives every publisher in its room except itself.
    for (const auto& [key, stats] : p->streams) forwarded += stats.received;
    const int senders = options.publishers - (p->publisher ? 1 : 0);
    if (senders <= 0 || !all_joined) continue;
    uint64_t video_received = 0;
    uint64_t audio_received = 0;
    for (const auto& [key, stats] : p->streams) {
      if (own_publishers.count(key.sender) == 0) continue;
      KindTotals& totals = key.kind == v1::MEDIA_KIND_AUDIO ? audio : video;
      totals.lost += stats.lost;
      totals.out_of_order += stats.out_of_order;
      (key.kind == v1::MEDIA_KIND_AUDIO ? audio_received : video_received) += stats.received;
    }
    auto account = [&](KindTotals& totals, uint64_t received, uint64_t sent_per_publisher) {
      if (sent_per_publisher == 0) return;
      totals.received += received;
      totals.expected += sent_per_publisher * static_cast<uint64_t>(senders);
      const double fps = static_cast<double>(received) / senders / options.duration_s;
      totals.fps_min = std::min(totals.fps_min, fps);
      totals.fps_max = std::max(totals.fps_max, fps);
      totals.fps_sum += fps;
      ++totals.receivers;
    };
    account(video, video_received, video_sent_per_publisher);
    account(audio, audio_received, audio_sent_per_publisher);
  }
  if (!all_joined && exit_code == kExitOk) exit_code = kExitFailure;
  auto kind_json = [&](const KindTotals& totals, uint64_t sent_per_publisher,
                       const char* rate_name) {
    const uint64_t missing =
        totals.expected > totals.received ? totals.expected - totals.received : 0;
    return nlohmann::json{
        {"sent_per_publisher", sent_per_publisher},
        {"expected", totals.expected},
        {"received", totals.received},
        {"lost", totals.lost},
        {"missing", missing},
        {"out_of_order", totals.out_of_order},
        {"loss_ratio", totals.expected
                           ? static_cast<double>(missing) / static_cast<double>(totals.expected)
                           : 0.0},
        {rate_name, totals.receivers ? nlohmann::json{{"mean", totals.fps_sum / totals.receivers},
                                                      {"min", totals.fps_min},
                                                      {"max", totals.fps_max}}
                                     : nlohmann::json(nullptr)}};
  };
  summary["participants"] = {{"total", total},
                             {"joined", static_cast<int>(join_us.size())},
                             {"failed", total - static_cast<int>(join_us.size())},
                             {"failures", failures},
                             {"ramp_up_s", ramp_s}};
  summary["join_ms"] = percentiles_ms(join_us);
  summary["video"] = kind_json(video, video_sent_per_publisher, "fps_per_subscriber");
  summary["audio"] = kind_json(audio, audio_sent_per_publisher, "packets_per_s_per_subscriber");
  summary["latency_ms"] = {{"video", percentiles_ms(video_latency)},
                           {"audio", percentiles_ms(audio_latency)}};
  std::vector<uint32_t> all_latency = std::move(video_latency);
  all_latency.insert(all_latency.end(), audio_latency.begin(), audio_latency.end());
  summary["latency_ms"]["all"] = percentiles_ms(all_latency);
  summary["forwarded_packets"] = forwarded;
  summary["forwarded_packets_per_s"] =
      all_joined ? static_cast<double>(forwarded) / options.duration_s : 0.0;
  summary["reconnects"] = reconnects;
  summary["transport"] = transports_used;
  // Missing frames (e.g. published while a subscriber's node was down) count as loss too.
  summary["ok"] = exit_code == kExitOk && video.lost == 0 && audio.lost == 0 &&
                  video.received >= video.expected && audio.received >= audio.expected;
  participants.clear();  // clients go before the loop
  return exit_code;
}

}  // namespace vc::tools
