#include "server/room/layer_allocator.hpp"

#include <algorithm>
#include <array>
#include <numeric>

namespace vc::room {

namespace {

uint64_t cost(const LayerRates& rates, uint8_t spatial, uint8_t temporal) {
  return rates.bps[spatial][temporal];
}

}  // namespace

void allocate_layers(uint64_t budget_bps, std::span<const AllocationRequest> requests,
                     std::span<LayerTarget> out) {
  uint64_t spent = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    out[i] = LayerTarget{false, 0, 0};
    spent += cost(requests[i].rates, 0, 0);
  }
  // Priority order, ties in subscription order; at most a few dozen tracks per receiver, so an
  // index sort on the stack is cheap (larger lists fall back to the given order).
  constexpr std::size_t kSortable = 64;
  std::array<uint16_t, kSortable> order{};
  const std::size_t sorted = std::min(requests.size(), kSortable);
  std::iota(order.begin(), order.begin() + sorted, 0);
  std::stable_sort(order.begin(), order.begin() + sorted, [&](uint16_t a, uint16_t b) {
    return requests[a].priority > requests[b].priority;
  });
  for (std::size_t n = 0; n < requests.size(); ++n) {
    const std::size_t i = n < sorted ? order[n] : n;
    const AllocationRequest& request = requests[i];
    const LayerRates& rates = request.rates;
    const uint8_t top_spatial =
        std::min<uint8_t>(request.max_spatial, static_cast<uint8_t>(rates.spatial_count - 1));
    const uint8_t top_temporal =
        static_cast<uint8_t>(std::max<uint8_t>(rates.temporal_count, 1) - 1);
    const uint64_t current = cost(rates, 0, 0);
    bool placed = false;
    for (int s = top_spatial; s >= 0 && !placed; --s) {
      for (int t = top_temporal; t >= 0 && !placed; --t) {
        const uint64_t option = cost(rates, static_cast<uint8_t>(s), static_cast<uint8_t>(t));
        if (spent - current + option <= budget_bps || (s == 0 && t == 0)) {
          out[i] = LayerTarget{false, static_cast<uint8_t>(s), static_cast<uint8_t>(t)};
          spent = spent - current + option;
          placed = true;
        }
      }
    }
  }
}

}  // namespace vc::room
