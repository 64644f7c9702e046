// VideoForwarder: what one receiver gets of one simulcast video track (docs/PROTOCOL.md §11.4).
// Decides per frame from the cleartext layer ids alone:
//  - a spatial switch (and the very first frame) happens only at a keyframe of the target
//    encoding; until then the current encoding keeps flowing;
//  - temporal layers above the cap are not forwarded; a raised cap applies from the next
//    temporal-layer-0 frame, so every forwarded frame's references were forwarded too.
// Sans-I/O, no allocation: the room owns one per (receiver, video track).
#pragma once

#include <cstdint>
#include <optional>

namespace vc::room {

struct LayerTarget {
  bool paused = false;
  uint8_t spatial = 0;
  uint8_t max_temporal = 2;
  bool operator==(const LayerTarget&) const = default;
};

enum class ForwardDecision : uint8_t { kDrop, kForward };

class VideoForwarder {
 public:
  void set_target(LayerTarget target);
  const LayerTarget& target() const { return target_; }

  ForwardDecision on_frame(uint8_t spatial, uint8_t temporal, bool keyframe);

  // Starts the target encoding from cached frames (they begin with its keyframe). Only their
  // temporal-layer-0 frames are replayed (4x fewer to decode on a three-layer stream); when that
  // left some out, upper layers resume at the next T0, whose references were all replayed.
  void start_from_cache(bool skipped_upper_layers) {
    current_ = target_.spatial;
    temporal_cap_ = skipped_upper_layers ? 0 : target_.max_temporal;
  }
  // A cached frame of this temporal layer is part of the replay.
  static bool replays(uint8_t temporal) { return temporal == 0; }
  // The receiver lost video (queue overflow): start over at the next keyframe.
  void restart() { current_.reset(); }

  // The encoding being forwarded, if any.
  std::optional<uint8_t> current() const { return current_; }
  // A keyframe of this encoding would let the forwarder reach its target.
  std::optional<uint8_t> keyframe_needed() const;
  bool started() const { return current_.has_value(); }
  uint64_t spatial_switches() const { return switches_; }

 private:
  LayerTarget target_;
  std::optional<uint8_t> current_;
  uint8_t temporal_cap_ = 2;  // the cap in force (target_.max_temporal once raised at a T0)
  uint64_t switches_ = 0;
};

}  // namespace vc::room
