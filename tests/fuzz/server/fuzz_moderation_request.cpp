// Fuzzes the REST moderation API bodies (docs/PROTOCOL.md §14.5) and what the room does with them:
// the bytes as an action and as a settings update (JSON), and as a protobuf HostRequest /
// HostUpdateSettings from a host and from a participant. Invariants: a parsed body has a known
// action and a bounded max_participants; a refused parse says why; the room never crashes, and a
// participant's request never changes anything.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "common/limits.hpp"
#include "server/http/moderation_request.hpp"
#include "server/room/room.hpp"

namespace {

using namespace vc;

class Sink : public room::Endpoint {
 public:
  void on_queue_ready() override {
    while (queue().pop()) {
    }
  }
  void close_with_error(uint32_t, std::string_view) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string why;
  const auto request = http::parse_host_request(input, why);
  if (request) {
    if (request->action() == v1::HOST_ACTION_UNSPECIFIED ||
        request->action() == v1::HOST_ACTION_UPDATE_SETTINGS) {
      abort();
    }
  } else if (why.empty()) {
    abort();
  }
  why.clear();
  const auto update = http::parse_settings_update(input, why);
  if (update) {
    if (update->max_participants() > limits::kMaxParticipantsPerRoom) abort();
  } else if (why.empty()) {
    abort();
  }

  static room::TimePoint now{};
  now += std::chrono::milliseconds(100);
  Sink host, participant, waiting;  // outlive the room that refers to them
  room::Room room("demo", [] { return now; });
  room::JoinRequest join;
  join.identity = room::Identity{1, "Host", v1::PARTICIPANT_ROLE_HOST, "sub-host"};
  room.join(host, join);
  join.identity = room::Identity{2, "Pia", v1::PARTICIPANT_ROLE_PARTICIPANT, "sub-p"};
  room.join(participant, join);
  join.identity = room::Identity{3, "Wim", v1::PARTICIPANT_ROLE_WAITING, "sub-w"};
  room.join(waiting, join);

  v1::Control control;
  if (control.mutable_host_request()->ParseFromArray(data, static_cast<int>(size))) {
    const std::string before = room.moderation_state().settings.SerializeAsString();
    const std::size_t members = room.participant_count();
    room.on_control(2, control);
    if (room.participant_count() != members ||
        room.moderation_state().settings.SerializeAsString() != before) {
      abort();  // a participant changed the meeting
    }
    room.on_control(1, control);
  }
  if (control.mutable_host_update_settings()->ParseFromArray(data, static_cast<int>(size))) {
    room.on_control(1, control);
  }
  if (request) room.host_request(room.actor_for(join.identity), *request);
  if (update) room.update_settings(room.actor_for(room::Identity{1, "", {}, "sub-host"}), *update);
  return 0;
}
