// E2EE cost per frame in libvideocall (docs/BENCHMARKS.md "End-to-end encryption"). Frame sizes:
// 360p VP8/VP9 at ~800 kbit/s and 30 fps is ~3.3 KB per delta frame and ~25 KB per keyframe;
// 720p at ~2.5 Mbit/s is ~10 KB and ~80 KB; Opus 20 ms ~160 B.
#include <benchmark/benchmark.h>

#include "e2ee/key_ring.hpp"

namespace vc::e2ee {
namespace {

::videocall::v1::MediaHeader header_for(uint32_t sequence) {
  ::videocall::v1::MediaHeader header;
  header.set_kind(::videocall::v1::MEDIA_KIND_VIDEO);
  header.set_track_id(2);
  header.set_sequence(sequence);
  header.set_sender_participant_id(42);
  return header;
}

Secret secret() {
  Secret s{};
  s.fill(0x5a);
  return s;
}

void BM_Encrypt(benchmark::State& state) {
  SenderKey sender;
  sender.install(256, secret());
  const Bytes frame(static_cast<std::size_t>(state.range(0)), 0x33);
  uint32_t sequence = 0;
  for (auto _ : state) benchmark::DoNotOptimize(sender.encrypt(header_for(sequence++), frame));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

void BM_Decrypt(benchmark::State& state) {
  SenderKey sender;
  sender.install(256, secret());
  ReceiverKeys receiver;
  receiver.add(42, 256, secret());
  const Bytes frame(static_cast<std::size_t>(state.range(0)), 0x33);
  const auto header = header_for(7);
  const Bytes payload = *sender.encrypt(header, frame);
  Bytes plaintext;
  for (auto _ : state) benchmark::DoNotOptimize(receiver.decrypt(header, payload, plaintext));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// 160 B audio, 3.3 KB / 25 KB (360p delta / key), 10 KB / 80 KB (720p delta / key).
BENCHMARK(BM_Encrypt)->Arg(160)->Arg(3300)->Arg(25000)->Arg(10000)->Arg(80000);
BENCHMARK(BM_Decrypt)->Arg(160)->Arg(3300)->Arg(25000)->Arg(10000)->Arg(80000);

void BM_SealKeyForOnePeer(benchmark::State& state) {
  auto mine = X25519KeyPair::generate();
  auto theirs = X25519KeyPair::generate();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        seal_key(*mine, 1, theirs->public_key(), 2, "bench-meeting", 256, secret()));
  }
}
BENCHMARK(BM_SealKeyForOnePeer);

void BM_PassphraseRoot(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(passphrase_root("bench words", "bench-meeting"));
}
BENCHMARK(BM_PassphraseRoot)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace vc::e2ee

BENCHMARK_MAIN();
