// Cost of Room::on_media for one publisher and N receivers whose transports drain immediately:
// decode-free stamping, one encode, N queue pushes and pops. Reported per forwarded frame.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "server/room/room.hpp"

namespace {

class DrainingEndpoint : public vc::room::Endpoint {
 public:
  void on_queue_ready() override {
    while (vc::FrameRef frame = queue().pop()) benchmark::DoNotOptimize(frame->size());
  }
  void close_with_error(uint32_t, std::string_view) override {}
};

void BM_RoomFanout(benchmark::State& state) {
  const auto receivers = static_cast<std::size_t>(state.range(0));
  const auto payload_size = static_cast<std::size_t>(state.range(1));
  vc::room::Room room("bench", [] { return vc::room::Clock::now(); });
  std::vector<DrainingEndpoint> endpoints(receivers + 1);
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    vc::room::JoinRequest request;
    request.identity.participant_id = i + 1;
    request.identity.display_name = "p" + std::to_string(i);
    request.session_id = i + 1;
    room.join(endpoints[i], request);
  }
  vc::v1::Control publish;
  vc::v1::Track* track = publish.mutable_publish_track()->mutable_track();
  track->set_track_id(2);
  track->set_source(vc::v1::TRACK_SOURCE_CAMERA);
  track->set_kind(vc::v1::MEDIA_KIND_VIDEO);
  room.on_control(1, publish);
  const std::string payload(payload_size, 'x');
  vc::v1::MediaHeader header;
  header.set_kind(vc::v1::MEDIA_KIND_VIDEO);
  header.set_track_id(2);
  header.set_codec(vc::v1::CODEC_VP9);
  uint32_t sequence = 0;
  for (auto _ : state) {
    header.set_sequence(++sequence);
    header.set_keyframe(sequence % 60 == 1);
    room.on_media(1, header, {reinterpret_cast<const uint8_t*>(payload.data()), payload.size()});
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * receivers));
  state.counters["ns_per_forward"] = benchmark::Counter(
      static_cast<double>(state.iterations() * receivers),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

BENCHMARK(BM_RoomFanout)
    ->ArgsProduct({{10, 100, 500}, {160, 4200}})
    ->ArgNames({"receivers", "payload"});

}  // namespace

BENCHMARK_MAIN();
