// videocall-bot command line. Prints the JSON summary on stdout (schema: docs/CLIENT.md).
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "bot.hpp"
#include "common/log.hpp"
#include "tool_support.hpp"

int main(int argc, char** argv) {
  vc::tools::BotOptions options;
  std::string resolution = "640x360";
  std::string view_resolution = std::to_string(options.view_height);
  std::string output;
  std::string log_level = "warn";
  CLI::App app{
      "videocall-bot: N synthetic participants that publish pre-encoded media and measure "
      "join time, received fps, loss and end-to-end latency"};
  app.add_option("--server", options.server, "Server URL")
      ->capture_default_str()
      ->envname("VIDEOCALL_SERVER");
  auto* prefix = app.add_option("--meeting-prefix", options.meeting_prefix,
                                "Rooms are PREFIX-RUNID-0, PREFIX-RUNID-1, ... (RUNID differs per "
                                "run, so runs never share a meeting)")
                     ->capture_default_str();
  app.add_option("--meeting", options.meeting,
                 "Join this exact meeting id instead (needs --rooms 1); bot processes on different "
                 "nodes can share a meeting this way")
      ->excludes(prefix);
  app.add_option("--rooms", options.rooms, "Number of rooms")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--publishers", options.publishers, "Publishers per room")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--subscribers", options.subscribers, "Subscribers per room")
      ->check(CLI::Range(0, 5000))
      ->capture_default_str();
  app.add_flag("--receive-only-subscribers", options.receive_only_subscribers,
               "Subscribers join receive-only (like recorders)");
  app.add_option("--ramp-up", options.ramp_up_per_second, "Joins started per second")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--duration", options.duration_s, "Seconds of publishing after everyone joined")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--codec", options.codec, "Video codec")
      ->check(CLI::IsMember({"vp9", "vp8", "av1"}))
      ->capture_default_str();
  app.add_option("--resolution", resolution, "Video size WIDTHxHEIGHT")->capture_default_str();
  app.add_option("--fps", options.fps, "Video frames per second")
      ->check(CLI::Range(1, 120))
      ->capture_default_str();
  app.add_option("--bitrate-kbps", options.bitrate_kbps, "Video bitrate")
      ->check(CLI::Range(20, 50000))
      ->capture_default_str();
  app.add_flag("!--no-audio", options.audio, "Publish no audio");
  app.add_flag("!--no-video", options.video, "Publish no video");
  app.add_option("--loop-seconds", options.loop_s, "Length of the pre-encoded loop")
      ->check(CLI::Range(0.5, 30.0))
      ->capture_default_str();
  app.add_option("--threads", options.threads, "Network threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--join-timeout", options.join_timeout_s, "Seconds to wait for everyone to join")
      ->capture_default_str();
  const auto transports = CLI::IsMember({"auto", "webtransport", "websocket"});
  app.add_option("--transport", options.transport,
                 "Media transport: auto (WebTransport when the server offers it, else WebSocket, "
                 "falling back after 1.5 s), webtransport (only) or websocket (only)")
      ->check(transports)
      ->capture_default_str();
  auto* passphrase =
      app.add_option("--e2ee-passphrase", options.e2ee_passphrase,
                     "End-to-end encrypt every participant's media with this passphrase")
          ->envname("VIDEOCALL_E2EE_PASSPHRASE");
  app.add_flag("--e2ee", options.e2ee, "End-to-end encrypt with X25519 key agreement")
      ->excludes(passphrase);
  app.add_option("--subscriber-transport", options.subscriber_transport,
                 "Transport for subscribers only (default: --transport), to mix transports")
      ->check(transports);
  app.add_option("--source-addresses", options.source_addresses,
                 "Spread WebTransport participants over loopback source addresses 127.0.0.1..N "
                 "(the server admits 64 QUIC connections per address; loopback servers only)")
      ->check(CLI::Range(1, 250))
      ->capture_default_str();
  app.add_flag("--simulcast", options.simulcast,
               "Publishers send 180p (150 kbps) and 360p (500 kbps) encodings, plus 720p "
               "(1.5 Mbps) when --resolution is 720p or more; --bitrate-kbps is not used");
  app.add_option("--view", options.view,
                 "Every participant shows N publishers' cameras of its room (participant i from "
                 "publisher i on) at --view-resolution; other video is paused. 0: receive all")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--view-resolution", view_resolution,
                 std::string("Largest video height a --view subscription asks for (") +
                     vc::tools::kVideoHeightHelp + ")")
      ->capture_default_str();
  app.add_option("--view-mode", options.view_mode,
                 "fixed, rotate (every view moves on by one publisher every 2 s) or speaker (the "
                 "server shows the N most recent speakers, last_n)")
      ->check(CLI::IsMember({"fixed", "rotate", "speaker"}))
      ->capture_default_str();
  app.add_option("--speakers", options.speakers,
                 "Only the first K publishers of each room send audio (default: all)")
      ->check(CLI::Range(0, 1000));
  app.add_option("--output,-o", output, "Also write the JSON summary to this file");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? vc::tools::kExitOk : vc::tools::kExitUsage;
  }
  if (!options.meeting.empty() && options.rooms != 1) {
    std::cerr << "error: --meeting joins one meeting; it cannot be combined with --rooms "
              << options.rooms << "\n";
    return vc::tools::kExitUsage;
  }
  const auto size = vc::tools::parse_resolution(resolution);
  if (!size) {
    std::cerr << "error: --resolution must be WIDTHxHEIGHT with even numbers\n";
    return vc::tools::kExitUsage;
  }
  options.width = size->first;
  options.height = size->second;
  const auto view_height = vc::tools::parse_video_height(view_resolution);
  if (!view_height) {
    std::cerr << vc::tools::bad_video_height_message("--view-resolution", view_resolution) << "\n";
    return vc::tools::kExitUsage;
  }
  options.view_height = *view_height;
  vc::log::init(log_level);

  nlohmann::json summary;
  const int code = vc::tools::run_bot(options, summary);
  const std::string text = summary.dump(2);
  std::cout << text << std::endl;
  if (!output.empty()) {
    std::ofstream file(output);
    file << text << "\n";
    if (!file) {
      std::cerr << "error: cannot write " << output << "\n";
      return vc::tools::kExitBadFile;
    }
  }
  return code;
}
