// Layer allocation: splits one receiver's bandwidth estimate over the video tracks it receives
// (docs/PROTOCOL.md §11.4). A pure function, so the policy is unit-tested without a room.
//
// Every track first gets its lowest option (encoding 0, temporal layer 0); then, in priority
// order, each is raised to the best option that fits what is left. A track's options run from its
// highest allowed encoding with all temporal layers down: (s, T-1), ..., (s, 0), (s-1, T-1), ...
// so under pressure temporal layers go before an encoding is stepped down.
#pragma once

#include <cstdint>
#include <span>

#include "common/limits.hpp"
#include "server/room/video_forwarder.hpp"

namespace vc::room {

// Measured bitrate of each encoding, cumulative over temporal layers: bps[s][t] is what encoding s
// costs with temporal layers 0..t. 0 means not measured yet (treated as free).
struct LayerRates {
  uint8_t spatial_count = 1;
  uint8_t temporal_count = 1;
  uint64_t bps[limits::kMaxSimulcastLayers][limits::kMaxTemporalLayers] = {};
};

struct AllocationRequest {
  uint32_t priority = 0;    // higher is served first (screen share, then larger tiles)
  uint8_t max_spatial = 0;  // the highest encoding the subscription allows
  LayerRates rates;
};

// Fills `out[i]` (same size as `requests`) with each track's encoding and temporal cap.
void allocate_layers(uint64_t budget_bps, std::span<const AllocationRequest> requests,
                     std::span<LayerTarget> out);

}  // namespace vc::room
