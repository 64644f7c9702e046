// Cluster: makes a room span server nodes over a Bus. Sans-I/O and single-threaded: it runs on the
// event loop that owns the rooms, takes time from an injected clock and is driven by on_tick().
//
//  - It is every room's RoomObserver: local joins/updates/leaves and local media are published to
//    the room's subjects, but only while some other node has members in that room.
//  - It subscribes ONCE per room that has local members (wildcard `<prefix>.room.<id>.*`) and
//    unsubscribes when the last local member is gone; remote traffic is fanned out locally by the
//    Room. On subscribing it publishes a snapshot asking the other nodes for theirs.
//  - Keyframe requests for a remote publisher go to that publisher's node subject only.
//  - Heartbeats: a node silent for node_timeout is lost; its members show as reconnecting and
//    leave after lost_node_grace unless they resume on another node. While our own bus connection
//    is down nobody is declared lost (we cannot tell); after it returns every room is resynced.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/bus/bus.hpp"
#include "server/bus/bus_auth.hpp"
#include "server/bus/bus_codec.hpp"
#include "server/room/room.hpp"

namespace vc::bus {

struct ClusterConfig {
  std::string subject_prefix = "vc";
  // Every message is authenticated with a key derived from this secret (bus_auth.hpp); the
  // server passes the room token secret, which all nodes of a deployment share. Required.
  std::vector<uint8_t> auth_secret;
  // Unix time in milliseconds, for the age check of authenticated messages (tests replace it).
  std::function<int64_t()> wall_clock_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  // Worst case from a node's death to its members leaving every roster:
  // node_timeout + tick + lost_node_grace + tick, which stays under 5 s.
  std::chrono::milliseconds heartbeat_interval{500};
  std::chrono::milliseconds node_timeout{1500};
  std::chrono::milliseconds lost_node_grace{2500};
  // At most one resync request per room in this interval (unknown publisher, inbound gap).
  std::chrono::milliseconds resync_interval{1000};
  // Lost nodes are forgotten after this long (bounds the node table).
  std::chrono::milliseconds forget_lost_node_after{60000};
  // How long a roster query collects replies (nodes without members never answer), and how many
  // may be in flight at once.
  std::chrono::milliseconds roster_query_window{200};
  std::size_t max_pending_roster_queries = 64;
};

// How the cluster finds the rooms of this node (the server's RoomRegistry).
class RoomDirectory {
 public:
  virtual ~RoomDirectory() = default;
  virtual room::Room* find_room(const std::string& meeting_id) = 0;
};

struct ClusterStats {
  uint64_t media_published = 0;
  uint64_t media_not_published = 0;  // bus down or publish failed
  uint64_t media_received = 0;
  uint64_t control_published = 0;
  uint64_t control_received = 0;
  uint64_t malformed = 0;
  uint64_t unknown_publisher = 0;
  uint64_t resync_requests = 0;
  uint64_t nodes_lost = 0;
  uint64_t rooms_linked = 0;  // current subscriptions to rooms
  uint64_t roster_queries = 0;
  uint64_t roster_queries_refused = 0;  // too many pending, or the bus is down
  // Refused inbound messages: a bad or missing authentication tag; too old, too new or a repeated
  // sequence number (a replay); media for a member from a node that does not own it.
  uint64_t rejected_unauthenticated = 0;
  uint64_t rejected_replayed = 0;
  uint64_t rejected_not_owner = 0;
  // Chat or reactions from another node the room refused (sender not owned by that node, bad
  // text or emoji, a message id already known).
  uint64_t chat_refused = 0;
};

// The members other nodes reported for a room (deduplicated by participant, newest claim wins).
using RosterCallback = std::function<void(std::vector<room::RemoteMember> members)>;

class Cluster final : public room::RoomObserver, public BusHandler {
 public:
  Cluster(Bus& bus, RoomDirectory& rooms, room::NowFn now, uint64_t node_id,
          ClusterConfig config = {});
  ~Cluster() override;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Subscribes to the heartbeat and node subjects and sends the first heartbeat.
  void start();
  // Publishes a goodbye so other nodes need not wait for the heartbeat timeout.
  void stop();
  // Heartbeats and liveness; call every ~100-250 ms.
  void on_tick();

  uint64_t node_id() const { return node_id_; }
  const ClusterStats& stats() const { return stats_; }
  std::size_t live_remote_nodes() const;
  static uint64_t random_node_id();

  // Asks every node with members in `meeting_id` for them, for a node that has none there (so it
  // does not follow that room). `done` runs from on_tick() once config.roster_query_window has
  // passed. Returns false without calling `done` when the bus is down or too many queries are
  // pending: the caller answers with what it knows locally.
  bool query_roster(const std::string& meeting_id, RosterCallback done);
  // A meeting's moderation changed in the store on this node, where nobody of it is connected:
  // tells the nodes where it is live, which apply it like a host action's event. Returns false
  // when the bus is down or the id cannot be a subject (those nodes then keep their state).
  bool publish_stored_moderation(const std::string& meeting_id, const v1::HostClusterEvent& event);

  // RoomObserver
  void on_local_member_changed(const room::Room& room, const v1::Participant& info,
                               uint64_t claim_us) override;
  void on_local_member_left(const room::Room& room, uint64_t participant_id,
                            v1::LeaveReason reason) override;
  void on_local_media(const room::Room& room, const FrameRef& frame) override;
  void on_remote_keyframe_request(const room::Room& room, uint64_t publisher_node,
                                  const v1::KeyframeRequest& request) override;
  void on_local_chat(const room::Room& room, const v1::ChatMessage& message) override;
  void on_local_reaction(const room::Room& room, const v1::Reaction& reaction) override;
  void on_local_host_event(const room::Room& room, const v1::HostClusterEvent& event) override;
  void on_remote_host_action(const room::Room& room, uint64_t owner_node,
                             const v1::HostRemoteAction& action) override;
  void on_local_e2ee_key_message(const room::Room& room,
                                 const v1::E2eeKeyMessage& message) override;

  // BusHandler
  void on_bus_message(std::string_view subject, std::span<const uint8_t> data) override;
  void on_bus_state(bool connected) override;
  void on_bus_gap() override;

 private:
  struct RoomLink {
    SubscriptionId subscription = 0;
    std::string media_subject;
    std::string control_subject;
    room::TimePoint last_resync{};
  };
  struct RosterQuery {
    uint64_t id = 0;
    std::string meeting_id;
    room::TimePoint deadline{};
    std::vector<room::RemoteMember> members;
    RosterCallback done;
  };
  struct NodeState {
    room::TimePoint last_seen{};
    bool lost = false;
    room::TimePoint lost_at{};
  };

  RoomLink* link(const room::Room& room);
  void unlink_if_no_local_members(const std::string& meeting_id);
  // Seals scratch_ (bus_auth.hpp) and publishes it: every outgoing message goes through here.
  bool publish_scratch(const std::string& subject);
  void publish_control(const RoomLink& link);
  void publish_snapshot(const room::Room& room, const RoomLink& link, bool want_reply);
  void resync(const room::Room& room, RoomLink& link, bool force);
  void resync_all(bool force);
  void note_alive(uint64_t node_id);
  void node_lost(uint64_t node_id);
  void handle_room_message(std::string_view meeting_id, const MessageHeader& header);
  void handle_keyframe_request(std::span<const uint8_t> body);
  void handle_roster_reply(std::span<const uint8_t> body);
  void handle_chat_history_reply(std::span<const uint8_t> body);
  void finish_roster_queries(room::TimePoint now);

  Bus& bus_;
  RoomDirectory& rooms_;
  room::NowFn now_;
  uint64_t node_id_;
  ClusterConfig config_;
  BusAuthenticator auth_;
  Subjects subjects_;
  std::string heartbeat_subject_;
  SubscriptionId heartbeat_subscription_ = 0;
  SubscriptionId node_subscription_ = 0;
  room::TimePoint next_heartbeat_{};
  bool started_ = false;
  bool bus_connected_ = true;
  std::unordered_map<std::string, RoomLink> links_;
  std::unordered_map<uint64_t, NodeState> nodes_;
  std::vector<uint8_t> scratch_;  // reused for every outgoing message
  std::vector<room::RemoteMember> snapshot_scratch_;
  std::string meeting_scratch_;
  std::vector<RosterQuery> roster_queries_;  // few and short-lived: a vector is enough
  uint64_t next_roster_query_id_ = 1;
  ClusterStats stats_;
};

}  // namespace vc::bus
