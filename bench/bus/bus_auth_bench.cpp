// Cost of authenticating one cross-node bus message (bus_auth.hpp): seal() on the publishing node
// and open() on a receiving node, for audio-sized to keyframe-sized media messages.
#include <benchmark/benchmark.h>

#include <vector>

#include "server/bus/bus_auth.hpp"

namespace {

const std::vector<uint8_t> kSecret(32, 0x42);
constexpr const char* kSubject = "vc.room.benchmark-room.media";

std::vector<uint8_t> message_of(std::size_t size) {
  std::vector<uint8_t> message(size, 0x5A);
  message[0] = 'v';  // the header's node id (bytes 3..10) stays constant
  return message;
}

void BM_Seal(benchmark::State& state) {
  vc::bus::BusAuthenticator sender(kSecret);
  const std::vector<uint8_t> message = message_of(static_cast<std::size_t>(state.range(0)));
  std::vector<uint8_t> buffer;
  buffer.reserve(message.size() + vc::bus::kAuthTrailerBytes);
  for (auto _ : state) {
    buffer.assign(message.begin(), message.end());
    sender.seal(kSubject, buffer, 1'800'000'000'000);
    benchmark::DoNotOptimize(buffer.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Open(benchmark::State& state) {
  vc::bus::BusAuthenticator sender(kSecret), receiver(kSecret);
  const std::vector<uint8_t> message = message_of(static_cast<std::size_t>(state.range(0)));
  // Distinct sequence numbers, so every open() passes the replay check like live traffic.
  std::vector<std::vector<uint8_t>> sealed(4096, message);
  for (auto& m : sealed) sender.seal(kSubject, m, 1'800'000'000'000);
  std::size_t next = 0;
  for (auto _ : state) {
    std::span<const uint8_t> inner;
    if (next == sealed.size()) {
      state.PauseTiming();
      for (auto& m : sealed) {
        m = message;
        sender.seal(kSubject, m, 1'800'000'000'000);
      }
      next = 0;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(receiver.open(kSubject, sealed[next++], 1'800'000'000'000, inner));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_Seal)->Arg(160)->Arg(1200)->Arg(16 << 10)->Arg(256 << 10);
BENCHMARK(BM_Open)->Arg(160)->Arg(1200)->Arg(16 << 10)->Arg(256 << 10);

}  // namespace

BENCHMARK_MAIN();
