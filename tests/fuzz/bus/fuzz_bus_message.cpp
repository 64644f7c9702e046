// Fuzzes what a node accepts from the bus (another node, or anyone who can publish to NATS): the
// codec's decoders, then the same bytes delivered to a Cluster that follows a room with a local
// member, on the room, node and heartbeat subjects: once as they are (the authentication check)
// and once sealed with the deployment's key, as a genuine node would send them (the decoders and
// the room behind it). Invariants: decoders never read out of bounds, accepted messages re-encode
// consistently, and the Cluster never crashes.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "common/limits.hpp"
#include "server/bus/bus_auth.hpp"
#include "server/bus/bus_codec.hpp"
#include "server/bus/cluster.hpp"
#include "server/bus/local_bus.hpp"

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

class Directory : public bus::RoomDirectory {
 public:
  room::Room* find_room(const std::string& meeting) override {
    return meeting == "demo" ? room.get() : nullptr;
  }
  std::unique_ptr<room::Room> room;
};

void check_decoders(const bus::MessageHeader& header) {
  switch (header.type) {
    case bus::MessageType::kMedia: {
      bus::MediaMessage media;
      if (bus::decode_media(header.body, media) && media.envelope.empty()) abort();
      break;
    }
    case bus::MessageType::kMemberUpsert: {
      room::RemoteMember member;
      if (bus::decode_member_upsert(header.body, member) && member.info.participant_id() == 0) {
        abort();
      }
      break;
    }
    case bus::MessageType::kSnapshot: {
      bool want_reply = false;
      std::vector<room::RemoteMember> members;
      if (bus::decode_snapshot(header.body, want_reply, members)) {
        std::vector<uint8_t> again;
        bus::encode_snapshot(header.node_id, want_reply, members, again);
        bus::MessageHeader reparsed;
        std::vector<room::RemoteMember> members_again;
        if (!bus::decode_header(again, reparsed) ||
            !bus::decode_snapshot(reparsed.body, want_reply, members_again) ||
            members_again.size() != members.size()) {
          abort();
        }
      }
      break;
    }
    case bus::MessageType::kRosterReply: {
      uint64_t query_id = 0;
      std::string_view meeting;
      std::vector<room::RemoteMember> members;
      if (bus::decode_roster_reply(header.body, query_id, meeting, members) &&
          !bus::Subjects::valid_meeting_id(meeting)) {
        abort();
      }
      break;
    }
    case bus::MessageType::kChatHistoryReply: {
      std::string_view meeting;
      v1::ChatHistory history;
      if (bus::decode_chat_history_reply(header.body, meeting, history) &&
          (!bus::Subjects::valid_meeting_id(meeting) ||
           static_cast<std::size_t>(history.messages_size()) > limits::kChatHistoryMessages)) {
        abort();
      }
      break;
    }
    case bus::MessageType::kHostClusterEvent: {
      v1::HostClusterEvent event;
      if (bus::decode_host_cluster_event(header.body, event) &&
          header.body.size() > limits::kMaxEnvelopeBytes) {
        abort();
      }
      break;
    }
    case bus::MessageType::kHostRemoteAction: {
      v1::HostRemoteAction action;
      if (bus::decode_host_remote_action(header.body, action) &&
          action.request().target_participant_id() == 0) {
        abort();
      }
      break;
    }
    case bus::MessageType::kE2eeKeyMessage: {
      v1::E2eeKeyMessage message;
      if (bus::decode_e2ee_key_message(header.body, message) &&
          (message.sealed().size() != limits::kE2eeSealedKeyBytes ||
           message.from_participant_id() == 0 || message.to_participant_id() == 0)) {
        abort();
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  bus::MessageHeader header;
  if (bus::decode_header(input, header)) check_decoders(header);

  static room::TimePoint now{};
  now += std::chrono::milliseconds(50);
  const room::NowFn clock = [] { return now; };
  bus::LocalBusHub hub;
  bus::LocalBus local(hub);
  Directory directory;
  static const std::vector<uint8_t> secret = {'f', 'u', 'z', 'z'};
  bus::ClusterConfig config;
  config.auth_secret = secret;
  static constexpr int64_t kWallClockMs = 1'800'000'000'000;
  config.wall_clock_ms = [] { return kWallClockMs; };
  bus::Cluster cluster(local, directory, clock, /*node_id=*/1, std::move(config));
  cluster.start();
  directory.room = std::make_unique<room::Room>("demo", clock, &cluster);
  Sink sink;
  room::JoinRequest request;
  request.identity = room::Identity{7, "Ada", v1::PARTICIPANT_ROLE_PARTICIPANT};
  request.session_id = 1;
  directory.room->join(sink, request);

  // The first byte picks the subject; the rest is the message.
  static const std::string subjects[] = {"vc.room.demo.ctrl", "vc.room.demo.media",
                                         "vc.node.0000000000000001", "vc.heartbeat",
                                         "vc.room.other.ctrl"};
  const std::string& subject = subjects[size == 0 ? 0 : data[0] % 5];
  const std::span<const uint8_t> message = size == 0 ? input : input.subspan(1);
  cluster.on_bus_message(subject, message);
  cluster.on_bus_message(subject, input);
  static bus::BusAuthenticator genuine_node(secret);
  std::vector<uint8_t> sealed(message.begin(), message.end());
  genuine_node.seal(subject, sealed, kWallClockMs);
  cluster.on_bus_message(subject, sealed);
  cluster.on_tick();
  directory.room->on_timer();
  cluster.stop();
  directory.room.reset();  // before the sink it refers to
  return 0;
}
