#include "server/room/video_forwarder.hpp"

namespace vc::room {

void VideoForwarder::set_target(LayerTarget target) {
  if (target.paused) current_.reset();
  // Lowering the temporal cap is safe at once; raising it waits for a temporal-layer-0 frame.
  if (target.max_temporal < temporal_cap_) temporal_cap_ = target.max_temporal;
  target_ = target;
}

std::optional<uint8_t> VideoForwarder::keyframe_needed() const {
  if (target_.paused || current_ == target_.spatial) return std::nullopt;
  return target_.spatial;
}

ForwardDecision VideoForwarder::on_frame(uint8_t spatial, uint8_t temporal, bool keyframe) {
  if (target_.paused) return ForwardDecision::kDrop;
  if (spatial == target_.spatial && current_ != spatial) {
    if (!keyframe) return ForwardDecision::kDrop;
    if (current_) ++switches_;
    current_ = spatial;
    temporal_cap_ = target_.max_temporal;
    return ForwardDecision::kForward;
  }
  if (!current_ || spatial != *current_) return ForwardDecision::kDrop;
  if (temporal == 0 || keyframe) temporal_cap_ = target_.max_temporal;
  return temporal <= temporal_cap_ ? ForwardDecision::kForward : ForwardDecision::kDrop;
}

}  // namespace vc::room
