// Feeds arbitrary bytes, split at fuzzer-chosen points, to the capsule reader, and checks that
// splitting never changes what it reports.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net/h3/stream_parsers.hpp"

namespace {

using namespace vc::h3;

struct Recording : CapsuleSink {
  std::vector<std::string> events;
  H3Error on_close_session(const CloseSession& close) override {
    events.push_back(std::to_string(close.code) + ":" + std::string(close.reason));
    return H3Error::kNone;
  }
  H3Error on_drain_session() override {
    events.emplace_back("drain");
    return H3Error::kNone;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = data[0] % 17 + 1;
  const ByteView input(data + 1, size - 1);

  CapsuleReader whole_reader(2048);
  Recording whole;
  const H3Error whole_error = whole_reader.feed(input, whole);

  CapsuleReader split_reader(2048);
  Recording split;
  H3Error split_error = H3Error::kNone;
  for (std::size_t i = 0; i < input.size() && split_error == H3Error::kNone; i += chunk) {
    const std::size_t n = std::min(chunk, input.size() - i);
    split_error = split_reader.feed(input.subspan(i, n), split);
  }
  if (whole_error != split_error || whole.events != split.events) __builtin_trap();
  return 0;
}
