// videocall-bot: many synthetic participants in one process, for load tests and benchmarks.
// Media is encoded once at start (a short loop) and replayed, so the CPU goes to networking.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace vc::tools {

struct BotOptions {
  std::string server = "http://127.0.0.1:8080";
  std::string meeting_prefix = "bot";
  // Exact meeting id (one room): lets bot processes on different nodes share a meeting.
  std::string meeting;
  int rooms = 1;
  int publishers = 1;    // per room
  int subscribers = 20;  // per room
  bool receive_only_subscribers = false;
  int ramp_up_per_second = 50;  // joins started per second
  double duration_s = 10;       // of publishing, after everyone joined
  double drain_s = 1;           // wait for frames in flight before leaving
  std::string codec = "vp9";
  int width = 640;
  int height = 360;
  int fps = 30;
  int bitrate_kbps = 1000;
  bool audio = true;
  bool video = true;
  double loop_s = 2;
  unsigned threads = 2;
  double join_timeout_s = 30;
  std::string transport = "auto";    // auto | webtransport | websocket (ClientConfig::transport)
  std::string subscriber_transport;  // for subscribers; empty: same as `transport`
  // End-to-end encryption (docs/PROTOCOL.md §15) for every bot participant: a passphrase, or
  // X25519 key agreement.
  std::string e2ee_passphrase;
  bool e2ee = false;
  int source_addresses = 1;  // WebTransport sockets spread over 127.0.0.1 .. 127.0.0.N
  // Publishers send a simulcast ladder (media_loop.hpp) instead of one encoding.
  bool simulcast = false;
  // Each participant shows N publishers' cameras at view_height (view.hpp); 0: receive all.
  int view = 0;
  int view_height = 180;
  std::string view_mode = "fixed";  // fixed | rotate | speaker
  int speakers = -1;  // publishers (per room, the first ones) that send audio; -1: all
};

// Runs the scenario and fills `summary`; returns a tool exit code.
int run_bot(const BotOptions& options, nlohmann::json& summary);

}  // namespace vc::tools
