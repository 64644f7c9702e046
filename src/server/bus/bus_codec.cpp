#include "server/bus/bus_codec.hpp"

#include <fmt/format.h>

#include <cstring>

#include "common/limits.hpp"

namespace vc::bus {

namespace {

constexpr uint8_t kMagic = 'v';
constexpr std::size_t kHeaderBytes = 11;
constexpr uint8_t kFlagKeyframe = 1;
// Bounds a snapshot decode so a corrupt count cannot make us reserve gigabytes.
constexpr uint32_t kMaxSnapshotMembers = limits::kMaxParticipantsPerRoom;

void put_u8(std::vector<uint8_t>& out, uint8_t v) {
  out.push_back(v);
}

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void put_bytes(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void put_header(std::vector<uint8_t>& out, MessageType type, uint64_t node_id) {
  out.clear();
  put_u8(out, kMagic);
  put_u8(out, kFormatVersion);
  put_u8(out, static_cast<uint8_t>(type));
  put_u64(out, node_id);
}

void put_message(std::vector<uint8_t>& out, const google::protobuf::MessageLite& message) {
  const std::size_t size = message.ByteSizeLong();
  const std::size_t at = out.size();
  out.resize(at + size);
  message.SerializeWithCachedSizesToArray(out.data() + at);
}

void put_participant(std::vector<uint8_t>& out, const v1::Participant& info, uint64_t claim_us) {
  put_u64(out, claim_us);
  put_u32(out, static_cast<uint32_t>(info.ByteSizeLong()));
  const std::size_t at = out.size();
  out.resize(at + info.GetCachedSize());
  info.SerializeWithCachedSizesToArray(out.data() + at);
}

// Sequential little-endian reader over a span; every read checks bounds.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}

  bool u8(uint8_t& v) { return fixed(v); }
  bool u16(uint16_t& v) { return fixed(v); }
  bool u32(uint32_t& v) { return fixed(v); }
  bool u64(uint64_t& v) { return fixed(v); }
  bool bytes(std::size_t n, std::span<const uint8_t>& out) {
    if (data_.size() - pos_ < n) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  std::span<const uint8_t> rest() const { return data_.subspan(pos_); }
  bool done() const { return pos_ == data_.size(); }

 private:
  template <typename T>
  bool fixed(T& v) {
    if (data_.size() - pos_ < sizeof(T)) return false;
    uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      value |= static_cast<uint64_t>(data_[pos_ + i]) << (8 * i);
    }
    v = static_cast<T>(value);
    pos_ += sizeof(T);
    return true;
  }

  std::span<const uint8_t> data_;
  std::size_t pos_ = 0;
};

bool read_participant(Reader& in, room::RemoteMember& out) {
  uint32_t size = 0;
  std::span<const uint8_t> bytes;
  if (!in.u64(out.claim_us) || !in.u32(size) || !in.bytes(size, bytes)) return false;
  return out.info.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
         out.info.participant_id() != 0;
}

// `count` participants to the end of the message (snapshots and roster replies).
bool read_members(Reader& in, uint32_t count, std::vector<room::RemoteMember>& out) {
  out.clear();
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    room::RemoteMember member;
    if (!read_participant(in, member)) return false;
    out.push_back(std::move(member));
  }
  return in.done();
}

}  // namespace

void encode_media(uint64_t node_id, const Frame& frame, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kMedia, node_id);
  const FrameMeta& meta = frame.meta();
  put_u64(out, meta.publisher_id);
  put_u32(out, meta.track_id);
  put_u8(out, static_cast<uint8_t>(meta.media_kind));
  put_u8(out, meta.keyframe ? kFlagKeyframe : 0);
  put_u8(out, meta.spatial_layer);
  put_u8(out, meta.temporal_layer);
  put_u8(out, meta.audio_level);
  put_bytes(out, frame.bytes());
}

void encode_member_upsert(uint64_t node_id, const v1::Participant& info, uint64_t claim_us,
                          std::vector<uint8_t>& out) {
  put_header(out, MessageType::kMemberUpsert, node_id);
  put_participant(out, info, claim_us);
}

void encode_member_left(uint64_t node_id, uint64_t participant_id, v1::LeaveReason reason,
                        std::vector<uint8_t>& out) {
  put_header(out, MessageType::kMemberLeft, node_id);
  put_u64(out, participant_id);
  put_u8(out, static_cast<uint8_t>(reason));
}

void encode_snapshot(uint64_t node_id, bool want_reply, std::span<const room::RemoteMember> members,
                     std::vector<uint8_t>& out) {
  put_header(out, MessageType::kSnapshot, node_id);
  put_u8(out, want_reply ? 1 : 0);
  put_u32(out, static_cast<uint32_t>(members.size()));
  for (const auto& member : members) put_participant(out, member.info, member.claim_us);
}

void encode_keyframe_request(uint64_t node_id, std::string_view meeting_id,
                             const v1::KeyframeRequest& request, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kKeyframeRequest, node_id);
  put_u16(out, static_cast<uint16_t>(meeting_id.size()));
  put_bytes(out, {reinterpret_cast<const uint8_t*>(meeting_id.data()), meeting_id.size()});
  put_u64(out, request.publisher_participant_id());
  put_u32(out, static_cast<uint32_t>(request.kind()));
  put_u32(out, request.track_id());
  put_u64(out, request.requester_participant_id());
}

void encode_heartbeat(uint64_t node_id, MessageType type, std::vector<uint8_t>& out) {
  put_header(out, type, node_id);
}

void encode_roster_query(uint64_t node_id, uint64_t query_id, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kRosterQuery, node_id);
  put_u64(out, query_id);
}

void encode_roster_reply(uint64_t node_id, uint64_t query_id, std::string_view meeting_id,
                         std::span<const room::RemoteMember> members, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kRosterReply, node_id);
  put_u64(out, query_id);
  put_u16(out, static_cast<uint16_t>(meeting_id.size()));
  put_bytes(out, {reinterpret_cast<const uint8_t*>(meeting_id.data()), meeting_id.size()});
  put_u32(out, static_cast<uint32_t>(members.size()));
  for (const auto& member : members) put_participant(out, member.info, member.claim_us);
}

void encode_chat(uint64_t node_id, const v1::ChatMessage& message, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kChat, node_id);
  put_message(out, message);
}

void encode_reaction(uint64_t node_id, const v1::Reaction& reaction, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kReaction, node_id);
  put_message(out, reaction);
}

void encode_host_remote_action(uint64_t node_id, const v1::HostRemoteAction& action,
                               std::vector<uint8_t>& out) {
  put_header(out, MessageType::kHostRemoteAction, node_id);
  put_message(out, action);
}

void encode_host_cluster_event(uint64_t node_id, const v1::HostClusterEvent& event,
                               std::vector<uint8_t>& out) {
  put_header(out, MessageType::kHostClusterEvent, node_id);
  put_message(out, event);
}

void encode_e2ee_key_message(uint64_t node_id, const v1::E2eeKeyMessage& message,
                             std::vector<uint8_t>& out) {
  put_header(out, MessageType::kE2eeKeyMessage, node_id);
  put_message(out, message);
}

void encode_chat_history_query(uint64_t node_id, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kChatHistoryQuery, node_id);
}

void encode_chat_history_reply(uint64_t node_id, std::string_view meeting_id,
                               const room::ChatHistory& history, std::vector<uint8_t>& out) {
  put_header(out, MessageType::kChatHistoryReply, node_id);
  put_u16(out, static_cast<uint16_t>(meeting_id.size()));
  put_bytes(out, {reinterpret_cast<const uint8_t*>(meeting_id.data()), meeting_id.size()});
  v1::ChatHistory body;
  for (const v1::ChatMessage& message : history.messages()) *body.add_messages() = message;
  put_message(out, body);
}

bool decode_header(std::span<const uint8_t> data, MessageHeader& out) {
  if (data.size() < kHeaderBytes || data[0] != kMagic || data[1] != kFormatVersion) return false;
  const uint8_t type = data[2];
  const bool known = (type >= static_cast<uint8_t>(MessageType::kMedia) &&
                      type <= static_cast<uint8_t>(MessageType::kChatHistoryReply)) ||
                     type == static_cast<uint8_t>(MessageType::kHostRemoteAction) ||
                     type == static_cast<uint8_t>(MessageType::kHostClusterEvent) ||
                     type == static_cast<uint8_t>(MessageType::kE2eeKeyMessage);
  if (!known) return false;
  out.type = static_cast<MessageType>(type);
  Reader in(data.subspan(3));
  in.u64(out.node_id);
  out.body = data.subspan(kHeaderBytes);
  return out.node_id != 0;
}

bool decode_media(std::span<const uint8_t> body, MediaMessage& out) {
  Reader in(body);
  uint8_t kind = 0;
  uint8_t flags = 0;
  if (!in.u64(out.meta.publisher_id) || !in.u32(out.meta.track_id) || !in.u8(kind) ||
      !in.u8(flags) || !in.u8(out.meta.spatial_layer) || !in.u8(out.meta.temporal_layer) ||
      !in.u8(out.meta.audio_level)) {
    return false;
  }
  if (kind != v1::MEDIA_KIND_AUDIO && kind != v1::MEDIA_KIND_VIDEO &&
      kind != v1::MEDIA_KIND_SCREEN) {
    return false;
  }
  out.meta.media_kind = kind;
  out.meta.lane = lane_for_kind(static_cast<v1::MediaKind>(kind));
  out.meta.keyframe = (flags & kFlagKeyframe) != 0;
  out.envelope = in.rest();
  return !out.envelope.empty() && out.envelope.size() <= limits::kMaxEnvelopeBytes &&
         out.meta.publisher_id != 0;
}

bool decode_member_upsert(std::span<const uint8_t> body, room::RemoteMember& out) {
  Reader in(body);
  return read_participant(in, out) && in.done();
}

bool decode_member_left(std::span<const uint8_t> body, uint64_t& participant_id,
                        v1::LeaveReason& reason) {
  Reader in(body);
  uint8_t raw_reason = 0;
  if (!in.u64(participant_id) || !in.u8(raw_reason) || !in.done()) return false;
  reason = v1::LeaveReason_IsValid(raw_reason) ? static_cast<v1::LeaveReason>(raw_reason)
                                               : v1::LEAVE_REASON_UNSPECIFIED;
  return participant_id != 0;
}

bool decode_snapshot(std::span<const uint8_t> body, bool& want_reply,
                     std::vector<room::RemoteMember>& out) {
  Reader in(body);
  uint8_t flag = 0;
  uint32_t count = 0;
  if (!in.u8(flag) || !in.u32(count) || count > kMaxSnapshotMembers) return false;
  want_reply = flag != 0;
  return read_members(in, count, out);
}

bool decode_keyframe_request(std::span<const uint8_t> body, std::string_view& meeting_id,
                             v1::KeyframeRequest& out) {
  Reader in(body);
  uint16_t length = 0;
  std::span<const uint8_t> meeting;
  uint64_t publisher = 0;
  uint32_t kind = 0;
  uint32_t track = 0;
  uint64_t requester = 0;
  if (!in.u16(length) || !in.bytes(length, meeting) || !in.u64(publisher) || !in.u32(kind) ||
      !in.u32(track) || !in.u64(requester) || !in.done()) {
    return false;
  }
  meeting_id = {reinterpret_cast<const char*>(meeting.data()), meeting.size()};
  if (!Subjects::valid_meeting_id(meeting_id) || !v1::MediaKind_IsValid(static_cast<int>(kind))) {
    return false;
  }
  out.set_publisher_participant_id(publisher);
  out.set_kind(static_cast<v1::MediaKind>(kind));
  out.set_track_id(track);
  out.set_requester_participant_id(requester);
  return true;
}

bool decode_roster_query(std::span<const uint8_t> body, uint64_t& query_id) {
  Reader in(body);
  return in.u64(query_id) && in.done();
}

bool decode_roster_reply(std::span<const uint8_t> body, uint64_t& query_id,
                         std::string_view& meeting_id, std::vector<room::RemoteMember>& out) {
  Reader in(body);
  uint16_t length = 0;
  std::span<const uint8_t> meeting;
  uint32_t count = 0;
  if (!in.u64(query_id) || !in.u16(length) || !in.bytes(length, meeting) || !in.u32(count) ||
      count > kMaxSnapshotMembers) {
    return false;
  }
  meeting_id = {reinterpret_cast<const char*>(meeting.data()), meeting.size()};
  if (!Subjects::valid_meeting_id(meeting_id)) return false;
  return read_members(in, count, out);
}

bool decode_chat(std::span<const uint8_t> body, v1::ChatMessage& out) {
  return body.size() <= limits::kMaxEnvelopeBytes &&
         out.ParseFromArray(body.data(), static_cast<int>(body.size())) && out.message_id() != 0 &&
         out.sender_participant_id() != 0;
}

bool decode_host_remote_action(std::span<const uint8_t> body, v1::HostRemoteAction& out) {
  return body.size() <= limits::kMaxControlBytes &&
         out.ParseFromArray(body.data(), static_cast<int>(body.size())) &&
         out.request().target_participant_id() != 0;
}

bool decode_host_cluster_event(std::span<const uint8_t> body, v1::HostClusterEvent& out) {
  // The co-host list makes it larger than one control message at most by this bound.
  return body.size() <= limits::kMaxEnvelopeBytes &&
         out.ParseFromArray(body.data(), static_cast<int>(body.size()));
}

bool decode_e2ee_key_message(std::span<const uint8_t> body, v1::E2eeKeyMessage& out) {
  return body.size() <= limits::kMaxControlBytes &&
         out.ParseFromArray(body.data(), static_cast<int>(body.size())) &&
         out.from_participant_id() != 0 && out.to_participant_id() != 0 &&
         out.sealed().size() == limits::kE2eeSealedKeyBytes;
}

bool decode_reaction(std::span<const uint8_t> body, v1::Reaction& out) {
  return body.size() <= limits::kMaxControlBytes &&
         out.ParseFromArray(body.data(), static_cast<int>(body.size())) &&
         out.participant_id() != 0;
}

bool decode_chat_history_reply(std::span<const uint8_t> body, std::string_view& meeting_id,
                               v1::ChatHistory& out) {
  Reader in(body);
  uint16_t length = 0;
  std::span<const uint8_t> meeting;
  if (!in.u16(length) || !in.bytes(length, meeting)) return false;
  meeting_id = {reinterpret_cast<const char*>(meeting.data()), meeting.size()};
  const std::span<const uint8_t> rest = in.rest();
  return Subjects::valid_meeting_id(meeting_id) && rest.size() <= limits::kMaxEnvelopeBytes &&
         out.ParseFromArray(rest.data(), static_cast<int>(rest.size())) &&
         static_cast<std::size_t>(out.messages_size()) <= limits::kChatHistoryMessages;
}

std::string Subjects::room_media(std::string_view meeting_id) const {
  return fmt::format("{}.room.{}.media", prefix_, meeting_id);
}

std::string Subjects::room_control(std::string_view meeting_id) const {
  return fmt::format("{}.room.{}.ctrl", prefix_, meeting_id);
}

std::string Subjects::room_wildcard(std::string_view meeting_id) const {
  return fmt::format("{}.room.{}.*", prefix_, meeting_id);
}

std::string Subjects::node(uint64_t node_id) const {
  return fmt::format("{}.node.{:016x}", prefix_, node_id);
}

std::string Subjects::heartbeat() const {
  return fmt::format("{}.heartbeat", prefix_);
}

std::string_view Subjects::meeting_of(std::string_view subject) const {
  if (subject.size() <= prefix_.size() + 6 || subject.substr(0, prefix_.size()) != prefix_ ||
      subject.substr(prefix_.size(), 6) != ".room.") {
    return {};
  }
  std::string_view rest = subject.substr(prefix_.size() + 6);
  const std::size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return {};
  std::string_view meeting = rest.substr(0, dot);
  return valid_meeting_id(meeting) ? meeting : std::string_view{};
}

bool Subjects::valid_meeting_id(std::string_view meeting_id) {
  if (meeting_id.empty() || meeting_id.size() > limits::kMaxMeetingIdBytes) return false;
  for (char c : meeting_id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace vc::bus
