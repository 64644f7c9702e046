// The bot's JSON summary (schema: docs/CLIENT.md), computed after every client closed.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "bot.hpp"
#include "participant.hpp"

namespace vc::tools {

struct RunFacts {
  int total = 0;
  bool all_joined = false;
  double ramp_s = 0;
  uint64_t video_sent_per_publisher = 0;  // per encoding
  uint64_t audio_sent_per_publisher = 0;  // per speaker
};

// Adds participants, join, media, latency, view and transport sections to `summary`; returns the
// tool's exit code. Call only when no client callback can run any more.
int summarize(const BotOptions& options, const std::vector<std::unique_ptr<Participant>>& all,
              const RunFacts& facts, nlohmann::json& summary);

}  // namespace vc::tools
