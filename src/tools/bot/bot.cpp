#include "bot.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "media_loop.hpp"
#include "participant.hpp"
#include "publishing.hpp"
#include "summary.hpp"
#include "tool_support.hpp"
#include "videocall/client.hpp"
#include "videocall/event_loop.hpp"
#include "videocall/media.hpp"
#include "view.hpp"

namespace vc::tools {

namespace {

// Guards everything the clients' strands and the main thread share about participants.
struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  int joined = 0;
  int failed = 0;
  int closed = 0;
};

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

// One video tick of one publisher: the next frame of every encoding.
void send_video_tick(Participant& p, const EncodedLoop& media_loop, v1::Codec codec) {
  const uint32_t restart = p.keyframe_layers.exchange(0);
  for (std::size_t s = 0; s < media_loop.video.size(); ++s) {
    const VideoLayerLoop& encoding = media_loop.video[s];
    if (restart & (1u << s)) p.video_index[s] = 0;
    const media::EncodedFrame& frame = encoding.frames[p.video_index[s]];
    p.video_index[s] = (p.video_index[s] + 1) % encoding.frames.size();
    v1::MediaHeader header = camera_header(frame, codec, p.video_sequence[s]++);
    header.set_capture_time_us(wall_now_us());
    p.client->send_media(header, frame.data);
  }
}

void send_audio_tick(Participant& p, const EncodedLoop& media_loop) {
  const EncodedPacket& packet = media_loop.audio[p.audio_index];
  p.audio_index = (p.audio_index + 1) % media_loop.audio.size();
  v1::MediaHeader header;
  header.set_kind(v1::MEDIA_KIND_AUDIO);
  header.set_sequence(p.audio_sequence++);
  header.set_capture_time_us(wall_now_us());
  header.set_keyframe(true);
  header.set_codec(v1::CODEC_OPUS);
  header.set_audio_level(30);
  p.client->send_media(header, packet.data);
}

// Every participant's view starts at its own index in the room, moved on by `rotation`.
void apply_views(const BotOptions& options, std::vector<std::unique_ptr<Participant>>& all,
                 const std::vector<std::vector<uint64_t>>& room_publishers, std::size_t rotation,
                 bool measure) {
  for (auto& p : all) {
    const auto& publishers = room_publishers[static_cast<std::size_t>(p->room)];
    apply_view(options, *p, publishers, static_cast<std::size_t>(p->index_in_room) + rotation,
               measure);
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
       options.subscriber_transport.empty() ? options.transport : options.subscriber_transport},
      {"simulcast", options.simulcast},
      {"view", options.view},
      {"view_resolution", options.view_height},
      {"view_mode", options.view_mode},
      {"speakers", options.speakers}};

  EncodedLoop media_loop;
  const auto encode_started = Clock::now();
  if (auto error = pre_encode(options, media_loop)) {
    std::cerr << "error: pre-encoding failed: " << error.message << "\n";
    return kExitFailure;
  }
  uint64_t loop_bytes = 0;
  nlohmann::json layers = nlohmann::json::array();
  for (const VideoLayerLoop& encoding : media_loop.video) {
    uint64_t bytes = 0;
    for (const auto& frame : encoding.frames) bytes += frame.data.size();
    loop_bytes += bytes;
    layers.push_back({{"width", encoding.layer.width},
                      {"height", encoding.layer.height},
                      {"kbps", bytes * 8.0 / 1000.0 / options.loop_s}});
  }
  summary["pre_encode"] = {
      {"video_frames", media_loop.video.empty() ? 0 : media_loop.video.front().frames.size()},
      {"audio_packets", media_loop.audio.size()},
      {"video_kbps", media_loop.video.empty() ? 0.0 : loop_bytes * 8.0 / 1000.0 / options.loop_s},
      {"layers", layers},
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
      participant->index_in_room = i;
      participant->publisher = i < options.publishers;
      participant->speaker =
          participant->publisher && options.audio && (options.speakers < 0 || i < options.speakers);
      participant->video_sequence.assign(media_loop.video.size(), 0);
      participant->video_index.assign(media_loop.video.size(), 0);
      participants.push_back(std::move(participant));
    }
  }

  const Clock::time_point run_started = Clock::now();
  int index = 0;
  const v1::Codec codec = wire_codec(video_codec_named(options.codec));
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
    config.initial_media_state.set_mic_on(p->speaker);
    config.subscriptions = view_hello_defaults(options);
    config.e2ee.passphrase = options.e2ee_passphrase;
    config.e2ee.key_agreement = options.e2ee;
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
    events.on_keyframe_request = [p](const v1::KeyframeRequest& request) {
      if (request.spatial_layer() < 32) p->keyframe_layers |= 1u << request.spatial_layer();
    };
    events.on_local_video_dropped = [p](v1::MediaKind, uint32_t) { p->keyframe_layers = ~0u; };
    events.on_media = [p](const v1::MediaHeader& header, std::span<const uint8_t>) {
      on_frame_received(*p, header, wall_now_us());
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
      p->client->publish_track(camera_track(codec, loop_layers(media_loop), options.fps));
    }
    if (p->speaker && !media_loop.audio.empty()) {
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
    std::vector<std::vector<uint64_t>> room_publishers(static_cast<std::size_t>(options.rooms));
    for (auto& p : participants) {
      if (!p->publisher) continue;
      publishers.push_back(p.get());
      room_publishers[static_cast<std::size_t>(p->room)].push_back(p->participant_id);
    }
    std::size_t rotation = 0;
    if (uses_explicit_view(options)) {
      apply_views(options, participants, room_publishers, rotation, /*measure=*/false);
      std::this_thread::sleep_for(kViewSettle);
    }
    const bool rotate = uses_explicit_view(options) && options.view_mode == "rotate";
    const auto video_period = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(1.0 / options.fps));
    const auto audio_period =
        std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(20));
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(options.duration_s));
    auto next_video = start;
    auto next_audio = start;
    auto next_rotation = start + kViewRotateInterval;
    const bool send_video = !media_loop.video.empty();
    const bool send_audio = !media_loop.audio.empty();
    for (;;) {
      auto next = Clock::time_point::max();
      if (send_video) next = std::min(next, next_video);
      if (send_audio) next = std::min(next, next_audio);
      if (rotate) next = std::min(next, next_rotation);
      if (next >= end) break;
      std::this_thread::sleep_until(next);
      if (rotate && next_rotation <= next) {
        apply_views(options, participants, room_publishers, ++rotation, /*measure=*/true);
        next_rotation += kViewRotateInterval;
      }
      if (send_video && next_video <= next) {
        for (Participant* p : publishers) send_video_tick(*p, media_loop, codec);
        ++video_sent_per_publisher;
        next_video += video_period;
      }
      if (send_audio && next_audio <= next) {
        for (Participant* p : publishers) {
          if (p->speaker) send_audio_tick(*p, media_loop);
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
  const int exit_code = summarize(
      options, participants,
      RunFacts{total, all_joined, ramp_s, video_sent_per_publisher, audio_sent_per_publisher},
      summary);
  participants.clear();  // clients go before the loop
  return exit_code;
}

}  // namespace vc::tools
