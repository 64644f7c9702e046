// videocall-cli stream: capture (camera, test pattern or file), encode (VP9/VP8/AV1 + Opus) and
// publish to a meeting. Sources are opened before connecting, so device and file errors surface
// at once with their own exit codes.
#include <array>
#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "publishing.hpp"
#include "session.hpp"
#include "tool_support.hpp"
#include "videocall/media.hpp"

namespace vc::tools {

namespace {

struct StreamOptions {
  ConnectionOptions connection;
  std::string video_source = "testpattern";
  std::string video_device;
  std::string video_file;
  std::string codec = "vp9";
  std::string resolution = "640x360";
  int fps = 30;
  int bitrate_kbps = 800;
  bool simulcast = false;
  int temporal_layers = 0;  // 0: L1T3 for VP8/VP9, none for AV1 (libaom wrapper makes none)
  int threads = 2;
  std::string audio_source = "tone";
  std::string audio_device;
  std::string audio_file;
  int audio_channels = 1;
  int audio_bitrate_kbps = 32;
  bool loop_files = true;
};

constexpr uint32_t kAllLayers = ~0u;

int media_exit_code(const media::MediaError& error) {
  switch (error.kind) {
    case media::MediaErrorKind::kMissingDevice:
    case media::MediaErrorKind::kUnsupportedFormat:
      return kExitDevice;
    case media::MediaErrorKind::kBadFile:
      return kExitBadFile;
    default:
      return kExitFailure;
  }
}

int run_stream(const StreamOptions& options) {
  const auto size = parse_resolution(options.resolution);
  if (!size) {
    std::cerr << "error: --resolution must be WIDTHxHEIGHT with even numbers, e.g. 1280x720\n";
    return kExitUsage;
  }
  media::VideoSourceOptions source_options;
  source_options.width = size->first;
  source_options.height = size->second;
  source_options.fps = options.fps;
  source_options.loop = options.loop_files;

  // Open sources first: their errors need no server.
  std::unique_ptr<media::VideoSource> video;
  media::MediaError error;
  if (!options.video_device.empty()) {
    error = media::open_v4l2_camera(options.video_device, source_options, video);
  } else if (!options.video_file.empty()) {
    error = media::open_y4m_file(options.video_file, source_options, video);
  } else if (options.video_source == "testpattern") {
    video = media::open_test_pattern(source_options);
  }
  if (error) {
    std::cerr << "error: " << error.message << "\n";
    return media_exit_code(error);
  }
  std::unique_ptr<media::AudioSource> audio;
  if (!options.audio_device.empty()) {
    error = media::open_alsa_capture(options.audio_device, options.audio_channels, audio);
  } else if (!options.audio_file.empty()) {
    error = media::open_wav_file(options.audio_file, options.loop_files, true, audio);
  } else if (options.audio_source == "tone") {
    audio = media::open_tone(440, true);
  }
  if (error) {
    std::cerr << "error: " << error.message << "\n";
    return media_exit_code(error);
  }
  if (!video && !audio) {
    std::cerr << "error: nothing to stream (both video and audio are 'none')\n";
    return kExitUsage;
  }

  // Simulcast: the browser's ladder up to --resolution; else one encoding at --bitrate-kbps.
  media::SimulcastEncoderOptions encoder_options;
  encoder_options.codec = video_codec_named(options.codec);
  encoder_options.layers =
      options.simulcast
          ? media::simulcast_layers(size->first, size->second)
          : std::vector<media::SimulcastLayer>{{size->first, size->second, options.bitrate_kbps}};
  if (options.simulcast && encoder_options.layers.size() < 2) {
    std::cerr << "error: --simulcast needs a --resolution at least "
              << media::kCameraLadder[1].height << " pixels high (the encodings are "
              << media::kCameraLadder[0].height << "p, " << media::kCameraLadder[1].height
              << "p and " << media::kCameraLadder[2].height << "p, never upscaled)\n";
    return kExitUsage;
  }
  encoder_options.temporal_layers = options.temporal_layers > 0 ? options.temporal_layers
                                    : encoder_options.codec == media::VideoCodec::kAv1
                                        ? 1
                                        : media::kMaxTemporalLayers;
  if (encoder_options.temporal_layers > 1 && encoder_options.codec == media::VideoCodec::kAv1) {
    std::cerr << "error: --temporal-layers 3 needs --codec vp8 or vp9\n";
    return kExitUsage;
  }
  encoder_options.fps = video ? video->fps() : options.fps;
  encoder_options.threads = options.threads;
  std::unique_ptr<media::SimulcastEncoder> video_encoder;
  if (video) {
    if ((error = media::SimulcastEncoder::create(encoder_options, video_encoder))) {
      std::cerr << "error: " << error.message << "\n";
      return media_exit_code(error);
    }
  }
  std::unique_ptr<media::OpusEncoder> audio_encoder;
  if (audio && (error = media::create_opus_encoder(
                    audio->channels(), options.audio_bitrate_kbps * 1000, audio_encoder))) {
    std::cerr << "error: " << error.message << "\n";
    return media_exit_code(error);
  }

  client::EventLoop loop(1);
  StopLatch latch;
  // Bit s: encoding s owes a keyframe (join, a receiver's request for it, local drops).
  std::atomic<uint32_t> keyframe_layers{kAllLayers};
  std::atomic<bool> capturing{false};
  std::atomic<bool> stop_capture{false};
  std::atomic<uint64_t> video_frames_sent{0};
  std::atomic<uint64_t> audio_frames_sent{0};
  std::mutex threads_mutex;  // capture starts on the client's strand, stops on main
  std::vector<std::thread> threads;

  client::ClientConfig config;
  if (!options.connection.apply_to(config)) return kExitBadFile;
  config.client_name = "videocall-cli/0.1";
  config.initial_media_state.set_camera_on(video != nullptr);
  config.initial_media_state.set_mic_on(audio != nullptr);
  // stream uses nothing it receives: no video is forwarded to it (audio always is, §11.3).
  config.subscriptions = client::video_defaults(0, /*paused=*/true);

  std::shared_ptr<client::Client> session;
  auto start_capture = [&] {
    std::lock_guard lock(threads_mutex);
    if (stop_capture.load() || capturing.exchange(true)) return;
    if (video) {
      threads.emplace_back([&] {
        media::I420Frame captured;
        std::vector<media::EncodedFrame> encoded;
        std::array<uint32_t, std::size(media::kCameraLadder)> sequences{};  // per encoding
        const v1::Codec codec = wire_codec(encoder_options.codec);
        while (!stop_capture.load()) {
          if (media::MediaError read_error = video->read(captured)) {
            std::cerr << "error: " << read_error.message << "\n";
            latch.stop(read_error.kind == media::MediaErrorKind::kEndOfStream
                           ? kExitOk
                           : media_exit_code(read_error));
            return;
          }
          encoded.clear();
          if (media::MediaError encode_error =
                  video_encoder->encode(captured, keyframe_layers.exchange(0), encoded)) {
            std::cerr << "error: " << encode_error.message << "\n";
            latch.stop(kExitFailure);
            return;
          }
          for (const auto& frame : encoded) {
            const auto layer = static_cast<std::size_t>(frame.spatial_layer);
            session->send_media(camera_header(frame, codec, sequences[layer]++), frame.data);
            if (layer == 0) ++video_frames_sent;
          }
        }
      });
    }
    if (audio) {
      threads.emplace_back([&] {
        media::AudioFrame frame;
        std::vector<uint8_t> packet;
        uint32_t sequence = 0;
        while (!stop_capture.load()) {
          if (media::MediaError read_error = audio->read(frame)) {
            std::cerr << "error: " << read_error.message << "\n";
            latch.stop(read_error.kind == media::MediaErrorKind::kEndOfStream
                           ? kExitOk
                           : media_exit_code(read_error));
            return;
          }
          if (media::MediaError encode_error = audio_encoder->encode(frame, packet)) {
            std::cerr << "error: " << encode_error.message << "\n";
            latch.stop(kExitFailure);
            return;
          }
          v1::MediaHeader header;
          header.set_kind(v1::MEDIA_KIND_AUDIO);
          header.set_track_id(client::default_track_id(header.kind()));
          header.set_sequence(sequence++);
          header.set_capture_time_us(frame.capture_time_us);
          header.set_keyframe(true);
          header.set_codec(v1::CODEC_OPUS);
          header.set_audio_level(media::audio_level_dbov(frame));
          session->send_media(header, packet);
          ++audio_frames_sent;
        }
      });
    }
  };

  client::ClientEvents events;
  events.on_joined = [&](const client::JoinInfo& info) {
    std::cerr << "joined meeting " << info.meeting_id << " as participant " << info.participant_id
              << (info.resumed ? " (resumed)" : "") << " with " << info.roster.size()
              << " others over " << client::to_string(info.transport) << "\n";
    keyframe_layers = kAllLayers;
    start_capture();
  };
  events.on_keyframe_request = [&](const v1::KeyframeRequest& request) {
    // The server names the encoding it needs (PROTOCOL.md §4); only that one pays for a keyframe.
    if (request.kind() != v1::MEDIA_KIND_AUDIO && request.spatial_layer() < 32) {
      keyframe_layers |= 1u << request.spatial_layer();
    }
  };
  events.on_local_video_dropped = [&](v1::MediaKind, uint32_t) { keyframe_layers = kAllLayers; };
  events.on_e2ee_status = print_e2ee_status;
  events.on_reconnecting = [](const client::ClientError& why, std::chrono::milliseconds delay) {
    std::cerr << "connection lost (" << why.message << "); reconnecting in " << delay.count()
              << " ms\n";
  };
  events.on_closed = [&](const client::ClientError& why) {
    if (why.kind != client::ErrorKind::kLocalClose) std::cerr << "error: " << why.message << "\n";
    latch.stop(exit_code_for(why));
  };
  session = client::Client::create(loop, config, std::move(events));
  // Published before the join, so the server knows both tracks ahead of the first frame.
  if (video) {
    session->publish_track(camera_track(wire_codec(encoder_options.codec), video_encoder->layers(),
                                        encoder_options.fps, encoder_options.temporal_layers));
    std::cerr << "publishing " << media::to_string(encoder_options.codec) << " L1T"
              << encoder_options.temporal_layers << " camera:";
    for (const auto& layer : video_encoder->layers()) {
      std::cerr << " " << layer.width << "x" << layer.height << "@" << layer.bitrate_kbps << "kbps";
    }
    std::cerr << "\n";
  }
  if (audio) session->publish_track(client::default_track(v1::MEDIA_KIND_AUDIO, v1::CODEC_OPUS));
  const int code = run_client_session(loop, session, latch, options.connection.duration_s, [&] {
    std::lock_guard lock(threads_mutex);
    stop_capture = true;
    for (auto& thread : threads) thread.join();
  });
  const auto stats = session->stats();
  std::cerr << "sent video_frames=" << video_frames_sent << " audio_frames=" << audio_frames_sent
            << " bytes=" << stats.bytes_sent << "; dropped video=" << stats.video_dropped
            << " audio=" << stats.audio_dropped << ";" << e2ee_stats_text(stats) << "\n";
  return code;
}

}  // namespace

std::function<int()> add_stream_command(CLI::App& app) {
  auto options = std::make_shared<StreamOptions>();
  auto* command =
      app.add_subcommand("stream", "Capture, encode and publish video and audio to a meeting");
  options->connection.add_to(*command, "videocall-cli");
  auto* group = command->add_option_group("video input");
  auto* device =
      group->add_option("--video-device", options->video_device, "V4L2 camera, e.g. /dev/video0");
  auto* file =
      group->add_option("--video-file", options->video_file, "YUV4MPEG2 file (.y4m), looped");
  auto* source = group->add_option("--video-source", options->video_source, "testpattern or none")
                     ->check(CLI::IsMember({"testpattern", "none"}))
                     ->capture_default_str();
  device->excludes(file)->excludes(source);
  file->excludes(source);
  command->add_option("--codec", options->codec, "Video codec")
      ->check(CLI::IsMember({"vp9", "vp8", "av1"}))
      ->capture_default_str();
  command->add_option("--resolution", options->resolution, "Encoded size WIDTHxHEIGHT")
      ->capture_default_str();
  command->add_option("--fps", options->fps, "Frames per second")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  auto* bitrate = command->add_option("--bitrate-kbps", options->bitrate_kbps, "Video bitrate")
                      ->check(CLI::Range(20, 50000))
                      ->capture_default_str();
  command
      ->add_flag("--simulcast", options->simulcast,
                 "Send 180p (150 kbps) and 360p (500 kbps) encodings, plus 720p (1.5 Mbps) when "
                 "--resolution is 720p or more (the browser's ladder, same aspect ratio), so each "
                 "receiver gets the size it asks for; needs a --resolution at least 360 high")
      ->excludes(bitrate);
  command
      ->add_option("--temporal-layers", options->temporal_layers,
                   "1, or 3 for L1T3 like the browser (the server drops upper layers for receivers "
                   "short of bandwidth); default 3 for vp8/vp9, 1 for av1")
      ->check(CLI::IsMember({1, 3}));
  command->add_option("--encoder-threads", options->threads, "Encoder threads")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  auto* audio_group = command->add_option_group("audio input");
  auto* audio_device = audio_group->add_option("--audio-device", options->audio_device,
                                               "ALSA capture device, e.g. default or hw:1,0");
  auto* audio_file = audio_group->add_option("--audio-file", options->audio_file,
                                             "WAV file (16-bit PCM, 48 kHz), looped");
  auto* audio_source =
      audio_group->add_option("--audio-source", options->audio_source, "tone or none")
          ->check(CLI::IsMember({"tone", "none"}))
          ->capture_default_str();
  audio_device->excludes(audio_file)->excludes(audio_source);
  audio_file->excludes(audio_source);
  command->add_option("--audio-channels", options->audio_channels, "Channels for --audio-device")
      ->check(CLI::Range(1, 2))
      ->capture_default_str();
  command->add_option("--audio-bitrate-kbps", options->audio_bitrate_kbps, "Opus bitrate")
      ->check(CLI::Range(6, 510))
      ->capture_default_str();
  command->add_flag("!--no-loop", options->loop_files,
                    "Stop at the end of --video-file/--audio-file instead of looping");
  return [options] { return run_stream(*options); };
}

}  // namespace vc::tools
