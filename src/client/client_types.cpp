// The small value helpers of the public client API (videocall/client.hpp): names of enums, the
// transport preference parser, and the default tracks a publisher announces.
#include "videocall/client.hpp"

namespace vc::client {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kBadArgument:
      return "bad argument";
    case ErrorKind::kUnreachable:
      return "server unreachable";
    case ErrorKind::kRefused:
      return "refused";
    case ErrorKind::kProtocol:
      return "protocol error";
    case ErrorKind::kServerClosed:
      return "closed by server";
    case ErrorKind::kLocalClose:
      return "left";
  }
  return "unknown";
}

std::string_view to_string(TransportKind kind) {
  return kind == TransportKind::kWebTransport ? "webtransport" : "websocket";
}

std::string_view to_string(TransportPreference preference) {
  switch (preference) {
    case TransportPreference::kAuto:
      return "auto";
    case TransportPreference::kWebTransport:
      return "webtransport";
    case TransportPreference::kWebSocket:
      return "websocket";
  }
  return "auto";
}

std::optional<TransportPreference> parse_transport_preference(std::string_view text) {
  for (const auto preference : {TransportPreference::kAuto, TransportPreference::kWebTransport,
                                TransportPreference::kWebSocket}) {
    if (text == to_string(preference)) return preference;
  }
  return std::nullopt;
}

uint32_t default_track_id(v1::MediaKind kind) {
  switch (kind) {
    case v1::MEDIA_KIND_AUDIO:
      return kMicrophoneTrackId;
    case v1::MEDIA_KIND_VIDEO:
      return kCameraTrackId;
    case v1::MEDIA_KIND_SCREEN:
      return kScreenTrackId;
    default:
      return 0;
  }
}

v1::Track default_track(v1::MediaKind kind, v1::Codec codec, uint32_t width, uint32_t height) {
  v1::Track track;
  track.set_track_id(default_track_id(kind));
  track.set_kind(kind);
  track.set_codec(codec);
  switch (kind) {
    case v1::MEDIA_KIND_AUDIO:
      track.set_source(v1::TRACK_SOURCE_MICROPHONE);
      break;
    case v1::MEDIA_KIND_VIDEO:
      track.set_source(v1::TRACK_SOURCE_CAMERA);
      break;
    case v1::MEDIA_KIND_SCREEN:
      track.set_source(v1::TRACK_SOURCE_SCREEN);
      break;
    default:
      return track;
  }
  if (kind != v1::MEDIA_KIND_AUDIO && width > 0 && height > 0) {
    v1::VideoLayer* layer = track.add_layers();
    layer->set_width(width);
    layer->set_height(height);
  }
  return track;
}

}  // namespace vc::client
