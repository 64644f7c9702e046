// Shared by videocall-cli and videocall-bot: exit codes, argument helpers, a stop latch.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "videocall/client.hpp"

namespace vc::tools {

// Documented in docs/CLIENT.md; tests check them.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,      // anything else (codec failure, server ended the session)
  kExitUsage = 2,        // bad command line
  kExitUnreachable = 3,  // server unreachable (DNS, TCP, TLS, WebSocket handshake)
  kExitRefused = 4,      // join or room token refused
  kExitDevice = 5,       // missing device or unsupported format
  kExitBadFile = 6,      // missing, unreadable or malformed input file
};

int exit_code_for(const client::ClientError& error);

// "1280x720" -> (1280, 720); nullopt unless both are positive and even.
std::optional<std::pair<int, int>> parse_resolution(const std::string& text);

// A video height for subscriptions (--view-resolution): "360", "360p" or "640x360" -> 360;
// nullopt unless 1..4320.
std::optional<int> parse_video_height(const std::string& text);
inline constexpr const char* kVideoHeightHelp = "HEIGHT, HEIGHTp or WIDTHxHEIGHT, e.g. 180p";
// "error: OPTION must be ..." for a value parse_video_height refused.
std::string bad_video_height_message(const std::string& option, const std::string& text);

// Makes a display name safe for a file name: [A-Za-z0-9_-], at most 32 characters.
std::string sanitise_for_filename(const std::string& name);

// End-to-end encryption lines the tools print (docs/CLIENT.md): "e2ee on mode=... safety-code=..."
// when it starts or the safety code changes, and " e2ee_decrypted=N e2ee_auth_failed=N ..." for
// summaries.
void print_e2ee_status(const client::E2eeStatus& status);
std::string e2ee_stats_text(const client::ClientStats& stats);

// Set once (first code wins), waited on by main.
class StopLatch {
 public:
  void stop(int exit_code) {
    std::lock_guard lock(mutex_);
    if (code_) return;
    code_ = exit_code;
    cv_.notify_all();
  }
  int wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return code_.has_value(); });
    return *code_;
  }
  bool stopped() {
    std::lock_guard lock(mutex_);
    return code_.has_value();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<int> code_;
};

}  // namespace vc::tools
