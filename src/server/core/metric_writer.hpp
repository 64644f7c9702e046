// MetricWriter: writes one Prometheus metric (name, type, help, value). /metrics hands one to
// every metric source (ServerContext::metric_sources), so sources need not know the format.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace vc::core {

using MetricWriter = std::function<void(std::string_view name, std::string_view type,
                                        std::string_view help, uint64_t value)>;

}  // namespace vc::core
