// Cluster, inbound half: what arrives from the bus (room traffic, snapshots, roster and chat
// history answers, keyframe requests, bus state). The outbound hooks, links and liveness are in
// cluster.cpp.
#include <algorithm>
#include <cstring>

#include "common/limits.hpp"
#include "common/log.hpp"
#include "server/bus/cluster.hpp"

namespace vc::bus {

// --- Inbound: bus messages, on the rooms' event loop. ---

void Cluster::on_bus_message(std::string_view subject, std::span<const uint8_t> data) {
  std::span<const uint8_t> message;
  switch (auth_.open(subject, data, config_.wall_clock_ms(), message)) {
    case AuthResult::kOk:
      break;
    case AuthResult::kUnauthenticated:
      ++stats_.rejected_unauthenticated;
      return;
    case AuthResult::kStale:
    case AuthResult::kReplayed:
      ++stats_.rejected_replayed;
      return;
  }
  MessageHeader header;
  if (!decode_header(message, header)) {
    ++stats_.malformed;
    return;
  }
  if (header.node_id == node_id_) return;
  note_alive(header.node_id);
  switch (header.type) {
    case MessageType::kHeartbeat:
      return;
    case MessageType::kGoodbye:
      node_lost(header.node_id);
      return;
    case MessageType::kKeyframeRequest:
      ++stats_.control_received;
      handle_keyframe_request(header.body);
      return;
    case MessageType::kRosterReply:
      ++stats_.control_received;
      handle_roster_reply(header.body);
      return;
    case MessageType::kChatHistoryReply:
      ++stats_.control_received;
      handle_chat_history_reply(header.body);
      return;
    default: {
      const std::string_view meeting = subjects_.meeting_of(subject);
      if (meeting.empty()) {
        ++stats_.malformed;
        return;
      }
      handle_room_message(meeting, header);
      return;
    }
  }
}

void Cluster::handle_room_message(std::string_view meeting_id, const MessageHeader& header) {
  meeting_scratch_.assign(meeting_id);
  const std::string& meeting = meeting_scratch_;
  if (links_.find(meeting) == links_.end()) return;  // late message after we unsubscribed
  room::Room* room = rooms_.find_room(meeting);
  if (room == nullptr) return;

  switch (header.type) {
    case MessageType::kMedia: {
      MediaMessage media;
      if (!decode_media(header.body, media)) {
        ++stats_.malformed;
        return;
      }
      ++stats_.media_received;
      FrameRef frame = Frame::allocate(media.envelope.size(), media.meta);
      std::memcpy(frame.mutable_frame()->mutable_bytes().data(), media.envelope.data(),
                  media.envelope.size());
      switch (room->on_remote_media(frame, header.node_id)) {
        case room::RemoteMediaResult::kForwarded:
        case room::RemoteMediaResult::kPublisherIsLocal:
          break;
        case room::RemoteMediaResult::kNotFromOwner:
          ++stats_.rejected_not_owner;
          break;
        case room::RemoteMediaResult::kUnknownPublisher: {
          ++stats_.unknown_publisher;
          auto it = links_.find(meeting);
          if (it != links_.end()) resync(*room, it->second, /*force=*/false);
          break;
        }
      }
      break;
    }
    case MessageType::kMemberUpsert: {
      ++stats_.control_received;
      room::RemoteMember member;
      if (!decode_member_upsert(header.body, member)) {
        ++stats_.malformed;
        return;
      }
      member.node_id = header.node_id;
      room->upsert_remote(member);
      break;
    }
    case MessageType::kMemberLeft: {
      ++stats_.control_received;
      uint64_t participant_id = 0;
      v1::LeaveReason reason = v1::LEAVE_REASON_UNSPECIFIED;
      if (!decode_member_left(header.body, participant_id, reason)) {
        ++stats_.malformed;
        return;
      }
      room->remove_remote(header.node_id, participant_id, reason);
      break;
    }
    case MessageType::kSnapshot: {
      ++stats_.control_received;
      bool want_reply = false;
      std::vector<room::RemoteMember> members;
      if (!decode_snapshot(header.body, want_reply, members)) {
        ++stats_.malformed;
        return;
      }
      room->sync_remote_node(header.node_id, members);
      auto it = links_.find(meeting);
      if (want_reply && it != links_.end() && room->local_member_count() > 0) {
        publish_snapshot(*room, it->second, /*want_reply=*/false);
      }
      break;
    }
    case MessageType::kChat: {
      ++stats_.control_received;
      v1::ChatMessage message;
      if (!decode_chat(header.body, message)) {
        ++stats_.malformed;
        return;
      }
      if (!room->on_remote_chat(message, header.node_id)) ++stats_.chat_refused;
      break;
    }
    case MessageType::kReaction: {
      ++stats_.control_received;
      v1::Reaction reaction;
      if (!decode_reaction(header.body, reaction)) {
        ++stats_.malformed;
        return;
      }
      if (!room->on_remote_reaction(reaction, header.node_id)) ++stats_.chat_refused;
      break;
    }
    case MessageType::kHostRemoteAction: {
      ++stats_.control_received;
      v1::HostRemoteAction action;
      if (!decode_host_remote_action(header.body, action)) {
        ++stats_.malformed;
        return;
      }
      room->on_remote_host_action(action, header.node_id);
      break;
    }
    case MessageType::kHostClusterEvent: {
      ++stats_.control_received;
      v1::HostClusterEvent event;
      if (!decode_host_cluster_event(header.body, event)) {
        ++stats_.malformed;
        return;
      }
      room->on_host_cluster_event(event, header.node_id);
      break;
    }
    case MessageType::kE2eeKeyMessage: {
      ++stats_.control_received;
      v1::E2eeKeyMessage message;
      if (!decode_e2ee_key_message(header.body, message)) {
        ++stats_.malformed;
        return;
      }
      room->on_remote_e2ee_key_message(message, header.node_id);
      break;
    }
    case MessageType::kChatHistoryQuery: {
      ++stats_.control_received;
      if (room->local_member_count() == 0 || room->chat_history().empty() || !bus_connected_) {
        break;
      }
      encode_chat_history_reply(node_id_, meeting, room->chat_history(), scratch_);
      if (publish_scratch(subjects_.node(header.node_id))) ++stats_.control_published;
      break;
    }
    case MessageType::kRosterQuery: {
      ++stats_.control_received;
      uint64_t query_id = 0;
      if (!decode_roster_query(header.body, query_id)) {
        ++stats_.malformed;
        return;
      }
      if (room->local_member_count() == 0 || !bus_connected_) break;
      snapshot_scratch_ = room->local_members();
      encode_roster_reply(node_id_, query_id, meeting, snapshot_scratch_, scratch_);
      if (publish_scratch(subjects_.node(header.node_id))) ++stats_.control_published;
      break;
    }
    default:
      ++stats_.malformed;
      return;
  }
  // A participant that moved to another node may have been our last local member.
  unlink_if_no_local_members(meeting);
}

bool Cluster::query_roster(const std::string& meeting_id, RosterCallback done) {
  if (!started_ || !bus_connected_ || !Subjects::valid_meeting_id(meeting_id) ||
      roster_queries_.size() >= config_.max_pending_roster_queries) {
    ++stats_.roster_queries_refused;
    return false;
  }
  RosterQuery query;
  query.id = next_roster_query_id_++;
  query.meeting_id = meeting_id;
  query.deadline = now_() + config_.roster_query_window;
  query.done = std::move(done);
  encode_roster_query(node_id_, query.id, scratch_);
  if (!publish_scratch(subjects_.room_control(meeting_id))) {
    ++stats_.roster_queries_refused;
    return false;
  }
  ++stats_.roster_queries;
  roster_queries_.push_back(std::move(query));
  return true;
}

void Cluster::handle_roster_reply(std::span<const uint8_t> body) {
  uint64_t query_id = 0;
  std::string_view meeting_id;
  std::vector<room::RemoteMember> members;
  if (!decode_roster_reply(body, query_id, meeting_id, members)) {
    ++stats_.malformed;
    return;
  }
  for (RosterQuery& query : roster_queries_) {
    if (query.id != query_id || query.meeting_id != meeting_id) continue;
    for (room::RemoteMember& member : members) {
      // A participant moving between nodes can be reported by both: the newer claim wins.
      auto same = std::find_if(query.members.begin(), query.members.end(), [&](const auto& m) {
        return m.info.participant_id() == member.info.participant_id();
      });
      if (same == query.members.end()) {
        if (query.members.size() < limits::kMaxParticipantsPerRoom) {
          query.members.push_back(std::move(member));
        }
      } else if (member.claim_us > same->claim_us) {
        *same = std::move(member);
      }
    }
    return;
  }
}

void Cluster::finish_roster_queries(room::TimePoint now) {
  // Callbacks may start new queries: collect the finished ones first.
  std::vector<RosterQuery> finished;
  for (auto it = roster_queries_.begin(); it != roster_queries_.end();) {
    if (now >= it->deadline) {
      finished.push_back(std::move(*it));
      it = roster_queries_.erase(it);
    } else {
      ++it;
    }
  }
  for (RosterQuery& query : finished) query.done(std::move(query.members));
}

void Cluster::handle_chat_history_reply(std::span<const uint8_t> body) {
  std::string_view meeting_id;
  v1::ChatHistory history;
  if (!decode_chat_history_reply(body, meeting_id, history)) {
    ++stats_.malformed;
    return;
  }
  meeting_scratch_.assign(meeting_id);
  if (links_.find(meeting_scratch_) == links_.end()) return;  // we no longer follow that room
  if (room::Room* room = rooms_.find_room(meeting_scratch_)) {
    const std::vector<v1::ChatMessage> messages(history.messages().begin(),
                                                history.messages().end());
    room->merge_chat_history(messages);
  }
}

void Cluster::handle_keyframe_request(std::span<const uint8_t> body) {
  std::string_view meeting_id;
  v1::KeyframeRequest request;
  if (!decode_keyframe_request(body, meeting_id, request)) {
    ++stats_.malformed;
    return;
  }
  meeting_scratch_.assign(meeting_id);
  if (room::Room* room = rooms_.find_room(meeting_scratch_)) {
    room->on_remote_keyframe_request(request);
  }
}

void Cluster::on_bus_state(bool connected) {
  bus_connected_ = connected;
  VC_LOG_INFO("event=bus_state node={:016x} connected={}", node_id_, connected);
  if (!connected) return;
  // Nobody could be heard while we were cut off: give every node a fresh timeout window, then
  // exchange snapshots for every room to repair what was missed in both directions.
  const room::TimePoint now = now_();
  for (auto& [id, node] : nodes_) {
    if (!node.lost) node.last_seen = now;
  }
  next_heartbeat_ = now;
  on_tick();
  resync_all(/*force=*/true);
}

void Cluster::on_bus_gap() {
  resync_all(/*force=*/false);  // each room at most once per resync_interval
}

}  // namespace vc::bus
