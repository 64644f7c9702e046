// --view: what each bot participant subscribes to, like a client showing N tiles. Participants
// join with paused video defaults (Hello), then subscribe at --view-resolution to N publishers
// of their room: participant i views the publishers from index i on (mod P, skipping itself), so
// views spread over the publishers; `rotate` moves every view on by one publisher every
// kViewRotateInterval. `speaker` leaves the choice to the server (last_n = N).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "bot.hpp"
#include "participant.hpp"

namespace vc::tools {

inline constexpr auto kViewRotateInterval = std::chrono::seconds(2);
// After the first subscriptions, before publishing starts: they reach the server first, so every
// frame of a viewed publisher is expected.
inline constexpr auto kViewSettle = std::chrono::milliseconds(300);

// Hello's defaults: absent without --view (every track at its highest layer).
std::optional<v1::SubscriptionDefaults> view_hello_defaults(const BotOptions& options);
// Explicit subscriptions are used (--view N > 0 and a mode other than speaker).
bool uses_explicit_view(const BotOptions& options);

// Subscribes `p` to the window of `room_publishers` starting at `start` and pauses the publishers
// that left it. `measure`: time the first frame of each newly viewed publisher.
void apply_view(const BotOptions& options, Participant& p,
                const std::vector<uint64_t>& room_publishers, std::size_t start, bool measure);

}  // namespace vc::tools
