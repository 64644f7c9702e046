// Room: grants enforcement (docs/PROTOCOL.md §13). What a participant's token does not allow is
// dropped and counted; a local participant that tries gets one numeric Refused per source, not one
// per frame. Remote members' grants come with their node's announcement and are enforced here too.
#include "server/room/room.hpp"

namespace vc::room {

namespace {

constexpr uint32_t kMediaRequest = 0;  // Refused.request for a media frame (no Control field)
constexpr uint32_t kPublishTrackRequest = 12;

std::string_view not_granted_message(v1::TrackSource source) {
  switch (source) {
    case v1::TRACK_SOURCE_CAMERA:
      return "camera not granted";
    case v1::TRACK_SOURCE_MICROPHONE:
      return "microphone not granted";
    default:
      return "screen sharing not granted";
  }
}

}  // namespace

void Room::apply_grants(Member& member, const v1::Grants& grants, bool receive_only) {
  v1::Participant& info = member.info;
  *info.mutable_grants() = grants;
  // Nothing to publish is receive-only: no tile, no camera prompt (a viewer).
  info.set_receive_only(receive_only || !publishes_anything(grants));
  info.set_mic_on(info.mic_on() && !info.receive_only() && grants.publish_microphone());
  info.set_camera_on(info.camera_on() && !info.receive_only() && grants.publish_camera());
  info.set_screen_on(info.screen_on() && !info.receive_only() && grants.publish_screen());
}

bool Room::media_granted(Member& sender, v1::MediaKind kind, const PublishedTrack* track) {
  const v1::Grants& grants = grants_of(sender.info);
  const v1::TrackSource source = track != nullptr ? track->info.source() : source_of_kind(kind);
  if (may_publish_kind(grants, kind) && may_publish(grants, source)) return true;
  ++stats_.media_not_granted;
  const uint32_t bit = 1u << (static_cast<uint32_t>(source) & 31u);
  if (!is_remote(sender) && (sender.refused_sources & bit) == 0) {
    sender.refused_sources |= bit;
    refuse(sender, not_granted_code(source), not_granted_message(source), kMediaRequest);
  }
  return false;
}

bool Room::track_granted(Member& publisher, const v1::Track& track) {
  if (may_publish(grants_of(publisher.info), track.source())) return true;
  ++stats_.tracks_not_granted;
  if (!is_remote(publisher)) {
    refuse(publisher, not_granted_code(track.source()), not_granted_message(track.source()),
           kPublishTrackRequest);
  }
  return false;
}

}  // namespace vc::room
