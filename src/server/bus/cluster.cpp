#include "server/bus/cluster.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "common/limits.hpp"
#include "common/log.hpp"

namespace vc::bus {

Cluster::Cluster(Bus& bus, RoomDirectory& rooms, room::NowFn now, uint64_t node_id,
                 ClusterConfig config)
    : bus_(bus),
      rooms_(rooms),
      now_(std::move(now)),
      node_id_(node_id),
      config_(std::move(config)),
      auth_(config_.auth_secret),
      subjects_(config_.subject_prefix),
      heartbeat_subject_(subjects_.heartbeat()) {}

Cluster::~Cluster() {
  bus_.set_handler(nullptr);
}

uint64_t Cluster::random_node_id() {
  std::random_device device;
  uint64_t id = 0;
  while (id == 0) id = (static_cast<uint64_t>(device()) << 32) | device();
  return id;
}

void Cluster::start() {
  bus_.set_handler(this);
  heartbeat_subscription_ = bus_.subscribe(heartbeat_subject_);
  node_subscription_ = bus_.subscribe(subjects_.node(node_id_));
  bus_connected_ = bus_.connected();
  started_ = true;
  next_heartbeat_ = now_();
  on_tick();
  VC_LOG_INFO("event=cluster_started node={:016x} connected={}", node_id_, bus_connected_);
}

void Cluster::stop() {
  if (!started_) return;
  if (bus_connected_) {
    encode_heartbeat(node_id_, MessageType::kGoodbye, scratch_);
    publish_scratch(heartbeat_subject_);
  }
  for (auto& [meeting, link] : links_) bus_.unsubscribe(link.subscription);
  links_.clear();
  stats_.rooms_linked = 0;
  bus_.unsubscribe(heartbeat_subscription_);
  bus_.unsubscribe(node_subscription_);
  bus_.set_handler(nullptr);
  started_ = false;
  finish_roster_queries(room::TimePoint::max());  // answer with what arrived so far
}

std::size_t Cluster::live_remote_nodes() const {
  std::size_t live = 0;
  for (const auto& [id, node] : nodes_) live += node.lost ? 0 : 1;
  return live;
}

// --- Outbound: hooks from local rooms. ---

Cluster::RoomLink* Cluster::link(const room::Room& room) {
  auto it = links_.find(room.meeting_id());
  if (it != links_.end()) return &it->second;
  if (!started_ || !Subjects::valid_meeting_id(room.meeting_id())) return nullptr;
  RoomLink fresh;
  fresh.subscription = bus_.subscribe(subjects_.room_wildcard(room.meeting_id()));
  if (fresh.subscription == 0) {
    VC_LOG_WARN("event=bus_subscribe_failed meeting={}", room.meeting_id());
    return nullptr;
  }
  fresh.media_subject = subjects_.room_media(room.meeting_id());
  fresh.control_subject = subjects_.room_control(room.meeting_id());
  RoomLink& linked = links_.emplace(room.meeting_id(), std::move(fresh)).first->second;
  stats_.rooms_linked = links_.size();
  // Announce ourselves and ask the nodes already in the room for their members and chat.
  resync(room, linked, /*force=*/true);
  encode_chat_history_query(node_id_, scratch_);
  publish_control(linked);
  return &linked;
}

void Cluster::unlink_if_no_local_members(const std::string& meeting_id) {
  auto it = links_.find(meeting_id);
  if (it == links_.end()) return;
  room::Room* room = rooms_.find_room(meeting_id);
  if (room != nullptr && room->local_member_count() > 0) return;
  bus_.unsubscribe(it->second.subscription);
  links_.erase(it);
  stats_.rooms_linked = links_.size();
}

bool Cluster::publish_scratch(const std::string& subject) {
  auth_.seal(subject, scratch_, config_.wall_clock_ms());
  return bus_.publish(subject, scratch_);
}

void Cluster::publish_control(const RoomLink& link) {
  if (!bus_connected_) return;  // the snapshot after reconnecting repairs what we skip
  if (publish_scratch(link.control_subject)) ++stats_.control_published;
}

void Cluster::publish_snapshot(const room::Room& room, const RoomLink& link, bool want_reply) {
  snapshot_scratch_ = room.local_members();
  encode_snapshot(node_id_, want_reply, snapshot_scratch_, scratch_);
  publish_control(link);
}

void Cluster::resync(const room::Room& room, RoomLink& link, bool force) {
  const room::TimePoint now = now_();
  if (!force && now - link.last_resync < config_.resync_interval) return;
  link.last_resync = now;
  ++stats_.resync_requests;
  publish_snapshot(room, link, /*want_reply=*/true);
}

void Cluster::resync_all(bool force) {
  std::vector<std::string> meetings;
  for (const auto& [meeting, link] : links_) meetings.push_back(meeting);
  for (const std::string& meeting : meetings) {
    auto it = links_.find(meeting);
    room::Room* room = rooms_.find_room(meeting);
    if (it != links_.end() && room != nullptr) resync(*room, it->second, force);
  }
}

void Cluster::on_local_member_changed(const room::Room& room, const v1::Participant& info,
                                      uint64_t claim_us) {
  const bool was_linked = links_.count(room.meeting_id()) != 0;
  RoomLink* linked = link(room);
  if (linked == nullptr || !was_linked) return;  // a new link already sent a full snapshot
  encode_member_upsert(node_id_, info, claim_us, scratch_);
  publish_control(*linked);
}

void Cluster::on_local_member_left(const room::Room& room, uint64_t participant_id,
                                   v1::LeaveReason reason) {
  auto it = links_.find(room.meeting_id());
  if (it == links_.end()) return;
  encode_member_left(node_id_, participant_id, reason, scratch_);
  publish_control(it->second);
  if (room.local_member_count() == 0) {
    bus_.unsubscribe(it->second.subscription);
    links_.erase(it);
    stats_.rooms_linked = links_.size();
  }
}

void Cluster::on_local_media(const room::Room& room, const FrameRef& frame) {
  auto it = links_.find(room.meeting_id());
  if (it == links_.end()) return;
  if (!bus_connected_) {
    ++stats_.media_not_published;
    return;
  }
  encode_media(node_id_, *frame, scratch_);
  if (publish_scratch(it->second.media_subject)) {
    ++stats_.media_published;
  } else {
    ++stats_.media_not_published;
  }
}

void Cluster::on_local_chat(const room::Room& room, const v1::ChatMessage& message) {
  auto it = links_.find(room.meeting_id());
  if (it == links_.end()) return;
  encode_chat(node_id_, message, scratch_);
  publish_control(it->second);
}

void Cluster::on_local_reaction(const room::Room& room, const v1::Reaction& reaction) {
  auto it = links_.find(room.meeting_id());
  if (it == links_.end()) return;
  encode_reaction(node_id_, reaction, scratch_);
  publish_control(it->second);
}

void Cluster::on_local_host_event(const room::Room& room, const v1::HostClusterEvent& event) {
  auto it = links_.find(room.meeting_id());
  if (it == links_.end()) return;
  encode_host_cluster_event(node_id_, event, scratch_);
  publish_control(it->second);
}

bool Cluster::publish_stored_moderation(const std::string& meeting_id,
                                        const v1::HostClusterEvent& event) {
  if (!bus_connected_ || !Subjects::valid_meeting_id(meeting_id)) return false;
  // Published on the room's control subject whether or not this node follows the room: the nodes
  // where it is live subscribe to it.
  const auto it = links_.find(meeting_id);
  const std::string subject =
      it != links_.end() ? it->second.control_subject : subjects_.room_control(meeting_id);
  encode_host_cluster_event(node_id_, event, scratch_);
  if (!publish_scratch(subject)) return false;
  ++stats_.control_published;
  return true;
}

void Cluster::on_remote_host_action(const room::Room& room, uint64_t /*owner_node*/,
                                    const v1::HostRemoteAction& action) {
  // On the room subject: only the node that owns the target acts on it (it may have moved).
  auto it = links_.find(room.meeting_id());
  if (it == links_.end()) return;
  encode_host_remote_action(node_id_, action, scratch_);
  publish_control(it->second);
}

void Cluster::on_local_e2ee_key_message(const room::Room& room, const v1::E2eeKeyMessage& message) {
  auto it = links_.find(room.meeting_id());
  if (it == links_.end()) return;
  encode_e2ee_key_message(node_id_, message, scratch_);
  publish_control(it->second);
}

void Cluster::on_remote_keyframe_request(const room::Room& room, uint64_t publisher_node,
                                         const v1::KeyframeRequest& request) {
  if (!bus_connected_) return;
  encode_keyframe_request(node_id_, room.meeting_id(), request, scratch_);
  if (publish_scratch(subjects_.node(publisher_node))) ++stats_.control_published;
}

// --- Liveness. ---

void Cluster::note_alive(uint64_t node_id) {
  NodeState& node = nodes_[node_id];
  node.last_seen = now_();
  if (node.lost) {
    // A node we had given up on is back (a partition healed): exchange snapshots so its members
    // come back and it learns ours.
    node.lost = false;
    VC_LOG_INFO("event=bus_node_back node={:016x}", node_id);
    resync_all(/*force=*/true);
  }
}

void Cluster::node_lost(uint64_t node_id) {
  NodeState& node = nodes_[node_id];
  if (node.lost) return;
  node.lost = true;
  node.lost_at = now_();
  ++stats_.nodes_lost;
  VC_LOG_WARN("event=bus_node_lost node={:016x}", node_id);
  std::vector<std::string> meetings;
  for (const auto& [meeting, link] : links_) meetings.push_back(meeting);
  for (const std::string& meeting : meetings) {
    if (room::Room* room = rooms_.find_room(meeting)) {
      room->remote_node_lost(node_id, config_.lost_node_grace);
    }
  }
}

void Cluster::on_tick() {
  if (!started_) return;
  const room::TimePoint now = now_();
  if (!roster_queries_.empty()) finish_roster_queries(now);
  if (bus_connected_ && now >= next_heartbeat_) {
    encode_heartbeat(node_id_, MessageType::kHeartbeat, scratch_);
    publish_scratch(heartbeat_subject_);
    next_heartbeat_ = now + config_.heartbeat_interval;
    auth_.forget_silent_senders(config_.wall_clock_ms());
  }
  if (!bus_connected_) return;  // cut off ourselves: we cannot judge anyone else
  std::vector<uint64_t> silent;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    NodeState& node = it->second;
    if (node.lost && now - node.lost_at > config_.forget_lost_node_after) {
      it = nodes_.erase(it);
      continue;
    }
    if (!node.lost && now - node.last_seen > config_.node_timeout) silent.push_back(it->first);
    ++it;
  }
  for (uint64_t id : silent) node_lost(id);
}

}  // namespace vc::bus
