// WebM muxing through libavformat. Timestamps are rebased so each file starts at 0 and kept
// strictly increasing (WebM has millisecond resolution; two frames in one millisecond would
// otherwise collide).
extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mem.h>
}

#include <cstring>

#include "videocall/webm_writer.hpp"

namespace vc::media {

namespace {

std::string av_error_text(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

AVCodecID codec_id(const std::string& codec) {
  if (codec == "vp8") return AV_CODEC_ID_VP8;
  if (codec == "vp9") return AV_CODEC_ID_VP9;
  if (codec == "av1") return AV_CODEC_ID_AV1;
  if (codec == "opus") return AV_CODEC_ID_OPUS;
  return AV_CODEC_ID_NONE;
}

// RFC 7845 identification header, which Matroska stores as the Opus CodecPrivate.
void set_opus_head(AVCodecParameters* parameters, int channels) {
  constexpr int kSize = 19;
  auto* head = static_cast<uint8_t*>(av_mallocz(kSize + AV_INPUT_BUFFER_PADDING_SIZE));
  std::memcpy(head, "OpusHead", 8);
  head[8] = 1;  // version
  head[9] = static_cast<uint8_t>(channels);
  constexpr uint16_t kPreSkip = 312;
  head[10] = kPreSkip & 0xff;
  head[11] = kPreSkip >> 8;
  const uint32_t rate = kAudioSampleRate;
  for (int i = 0; i < 4; ++i) head[12 + i] = static_cast<uint8_t>(rate >> (8 * i));
  // output gain 0, channel mapping family 0
  parameters->extradata = head;
  parameters->extradata_size = kSize;
}

class WebmWriterImpl final : public WebmWriter {
 public:
  ~WebmWriterImpl() override {
    finish();
    av_packet_free(&packet_);
  }

  MediaError open(const std::string& path, const WebmTrack& track) {
    path_ = path;
    const AVCodecID id = codec_id(track.codec);
    if (id == AV_CODEC_ID_NONE)
      return {MediaErrorKind::kUnsupportedFormat, "cannot record codec " + track.codec};
    int rc = avformat_alloc_output_context2(&context_, nullptr, "webm", path.c_str());
    if (rc < 0 || context_ == nullptr)
      return {MediaErrorKind::kCodec, "webm muxer: " + av_error_text(rc)};
    stream_ = avformat_new_stream(context_, nullptr);
    if (stream_ == nullptr) return {MediaErrorKind::kCodec, "webm muxer: cannot add a stream"};
    AVCodecParameters* parameters = stream_->codecpar;
    parameters->codec_id = id;
    if (track.kind == WebmTrack::Kind::kVideo) {
      parameters->codec_type = AVMEDIA_TYPE_VIDEO;
      parameters->width = track.width;
      parameters->height = track.height;
      parameters->format = AV_PIX_FMT_YUV420P;
    } else {
      parameters->codec_type = AVMEDIA_TYPE_AUDIO;
      parameters->sample_rate = kAudioSampleRate;
      av_channel_layout_default(&parameters->ch_layout, track.channels);
      parameters->initial_padding = 312;
      set_opus_head(parameters, track.channels);
      audio_ = true;
    }
    stream_->time_base = {1, 1000};
    rc = avio_open(&context_->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (rc < 0)
      return {MediaErrorKind::kBadFile, "cannot create " + path + ": " + av_error_text(rc)};
    rc = avformat_write_header(context_, nullptr);
    if (rc < 0)
      return {MediaErrorKind::kCodec, "webm header for " + path + ": " + av_error_text(rc)};
    header_written_ = true;
    packet_ = av_packet_alloc();
    return {};
  }

  MediaError write(std::span<const uint8_t> frame, uint64_t timestamp_us, bool keyframe) override {
    if (!header_written_ || finished_) return {MediaErrorKind::kCodec, "writer is closed"};
    if (first_us_ == UINT64_MAX) first_us_ = timestamp_us;
    const int64_t relative_us =
        timestamp_us > first_us_ ? static_cast<int64_t>(timestamp_us - first_us_) : 0;
    int64_t pts = av_rescale_q(relative_us, {1, 1000000}, stream_->time_base);
    if (last_pts_ >= 0 && pts <= last_pts_) pts = last_pts_ + 1;
    last_pts_ = pts;

    av_packet_unref(packet_);
    if (av_new_packet(packet_, static_cast<int>(frame.size())) < 0)
      return {MediaErrorKind::kCodec, "out of memory"};
    std::memcpy(packet_->data, frame.data(), frame.size());
    packet_->pts = pts;
    packet_->dts = pts;
    packet_->stream_index = stream_->index;
    if (keyframe || audio_) packet_->flags |= AV_PKT_FLAG_KEY;
    if (audio_) packet_->duration = av_rescale_q(20000, {1, 1000000}, stream_->time_base);
    const int rc = av_write_frame(context_, packet_);
    if (rc == AVERROR_INVALIDDATA) {
      // The container's bitstream filter could not parse this frame (e.g. an end-to-end
      // encrypted payload): only this frame is lost.
      return {MediaErrorKind::kInvalidFrame, "frame refused by the muxer: " + av_error_text(rc)};
    }
    if (rc < 0) return {MediaErrorKind::kBadFile, "writing " + path_ + ": " + av_error_text(rc)};
    ++frames_;
    return {};
  }

  MediaError finish() override {
    if (finished_) return {};
    finished_ = true;
    MediaError result;
    if (header_written_) {
      const int rc = av_write_trailer(context_);
      if (rc < 0)
        result = {MediaErrorKind::kBadFile, "finalising " + path_ + ": " + av_error_text(rc)};
    }
    if (context_ != nullptr) {
      if (context_->pb != nullptr) avio_closep(&context_->pb);
      avformat_free_context(context_);
      context_ = nullptr;
    }
    return result;
  }

  uint64_t frames_written() const override { return frames_; }

 private:
  std::string path_;
  AVFormatContext* context_ = nullptr;
  AVStream* stream_ = nullptr;
  AVPacket* packet_ = nullptr;
  bool audio_ = false;
  bool header_written_ = false;
  bool finished_ = false;
  uint64_t first_us_ = UINT64_MAX;
  int64_t last_pts_ = -1;
  uint64_t frames_ = 0;
};

}  // namespace

MediaError open_webm_writer(const std::string& path, const WebmTrack& track,
                            std::unique_ptr<WebmWriter>& out) {
  auto writer = std::make_unique<WebmWriterImpl>();
  if (MediaError error = writer->open(path, track)) return error;
  out = std::move(writer);
  return {};
}

}  // namespace vc::media
