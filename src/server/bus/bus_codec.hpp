// Wire format of cross-node bus messages (docs/PROTOCOL.md, "Cross-node bus"). Sans-I/O. Every
// message starts with an 11-byte header: 'v', format version, message type, sender node id (u64,
// little endian). Encoders append to a caller-owned buffer that is reused between messages, so
// the media path allocates nothing once the buffer has grown; decoders return views into the
// input and report malformed input as false, never by throwing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/envelope.hpp"
#include "server/room/room.hpp"

namespace vc::bus {

inline constexpr uint8_t kFormatVersion = 1;

enum class MessageType : uint8_t {
  kMedia = 1,              // room subject: one encoded envelope from a local publisher
  kMemberUpsert = 2,       // room subject: a local member joined / changed / is reconnecting
  kMemberLeft = 3,         // room subject: a local member left
  kSnapshot = 4,           // room subject: all local members of the sender for that room
  kKeyframeRequest = 5,    // node subject: ask the publisher's node for a keyframe
  kHeartbeat = 6,          // heartbeat subject
  kGoodbye = 7,            // heartbeat subject: the sender is shutting down
  kRosterQuery = 8,        // room subject: a node without members there asks who is in the room
  kRosterReply = 9,        // node subject of the asker: the replier's local members of that room
  kChat = 10,              // room subject: a chat message a local member sent (ChatMessage)
  kReaction = 11,          // room subject: a reaction of a local member (Reaction)
  kChatHistoryQuery = 12,  // room subject: a node that starts following the room asks for chat
  kChatHistoryReply = 13,  // node subject of the asker: the replier's chat history of that room
  // 14-15: grants. Host actions (docs/PROTOCOL.md §14.6), protobuf bodies on the room subject:
  kHostRemoteAction = 16,  // an action for a member the receiving node owns (HostRemoteAction)
  kHostClusterEvent = 17,  // an action carried out by the sender, with the state after it
  // End-to-end encryption (docs/PROTOCOL.md §15):
  kE2eeKeyMessage = 25,  // room subject: a local member's sealed key for one remote member
};

struct MessageHeader {
  MessageType type = MessageType::kHeartbeat;
  uint64_t node_id = 0;
  std::span<const uint8_t> body;
};

struct MediaMessage {
  FrameMeta meta;                     // lane, keyframe, publisher, track, kind
  std::span<const uint8_t> envelope;  // the stamped envelope exactly as the origin encoded it
};

// Encoders: `out` is cleared first and keeps its capacity.
void encode_media(uint64_t node_id, const Frame& frame, std::vector<uint8_t>& out);
void encode_member_upsert(uint64_t node_id, const v1::Participant& info, uint64_t claim_us,
                          std::vector<uint8_t>& out);
void encode_member_left(uint64_t node_id, uint64_t participant_id, v1::LeaveReason reason,
                        std::vector<uint8_t>& out);
void encode_snapshot(uint64_t node_id, bool want_reply, std::span<const room::RemoteMember> members,
                     std::vector<uint8_t>& out);
void encode_keyframe_request(uint64_t node_id, std::string_view meeting_id,
                             const v1::KeyframeRequest& request, std::vector<uint8_t>& out);
void encode_e2ee_key_message(uint64_t node_id, const v1::E2eeKeyMessage& message,
                             std::vector<uint8_t>& out);
void encode_heartbeat(uint64_t node_id, MessageType type, std::vector<uint8_t>& out);
void encode_roster_query(uint64_t node_id, uint64_t query_id, std::vector<uint8_t>& out);
void encode_roster_reply(uint64_t node_id, uint64_t query_id, std::string_view meeting_id,
                         std::span<const room::RemoteMember> members, std::vector<uint8_t>& out);

// Chat, reactions and chat history (docs/PROTOCOL.md §8 and §12): protobuf bodies.
void encode_chat(uint64_t node_id, const v1::ChatMessage& message, std::vector<uint8_t>& out);
void encode_reaction(uint64_t node_id, const v1::Reaction& reaction, std::vector<uint8_t>& out);
void encode_chat_history_query(uint64_t node_id, std::vector<uint8_t>& out);
void encode_chat_history_reply(uint64_t node_id, std::string_view meeting_id,
                               const room::ChatHistory& history, std::vector<uint8_t>& out);

void encode_host_remote_action(uint64_t node_id, const v1::HostRemoteAction& action,
                               std::vector<uint8_t>& out);
void encode_host_cluster_event(uint64_t node_id, const v1::HostClusterEvent& event,
                               std::vector<uint8_t>& out);

bool decode_header(std::span<const uint8_t> data, MessageHeader& out);
bool decode_host_remote_action(std::span<const uint8_t> body, v1::HostRemoteAction& out);
bool decode_host_cluster_event(std::span<const uint8_t> body, v1::HostClusterEvent& out);
bool decode_media(std::span<const uint8_t> body, MediaMessage& out);
bool decode_member_upsert(std::span<const uint8_t> body, room::RemoteMember& out);
bool decode_member_left(std::span<const uint8_t> body, uint64_t& participant_id,
                        v1::LeaveReason& reason);
bool decode_snapshot(std::span<const uint8_t> body, bool& want_reply,
                     std::vector<room::RemoteMember>& out);
bool decode_keyframe_request(std::span<const uint8_t> body, std::string_view& meeting_id,
                             v1::KeyframeRequest& out);
// A stamped E2eeKeyMessage: both ids set and a sealed key of the protocol's exact size.
bool decode_e2ee_key_message(std::span<const uint8_t> body, v1::E2eeKeyMessage& out);
bool decode_roster_query(std::span<const uint8_t> body, uint64_t& query_id);
bool decode_chat(std::span<const uint8_t> body, v1::ChatMessage& out);
bool decode_reaction(std::span<const uint8_t> body, v1::Reaction& out);
bool decode_chat_history_reply(std::span<const uint8_t> body, std::string_view& meeting_id,
                               v1::ChatHistory& out);
bool decode_roster_reply(std::span<const uint8_t> body, uint64_t& query_id,
                         std::string_view& meeting_id, std::vector<room::RemoteMember>& out);

// Subject scheme. Meeting ids are [A-Za-z0-9_-]{1,64}, so they are always one subject token.
class Subjects {
 public:
  explicit Subjects(std::string prefix = "vc") : prefix_(std::move(prefix)) {}
  std::string room_media(std::string_view meeting_id) const;
  std::string room_control(std::string_view meeting_id) const;
  std::string room_wildcard(std::string_view meeting_id) const;  // the one subscription per room
  std::string node(uint64_t node_id) const;
  std::string heartbeat() const;
  // The meeting id of a room subject, or empty if `subject` is not one.
  std::string_view meeting_of(std::string_view subject) const;
  static bool valid_meeting_id(std::string_view meeting_id);

 private:
  std::string prefix_;
};

}  // namespace vc::bus
