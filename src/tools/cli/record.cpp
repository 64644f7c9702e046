// videocall-cli record: joins receive-only (no tile for peers) and writes every participant's
// video and audio to WebM files (libavformat), one file per participant and media kind, named
// <name>-<participant id>-<UTC start time>-<video|audio>.webm. A file starts at a keyframe,
// ends when its participant leaves, and everything is finalised on SIGINT/SIGTERM.
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "commands.hpp"
#include "session.hpp"
#include "tool_support.hpp"
#include "videocall/media.hpp"
#include "videocall/webm_writer.hpp"

namespace vc::tools {

namespace {

struct RecordOptions {
  ConnectionOptions connection;
  std::string output_dir = ".";
  std::string view_resolution;  // empty: every camera at its highest encoding
  bool pause_video = false;
};

const char* codec_name(v1::Codec codec) {
  switch (codec) {
    case v1::CODEC_VP8:
      return "vp8";
    case v1::CODEC_VP9:
      return "vp9";
    case v1::CODEC_AV1:
      return "av1";
    case v1::CODEC_OPUS:
      return "opus";
    default:
      return nullptr;
  }
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// All methods run on the client's strand (ClientEvents contract), so no locking.
class Recorder {
 public:
  Recorder(std::string output_dir, StopLatch& latch)
      : output_dir_(std::move(output_dir)), latch_(latch) {}

  void set_client(std::shared_ptr<client::Client> client) { client_ = std::move(client); }

  void on_joined(const client::JoinInfo& info) {
    for (const auto& participant : info.roster)
      names_[participant.participant_id()] = participant.display_name();
    std::cout << "recording meeting " << info.meeting_id << " (" << info.roster.size()
              << " participants, over " << client::to_string(info.transport) << ")" << std::endl;
  }
  void on_participant(const v1::Participant& participant) {
    names_[participant.participant_id()] = participant.display_name();
  }
  void on_left(uint64_t participant_id) {
    for (auto it = tracks_.begin(); it != tracks_.end();) {
      if (it->first.participant == participant_id) {
        close_track(it->second);
        it = tracks_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void on_media(const v1::MediaHeader& header, std::span<const uint8_t> payload) {
    const bool video = header.kind() != v1::MEDIA_KIND_AUDIO;
    const Key key{header.sender_participant_id(), static_cast<uint32_t>(header.kind()),
                  header.track_id()};
    Track& track = tracks_[key];
    if (track.failed) return;
    const bool gap = track.has_sequence && header.sequence() != track.last_sequence + 1;
    // Sequences count per encoding: another spatial layer is the server switching encodings.
    const bool switched = track.has_sequence && header.spatial_layer() != track.spatial_layer;
    track.has_sequence = true;
    track.last_sequence = header.sequence();
    track.spatial_layer = header.spatial_layer();
    if (header.temporal_layer() > 0) track.temporal_layers_in_use = true;
    // As the browser: a gap before a base frame is upper temporal layers the server dropped, which
    // nothing after them references.
    const bool lost_reference =
        gap && !(track.temporal_layers_in_use && header.temporal_layer() == 0);
    if (video && (lost_reference || switched || !track.writer) && !header.keyframe()) {
      // Frames before the next keyframe cannot be decoded: skip them and ask for one.
      track.waiting_keyframe = true;
    }
    if (video && header.keyframe()) track.waiting_keyframe = false;
    if (track.waiting_keyframe) {
      ask_keyframe(key, track);
      return;
    }
    if (!track.writer && !open_track(key, header, payload, track)) return;
    if (media::MediaError error =
            track.writer->write(payload, header.capture_time_us(), header.keyframe())) {
      if (error.kind == media::MediaErrorKind::kInvalidFrame) {
        // One unparsable frame (a peer's bug, or E2EE ciphertext without the key) costs only
        // itself; say so once per track.
        if (track.invalid_frames++ == 0)
          std::cerr << "warning: " << track.path << ": " << error.message
                    << " (skipped; more are counted on the finished line)\n";
        return;
      }
      std::cerr << "error: " << error.message << "\n";
      track.failed = true;
      latch_.stop(kExitBadFile);
      return;
    }
    if (video) ++track.frames_by_size[{header.width(), header.height()}];
  }

  void finish_all() {
    for (auto& [key, track] : tracks_) close_track(track);
    tracks_.clear();
  }

 private:
  struct Key {
    uint64_t participant;
    uint32_t kind;
    uint32_t track;
    auto operator<=>(const Key&) const = default;
  };
  struct Track {
    std::unique_ptr<media::WebmWriter> writer;
    std::string path;
    bool has_sequence = false;
    uint32_t last_sequence = 0;
    uint32_t spatial_layer = 0;
    bool temporal_layers_in_use = false;
    bool waiting_keyframe = false;
    bool failed = false;
    uint64_t invalid_frames = 0;  // refused by the muxer and skipped
    std::chrono::steady_clock::time_point last_keyframe_request{};
    // Video frames per size: a simulcast publisher's encodings differ in size, and the server
    // may switch encodings (at a keyframe) as the receiver's bandwidth changes.
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> frames_by_size;
  };

  void ask_keyframe(const Key& key, Track& track) {
    const auto now = std::chrono::steady_clock::now();
    if (now - track.last_keyframe_request < std::chrono::milliseconds(500)) return;
    track.last_keyframe_request = now;
    client_->request_keyframe(key.participant, static_cast<v1::MediaKind>(key.kind), key.track);
  }

  bool open_track(const Key& key, const v1::MediaHeader& header, std::span<const uint8_t> payload,
                  Track& track) {
    const char* codec = codec_name(header.codec());
    const bool video = header.kind() != v1::MEDIA_KIND_AUDIO;
    if (codec == nullptr || (video && header.width() == 0)) {
      std::cerr << "warning: cannot record participant " << key.participant << ": codec "
                << header.codec() << (video ? " or missing frame size" : "") << "\n";
      track.failed = true;
      return false;
    }
    media::WebmTrack spec;
    spec.kind = video ? media::WebmTrack::Kind::kVideo : media::WebmTrack::Kind::kAudio;
    spec.codec = codec;
    spec.width = static_cast<int>(header.width());
    spec.height = static_cast<int>(header.height());
    // Opus TOC byte: bit 2 is the stereo flag.
    spec.channels = (!payload.empty() && (payload[0] & 0x04)) ? 2 : 1;
    const auto name_it = names_.find(key.participant);
    const std::string name =
        sanitise_for_filename(name_it == names_.end() ? "participant" : name_it->second);
    std::string kind = header.kind() == v1::MEDIA_KIND_SCREEN ? "screen"
                       : video                                ? "video"
                                                              : "audio";
    // A participant's default tracks (the browser's ids) are plain video/audio/screen; others
    // carry their track id.
    if (key.track != 0 && key.track != client::default_track_id(header.kind())) {
      kind += std::to_string(key.track);
    }
    track.path =
        (std::filesystem::path(output_dir_) /
         (name + "-" + std::to_string(key.participant) + "-" + utc_stamp() + "-" + kind + ".webm"))
            .string();
    if (media::MediaError error = media::open_webm_writer(track.path, spec, track.writer)) {
      std::cerr << "error: " << error.message << "\n";
      track.failed = true;
      latch_.stop(kExitBadFile);
      return false;
    }
    std::cout << "started " << track.path << std::endl;
    return true;
  }

  void close_track(Track& track) {
    if (!track.writer) return;
    if (media::MediaError error = track.writer->finish())
      std::cerr << "error: " << error.message << "\n";
    std::cout << "finished " << track.path << " frames=" << track.writer->frames_written();
    if (track.invalid_frames > 0) std::cout << " invalid=" << track.invalid_frames;
    const char* separator = " sizes=";
    for (const auto& [size, frames] : track.frames_by_size) {
      std::cout << separator << size.first << "x" << size.second << ":" << frames;
      separator = ",";
    }
    std::cout << std::endl;
    track.writer.reset();
  }

  std::string output_dir_;
  StopLatch& latch_;
  std::shared_ptr<client::Client> client_;
  std::map<uint64_t, std::string> names_;
  std::map<Key, Track> tracks_;
};

int run_record(const RecordOptions& options) {
  std::optional<int> max_height;
  if (!options.view_resolution.empty() &&
      !(max_height = parse_video_height(options.view_resolution))) {
    std::cerr << bad_video_height_message("--view-resolution", options.view_resolution) << "\n";
    return kExitUsage;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.output_dir, ec);
  if (ec || !std::filesystem::is_directory(options.output_dir)) {
    std::cerr << "error: cannot create output directory " << options.output_dir << "\n";
    return kExitBadFile;
  }
  client::EventLoop loop(1);
  StopLatch latch;
  auto recorder = std::make_shared<Recorder>(options.output_dir, latch);

  client::ClientConfig config;
  if (!options.connection.apply_to(config)) return kExitBadFile;
  config.receive_only = true;
  config.client_name = "videocall-cli-record/0.1";
  // The Hello defaults (PROTOCOL.md §11.3): the server chooses each camera's encoding from them.
  if (options.pause_video) {
    config.subscriptions = client::video_defaults(0, /*paused=*/true);
  } else if (max_height) {
    config.subscriptions = client::video_defaults(static_cast<uint32_t>(*max_height));
  }

  client::ClientEvents events;
  events.on_joined = [recorder](const client::JoinInfo& info) { recorder->on_joined(info); };
  events.on_participant_joined = [recorder](const v1::Participant& p) {
    recorder->on_participant(p);
  };
  events.on_participant_updated = [recorder](const v1::Participant& p) {
    recorder->on_participant(p);
  };
  events.on_participant_left = [recorder](uint64_t id, v1::LeaveReason) { recorder->on_left(id); };
  events.on_media = [recorder](const v1::MediaHeader& header, std::span<const uint8_t> payload) {
    recorder->on_media(header, payload);
  };
  events.on_e2ee_status = print_e2ee_status;
  events.on_reconnecting = [](const client::ClientError& why, std::chrono::milliseconds delay) {
    std::cerr << "connection lost (" << why.message << "); reconnecting in " << delay.count()
              << " ms\n";
  };
  events.on_closed = [&latch, recorder](const client::ClientError& why) {
    // Last callback on the strand: finalise here so no frame races the trailer.
    recorder->finish_all();
    if (why.kind != client::ErrorKind::kLocalClose) std::cerr << "error: " << why.message << "\n";
    latch.stop(exit_code_for(why));
  };
  auto session = client::Client::create(loop, config, std::move(events));
  recorder->set_client(session);
  const int code = run_client_session(loop, session, latch, options.connection.duration_s);
  if (!config.e2ee.passphrase.empty() || config.e2ee.key_agreement) {
    std::cout << "e2ee" << e2ee_stats_text(session->stats()) << std::endl;
  }
  recorder->set_client(nullptr);
  return code;
}

}  // namespace

std::function<int()> add_record_command(CLI::App& app) {
  auto options = std::make_shared<RecordOptions>();
  auto* command =
      app.add_subcommand("record", "Join receive-only and record every participant to WebM files");
  options->connection.add_to(*command, "recorder");
  command->add_option("--output-dir,-o", options->output_dir, "Directory for the .webm files")
      ->capture_default_str();
  auto* resolution =
      command->add_option("--view-resolution", options->view_resolution,
                          std::string("Largest video height to receive (") + kVideoHeightHelp +
                              "): each camera's highest encoding at most this tall, else its "
                              "lowest (default: the highest)");
  command
      ->add_flag("--pause-video", options->pause_video, "Receive and record no video, only audio")
      ->excludes(resolution);
  return [options] { return run_record(*options); };
}

}  // namespace vc::tools
