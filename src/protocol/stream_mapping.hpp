// How envelopes travel over WebTransport, for both roles (docs/PROTOCOL.md "WebTransport"): control
// on the client-opened bidirectional stream, each media kind on its own unidirectional stream, and
// audio as a datagram when it fits. One stream per kind keeps a lost video packet from holding up
// audio; priorities decide which stream's data goes out first when the path is full.
#pragma once

#include <cstdint>

#include "proto/videocall.pb.h"
#include "protocol/frame.hpp"

namespace vc::stream_mapping {

namespace v1 = ::videocall::v1;

// Lower is sent first: control, then audio, then camera video, then screen share and any kind a
// newer peer introduces.
inline constexpr uint8_t kControlPriority = 0;
inline constexpr uint8_t kAudioPriority = 1;
inline constexpr uint8_t kVideoPriority = 2;
inline constexpr uint8_t kOtherMediaPriority = 3;

constexpr uint8_t priority_for_kind(uint32_t media_kind) {
  switch (media_kind) {
    case v1::MEDIA_KIND_AUDIO:
      return kAudioPriority;
    case v1::MEDIA_KIND_VIDEO:
      return kVideoPriority;
    default:
      return kOtherMediaPriority;
  }
}

// Audio frames decode independently, so a lost datagram costs one frame; video is kept reliable.
constexpr bool prefers_datagram(Lane lane) {
  return lane == Lane::kAudio;
}

}  // namespace vc::stream_mapping
