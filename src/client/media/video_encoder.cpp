// Realtime video encoders: libvpx (VP8, VP9) and libaom (AV1), tuned for low latency
// (no lag frames, CBR, fast presets) so a Raspberry Pi can keep up.
#include <aom/aom_encoder.h>
#include <aom/aomcx.h>
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include <algorithm>

#include "videocall/media.hpp"

namespace vc::media {

namespace {

int log2_floor(int value) {
  int result = 0;
  while (value > 1) {
    value >>= 1;
    ++result;
  }
  return result;
}

// L1T3 reference structure (media.hpp): T0 references and updates LAST only; T1 references LAST
// and updates GOLDEN; T2 references LAST and GOLDEN and updates nothing. Dropping T2, or T1 and T2,
// leaves every remaining frame's references as the encoder had them.
constexpr int kTemporalPattern[] = {0, 2, 1, 2};
constexpr vpx_enc_frame_flags_t kTemporalFlags[kMaxTemporalLayers] = {
    VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF,
    VP8_EFLAG_NO_REF_GF | VP8_EFLAG_NO_REF_ARF | VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_ARF,
    VP8_EFLAG_NO_REF_ARF | VP8_EFLAG_NO_UPD_LAST | VP8_EFLAG_NO_UPD_GF | VP8_EFLAG_NO_UPD_ARF |
        VP8_EFLAG_NO_UPD_ENTROPY,
};

class VpxEncoder final : public VideoEncoder {
 public:
  ~VpxEncoder() override {
    if (initialised_) vpx_codec_destroy(&codec_);
  }

  MediaError init(const VideoEncoderOptions& options) {
    options_ = options;
    const bool vp9 = options.codec == VideoCodec::kVp9;
    vpx_codec_iface_t* iface = vp9 ? vpx_codec_vp9_cx() : vpx_codec_vp8_cx();
    vpx_codec_enc_cfg_t config{};
    if (vpx_codec_enc_config_default(iface, &config, 0) != VPX_CODEC_OK) {
      return {MediaErrorKind::kCodec, "libvpx: no default configuration"};
    }
    config.g_w = static_cast<unsigned>(options.width);
    config.g_h = static_cast<unsigned>(options.height);
    config.g_timebase = {1, options.fps};
    config.g_threads = static_cast<unsigned>(options.threads);
    config.g_lag_in_frames = 0;
    config.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    config.rc_end_usage = VPX_CBR;
    config.rc_target_bitrate = static_cast<unsigned>(options.bitrate_kbps);
    config.rc_min_quantizer = 4;
    config.rc_max_quantizer = 56;
    config.rc_undershoot_pct = 50;
    config.rc_overshoot_pct = 50;
    config.rc_buf_initial_sz = 500;
    config.rc_buf_optimal_sz = 600;
    config.rc_buf_sz = 1000;
    config.rc_dropframe_thresh = 0;  // a dropped frame would look like loss to receivers
    keyframe_interval_frames_ = options.fps * options.keyframe_interval_s;
    // With temporal layers we place keyframes ourselves, at the start of the pattern.
    config.kf_mode = layered() ? VPX_KF_DISABLED : VPX_KF_AUTO;
    config.kf_max_dist = static_cast<unsigned>(keyframe_interval_frames_);
    if (vpx_codec_enc_init(&codec_, iface, &config, 0) != VPX_CODEC_OK) {
      return {MediaErrorKind::kCodec,
              std::string("libvpx init failed: ") + vpx_codec_error_detail(&codec_)};
    }
    initialised_ = true;
    if (vp9) {
      vpx_codec_control(&codec_, VP8E_SET_CPUUSED, 8);
      vpx_codec_control(&codec_, VP9E_SET_ROW_MT, 1);
      vpx_codec_control(&codec_, VP9E_SET_TILE_COLUMNS, log2_floor(std::max(1, options.threads)));
      vpx_codec_control(&codec_, VP9E_SET_AQ_MODE, 3);
    } else {
      vpx_codec_control(&codec_, VP8E_SET_CPUUSED, 12);
      vpx_codec_control(&codec_, VP8E_SET_STATIC_THRESHOLD, 1);
    }
    return {};
  }

  MediaError encode(const I420Frame& frame, bool force_keyframe,
                    std::vector<EncodedFrame>& out) override {
    if (frame.width != options_.width || frame.height != options_.height) {
      return {MediaErrorKind::kCodec, "frame size does not match the encoder"};
    }
    vpx_image_t image{};
    vpx_img_wrap(&image, VPX_IMG_FMT_I420, static_cast<unsigned>(frame.width),
                 static_cast<unsigned>(frame.height), 1, const_cast<uint8_t*>(frame.y()));
    image.planes[VPX_PLANE_Y] = const_cast<uint8_t*>(frame.y());
    image.planes[VPX_PLANE_U] = const_cast<uint8_t*>(frame.u());
    image.planes[VPX_PLANE_V] = const_cast<uint8_t*>(frame.v());
    image.stride[VPX_PLANE_Y] = frame.stride_y();
    image.stride[VPX_PLANE_U] = frame.stride_uv();
    image.stride[VPX_PLANE_V] = frame.stride_uv();
    vpx_enc_frame_flags_t flags = force_keyframe ? VPX_EFLAG_FORCE_KF : 0;
    int temporal_layer = 0;
    if (layered()) {
      if (keyframe_interval_frames_ > 0 && frames_since_keyframe_ >= keyframe_interval_frames_) {
        flags = VPX_EFLAG_FORCE_KF;
      }
      if (flags & VPX_EFLAG_FORCE_KF) pattern_index_ = 0;
      temporal_layer = kTemporalPattern[pattern_index_ % std::size(kTemporalPattern)];
      flags |= kTemporalFlags[temporal_layer];
      ++pattern_index_;
      ++frames_since_keyframe_;
    }
    if (vpx_codec_encode(&codec_, &image, pts_++, 1, flags, VPX_DL_REALTIME) != VPX_CODEC_OK) {
      return {MediaErrorKind::kCodec,
              std::string("libvpx encode failed: ") + vpx_codec_error_detail(&codec_)};
    }
    vpx_codec_iter_t iter = nullptr;
    while (const vpx_codec_cx_pkt_t* packet = vpx_codec_get_cx_data(&codec_, &iter)) {
      if (packet->kind != VPX_CODEC_CX_FRAME_PKT) continue;
      EncodedFrame encoded;
      const auto* bytes = static_cast<const uint8_t*>(packet->data.frame.buf);
      encoded.data.assign(bytes, bytes + packet->data.frame.sz);
      encoded.keyframe = (packet->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
      encoded.capture_time_us = frame.capture_time_us;
      encoded.width = frame.width;
      encoded.height = frame.height;
      encoded.temporal_layer = temporal_layer;
      if (encoded.keyframe && layered()) {
        // A keyframe refreshes every reference: whatever its slot, it is a base frame.
        encoded.temporal_layer = 0;
        pattern_index_ = 1;
        frames_since_keyframe_ = 1;
      }
      out.push_back(std::move(encoded));
    }
    return {};
  }

 private:
  bool layered() const { return options_.temporal_layers > 1; }

  VideoEncoderOptions options_;
  vpx_codec_ctx_t codec_{};
  bool initialised_ = false;
  vpx_codec_pts_t pts_ = 0;
  int keyframe_interval_frames_ = 0;
  std::size_t pattern_index_ = 0;  // position in kTemporalPattern of the next frame
  int frames_since_keyframe_ = 0;
};

class AomEncoder final : public VideoEncoder {
 public:
  ~AomEncoder() override {
    if (initialised_) aom_codec_destroy(&codec_);
  }

  MediaError init(const VideoEncoderOptions& options) {
    options_ = options;
    aom_codec_iface_t* iface = aom_codec_av1_cx();
    aom_codec_enc_cfg_t config{};
    if (aom_codec_enc_config_default(iface, &config, AOM_USAGE_REALTIME) != AOM_CODEC_OK) {
      return {MediaErrorKind::kCodec, "libaom: no realtime configuration"};
    }
    config.g_w = static_cast<unsigned>(options.width);
    config.g_h = static_cast<unsigned>(options.height);
    config.g_timebase = {1, options.fps};
    config.g_threads = static_cast<unsigned>(options.threads);
    config.g_lag_in_frames = 0;
    config.g_error_resilient = 0;
    config.rc_end_usage = AOM_CBR;
    config.rc_target_bitrate = static_cast<unsigned>(options.bitrate_kbps);
    config.rc_dropframe_thresh = 0;
    config.kf_mode = AOM_KF_AUTO;
    config.kf_max_dist = static_cast<unsigned>(options.fps * options.keyframe_interval_s);
    if (aom_codec_enc_init(&codec_, iface, &config, 0) != AOM_CODEC_OK) {
      return {MediaErrorKind::kCodec,
              std::string("libaom init failed: ") + aom_codec_error_detail(&codec_)};
    }
    initialised_ = true;
    aom_codec_control(&codec_, AOME_SET_CPUUSED, 9);
    aom_codec_control(&codec_, AV1E_SET_ROW_MT, 1);
    aom_codec_control(&codec_, AV1E_SET_TILE_COLUMNS, log2_floor(std::max(1, options.threads)));
    aom_codec_control(&codec_, AV1E_SET_AQ_MODE, 3);
    aom_codec_control(&codec_, AV1E_SET_ENABLE_CDEF, 1);
    aom_codec_control(&codec_, AV1E_SET_COEFF_COST_UPD_FREQ, 3);
    aom_codec_control(&codec_, AV1E_SET_MODE_COST_UPD_FREQ, 3);
    aom_codec_control(&codec_, AV1E_SET_MV_COST_UPD_FREQ, 3);
    return {};
  }

  MediaError encode(const I420Frame& frame, bool force_keyframe,
                    std::vector<EncodedFrame>& out) override {
    if (frame.width != options_.width || frame.height != options_.height) {
      return {MediaErrorKind::kCodec, "frame size does not match the encoder"};
    }
    aom_image_t image{};
    aom_img_wrap(&image, AOM_IMG_FMT_I420, static_cast<unsigned>(frame.width),
                 static_cast<unsigned>(frame.height), 1, const_cast<uint8_t*>(frame.y()));
    image.planes[AOM_PLANE_Y] = const_cast<uint8_t*>(frame.y());
    image.planes[AOM_PLANE_U] = const_cast<uint8_t*>(frame.u());
    image.planes[AOM_PLANE_V] = const_cast<uint8_t*>(frame.v());
    image.stride[AOM_PLANE_Y] = frame.stride_y();
    image.stride[AOM_PLANE_U] = frame.stride_uv();
    image.stride[AOM_PLANE_V] = frame.stride_uv();
    const aom_enc_frame_flags_t flags = force_keyframe ? AOM_EFLAG_FORCE_KF : 0;
    if (aom_codec_encode(&codec_, &image, pts_++, 1, flags) != AOM_CODEC_OK) {
      return {MediaErrorKind::kCodec,
              std::string("libaom encode failed: ") + aom_codec_error_detail(&codec_)};
    }
    aom_codec_iter_t iter = nullptr;
    while (const aom_codec_cx_pkt_t* packet = aom_codec_get_cx_data(&codec_, &iter)) {
      if (packet->kind != AOM_CODEC_CX_FRAME_PKT) continue;
      EncodedFrame encoded;
      const auto* bytes = static_cast<const uint8_t*>(packet->data.frame.buf);
      encoded.data.assign(bytes, bytes + packet->data.frame.sz);
      encoded.keyframe = (packet->data.frame.flags & AOM_FRAME_IS_KEY) != 0;
      encoded.capture_time_us = frame.capture_time_us;
      encoded.width = frame.width;
      encoded.height = frame.height;
      out.push_back(std::move(encoded));
    }
    return {};
  }

 private:
  VideoEncoderOptions options_;
  aom_codec_ctx_t codec_{};
  bool initialised_ = false;
  aom_codec_pts_t pts_ = 0;
};

}  // namespace

MediaError create_video_encoder(const VideoEncoderOptions& options,
                                std::unique_ptr<VideoEncoder>& out) {
  if (options.width <= 0 || options.height <= 0 || (options.width & 1) || (options.height & 1)) {
    return {MediaErrorKind::kUnsupportedFormat, "video size must be positive and even"};
  }
  if (options.fps <= 0 || options.bitrate_kbps <= 0) {
    return {MediaErrorKind::kUnsupportedFormat, "fps and bitrate must be positive"};
  }
  if (options.temporal_layers != 1 && options.temporal_layers != kMaxTemporalLayers) {
    return {MediaErrorKind::kUnsupportedFormat, "temporal layers must be 1 or 3"};
  }
  if (options.temporal_layers > 1 && options.codec == VideoCodec::kAv1) {
    return {MediaErrorKind::kUnsupportedFormat, "temporal layers need VP8 or VP9"};
  }
  if (options.codec == VideoCodec::kAv1) {
    auto encoder = std::make_unique<AomEncoder>();
    if (MediaError error = encoder->init(options)) return error;
    out = std::move(encoder);
    return {};
  }
  auto encoder = std::make_unique<VpxEncoder>();
  if (MediaError error = encoder->init(options)) return error;
  out = std::move(encoder);
  return {};
}

}  // namespace vc::media
