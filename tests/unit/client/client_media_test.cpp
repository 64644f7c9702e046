extern "C" {
#include <libavformat/avformat.h>
}
#include <gtest/gtest.h>
#include <vpx/vp8dx.h>
#include <vpx/vpx_decoder.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "publishing.hpp"
#include "tool_support.hpp"
#include "videocall/media.hpp"
#include "videocall/webm_writer.hpp"

namespace vc::media {
namespace {

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() /
         ("vc_media_test_" + std::to_string(getpid()) + "_" + name);
}

std::vector<EncodedFrame> encode_pattern(VideoCodec codec, int frames, int force_key_at = -1) {
  VideoSourceOptions source_options{320, 180, 30, /*realtime=*/false};
  auto source = open_test_pattern(source_options);
  VideoEncoderOptions options;
  options.codec = codec;
  options.width = 320;
  options.height = 180;
  options.bitrate_kbps = 300;
  std::unique_ptr<VideoEncoder> encoder;
  EXPECT_FALSE(create_video_encoder(options, encoder));
  std::vector<EncodedFrame> out;
  I420Frame frame;
  for (int i = 0; i < frames; ++i) {
    EXPECT_FALSE(source->read(frame));
    EXPECT_FALSE(encoder->encode(frame, i == force_key_at, out));
  }
  return out;
}

TEST(VideoEncoder, Vp9StartsWithAKeyframeAndHonoursRequests) {
  const auto frames = encode_pattern(VideoCodec::kVp9, 10, 5);
  ASSERT_EQ(frames.size(), 10u);
  EXPECT_TRUE(frames[0].keyframe);
  EXPECT_FALSE(frames[1].keyframe);
  EXPECT_TRUE(frames[5].keyframe);
  // A forced keyframe must actually decode on its own: feed libvpx from frame 5 on.
  vpx_codec_ctx_t decoder;
  ASSERT_EQ(vpx_codec_dec_init(&decoder, vpx_codec_vp9_dx(), nullptr, 0), VPX_CODEC_OK);
  for (std::size_t i = 5; i < frames.size(); ++i) {
    ASSERT_EQ(vpx_codec_decode(&decoder, frames[i].data.data(),
                               static_cast<unsigned>(frames[i].data.size()), nullptr, 0),
              VPX_CODEC_OK);
    vpx_codec_iter_t iter = nullptr;
    vpx_image_t* image = vpx_codec_get_frame(&decoder, &iter);
    ASSERT_NE(image, nullptr);
    EXPECT_EQ(image->d_w, 320u);
  }
  vpx_codec_destroy(&decoder);
}

TEST(VideoEncoder, Vp8AndAv1Work) {
  for (VideoCodec codec : {VideoCodec::kVp8, VideoCodec::kAv1}) {
    const auto frames = encode_pattern(codec, 3);
    ASSERT_EQ(frames.size(), 3u) << to_string(codec);
    EXPECT_TRUE(frames[0].keyframe);
    EXPECT_FALSE(frames[0].data.empty());
  }
}

TEST(VideoEncoder, RejectsOddSizes) {
  VideoEncoderOptions options;
  options.width = 321;
  std::unique_ptr<VideoEncoder> encoder;
  EXPECT_EQ(create_video_encoder(options, encoder).kind, MediaErrorKind::kUnsupportedFormat);
}

TEST(Simulcast, LadderFollowsTheSourceLikeTheBrowser) {
  auto heights = [](const std::vector<SimulcastLayer>& layers) {
    std::vector<int> out;
    for (const auto& layer : layers) out.push_back(layer.height);
    return out;
  };
  EXPECT_EQ(heights(simulcast_layers(1280, 720)), (std::vector<int>{180, 360, 720}));
  EXPECT_EQ(heights(simulcast_layers(640, 360)), (std::vector<int>{180, 360}));
  EXPECT_EQ(heights(simulcast_layers(1920, 1080)), (std::vector<int>{180, 360, 720}));
  const auto wide = simulcast_layers(640, 360);
  EXPECT_EQ(wide[0].width, 320);
  EXPECT_EQ(wide[0].bitrate_kbps, 150);
  EXPECT_EQ(wide[1].bitrate_kbps, 500);
  EXPECT_EQ(simulcast_layers(480, 360)[0].width, 240);  // 4:3 keeps its aspect ratio
  // Below the lowest rung: one encoding at the source's size, unless more are demanded.
  const auto small = simulcast_layers(160, 120);
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0].width, 160);
  EXPECT_EQ(heights(simulcast_layers(320, 180, 2)), (std::vector<int>{180, 360}));
  EXPECT_TRUE(simulcast_layers(0, 360).empty());
}

TEST(Simulcast, EncodesEveryLayerAndKeyframesOnlyWhereAsked) {
  SimulcastEncoderOptions options;
  options.codec = VideoCodec::kVp8;
  options.layers = simulcast_layers(640, 360);
  std::unique_ptr<SimulcastEncoder> encoder;
  ASSERT_FALSE(SimulcastEncoder::create(options, encoder));
  auto source = open_test_pattern({640, 360, 30, /*realtime=*/false});
  I420Frame frame;
  std::vector<EncodedFrame> out;
  for (int i = 0; i < 4; ++i) {
    ASSERT_FALSE(source->read(frame));
    // Frame 2 asks for a keyframe on layer 1 only.
    ASSERT_FALSE(encoder->encode(frame, i == 2 ? 0b10u : 0u, out));
  }
  ASSERT_EQ(out.size(), 8u);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int layer = static_cast<int>(i % 2);
    EXPECT_EQ(out[i].spatial_layer, layer);
    EXPECT_EQ(out[i].height, layer == 0 ? 180 : 360);
    EXPECT_EQ(out[i].width, layer == 0 ? 320 : 640);
  }
  EXPECT_TRUE(out[0].keyframe && out[1].keyframe);  // the first frame of every encoding
  EXPECT_FALSE(out[4].keyframe) << "layer 0 was not asked for a keyframe";
  EXPECT_TRUE(out[5].keyframe);
  EXPECT_FALSE(out[7].keyframe);
  options.layers.clear();
  EXPECT_EQ(SimulcastEncoder::create(options, encoder).kind, MediaErrorKind::kUnsupportedFormat);
}

// FNV-1a of a decoded image's luma: equal hashes, equal pictures.
uint64_t luma_hash(const vpx_image_t& image) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned y = 0; y < image.d_h; ++y) {
    for (unsigned x = 0; x < image.d_w; ++x) {
      hash =
          (hash ^ image.planes[VPX_PLANE_Y][y * image.stride[VPX_PLANE_Y] + x]) * 1099511628211ull;
    }
  }
  return hash;
}

// Decodes the frames of temporal layer <= max_layer; the hash of each decoded picture, 0 for a
// frame left out.
std::vector<uint64_t> decode_up_to(VideoCodec codec, const std::vector<EncodedFrame>& frames,
                                   int max_layer) {
  vpx_codec_ctx_t decoder;
  EXPECT_EQ(vpx_codec_dec_init(&decoder,
                               codec == VideoCodec::kVp9 ? vpx_codec_vp9_dx() : vpx_codec_vp8_dx(),
                               nullptr, 0),
            VPX_CODEC_OK);
  std::vector<uint64_t> hashes;
  for (const auto& frame : frames) {
    if (frame.temporal_layer > max_layer) {
      hashes.push_back(0);
      continue;
    }
    EXPECT_EQ(vpx_codec_decode(&decoder, frame.data.data(),
                               static_cast<unsigned>(frame.data.size()), nullptr, 0),
              VPX_CODEC_OK);
    vpx_codec_iter_t iter = nullptr;
    const vpx_image_t* image = vpx_codec_get_frame(&decoder, &iter);
    hashes.push_back(image ? luma_hash(*image) : 1);
  }
  vpx_codec_destroy(&decoder);
  return hashes;
}

TEST(VideoEncoder, TemporalLayersDecodeWithoutTheUpperOnes) {
  for (VideoCodec codec : {VideoCodec::kVp8, VideoCodec::kVp9}) {
    VideoEncoderOptions options;
    options.codec = codec;
    options.width = 320;
    options.height = 180;
    options.bitrate_kbps = 300;
    options.temporal_layers = kMaxTemporalLayers;
    std::unique_ptr<VideoEncoder> encoder;
    ASSERT_FALSE(create_video_encoder(options, encoder));
    auto source = open_test_pattern({320, 180, 30, /*realtime=*/false});
    I420Frame frame;
    std::vector<EncodedFrame> frames;
    for (int i = 0; i < 24; ++i) {
      ASSERT_FALSE(source->read(frame));
      ASSERT_FALSE(encoder->encode(frame, i == 13, frames));
    }
    ASSERT_EQ(frames.size(), 24u) << to_string(codec);
    // T0 T2 T1 T2 ..., restarted by the keyframe asked for at frame 13.
    const int expected[] = {0, 2, 1, 2, 0, 2, 1, 2, 0, 2, 1, 2, 0, 0, 2, 1, 2, 0};
    for (std::size_t i = 0; i < std::size(expected); ++i) {
      EXPECT_EQ(frames[i].temporal_layer, expected[i]) << to_string(codec) << " frame " << i;
      EXPECT_EQ(frames[i].keyframe, i == 0 || i == 13) << to_string(codec) << " frame " << i;
    }
    // Leaving out T2, or T1 and T2, changes none of the pictures that remain.
    const auto all = decode_up_to(codec, frames, 2);
    for (int max_layer : {0, 1}) {
      const auto some = decode_up_to(codec, frames, max_layer);
      for (std::size_t i = 0; i < frames.size(); ++i) {
        if (frames[i].temporal_layer <= max_layer) {
          EXPECT_EQ(some[i], all[i])
              << to_string(codec) << " frame " << i << " up to T" << max_layer;
        }
      }
    }
  }
  VideoEncoderOptions av1;
  av1.codec = VideoCodec::kAv1;
  av1.temporal_layers = kMaxTemporalLayers;
  std::unique_ptr<VideoEncoder> encoder;
  EXPECT_EQ(create_video_encoder(av1, encoder).kind, MediaErrorKind::kUnsupportedFormat);
}

TEST(Simulcast, CameraTrackAnnouncesEveryLayer) {
  const auto layers = simulcast_layers(1280, 720);
  const v1::Track track = tools::camera_track(v1::CODEC_VP9, layers, 30);
  EXPECT_EQ(track.track_id(), client::kCameraTrackId);
  EXPECT_EQ(track.source(), v1::TRACK_SOURCE_CAMERA);
  ASSERT_EQ(track.layers_size(), 3);
  for (int s = 0; s < 3; ++s) {
    EXPECT_EQ(track.layers(s).spatial_layer(), static_cast<uint32_t>(s));
    EXPECT_EQ(track.layers(s).height(), static_cast<uint32_t>(layers[s].height));
    EXPECT_EQ(track.layers(s).max_bitrate_bps(), layers[s].bitrate_kbps * 1000u);
    EXPECT_EQ(track.layers(s).max_fps(), 30u);
  }
  EXPECT_EQ(track.temporal_layers(), 0u);
  EXPECT_EQ(tools::camera_track(v1::CODEC_VP9, layers, 30, 3).temporal_layers(), 3u);
  const v1::Track single = tools::camera_track(v1::CODEC_VP8, {{640, 360, 800}}, 30);
  ASSERT_EQ(single.layers_size(), 1);
  EXPECT_EQ(single.layers(0).width(), 640u);
  EncodedFrame frame;
  frame.spatial_layer = 2;
  frame.width = 1280;
  frame.height = 720;
  frame.keyframe = true;
  frame.temporal_layer = 1;
  const v1::MediaHeader header = tools::camera_header(frame, v1::CODEC_VP9, 7);
  EXPECT_EQ(header.spatial_layer(), 2u);
  EXPECT_EQ(header.temporal_layer(), 1u);
  EXPECT_EQ(header.track_id(), client::kCameraTrackId);
  EXPECT_EQ(header.sequence(), 7u);
  EXPECT_TRUE(header.keyframe());
}

TEST(TestPattern, ChangesEveryFrameAndPacesCaptureTimes) {
  auto source = open_test_pattern({64, 48, 25, /*realtime=*/false});
  I420Frame a;
  I420Frame b;
  ASSERT_FALSE(source->read(a));
  ASSERT_FALSE(source->read(b));
  EXPECT_NE(a.data, b.data);
  EXPECT_EQ(b.capture_time_us - a.capture_time_us, 40000u);
}

TEST(Y4m, ReadsFramesAndRejectsBadFiles) {
  const auto good = temp_path("good.y4m");
  {
    std::ofstream out(good, std::ios::binary);
    out << "YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg\n";
    for (int i = 0; i < 2; ++i)
      out << "FRAME\n" << std::string(4 * 2 + 2 * 2, static_cast<char>(i));
  }
  std::unique_ptr<VideoSource> source;
  ASSERT_FALSE(open_y4m_file(good.string(), {4, 2, 25, false, /*loop=*/false}, source));
  EXPECT_EQ(source->fps(), 25);
  I420Frame frame;
  EXPECT_FALSE(source->read(frame));
  EXPECT_FALSE(source->read(frame));
  EXPECT_EQ(frame.data[0], 1);
  EXPECT_EQ(source->read(frame).kind, MediaErrorKind::kEndOfStream);

  const auto bad = temp_path("bad.y4m");
  std::ofstream(bad) << "not a y4m file\n";
  EXPECT_EQ(open_y4m_file(bad.string(), {}, source).kind, MediaErrorKind::kBadFile);
  EXPECT_EQ(open_y4m_file(temp_path("missing.y4m").string(), {}, source).kind,
            MediaErrorKind::kBadFile);
  const auto yuv444 = temp_path("444.y4m");
  std::ofstream(yuv444) << "YUV4MPEG2 W4 H2 F25:1 C444\n";
  EXPECT_EQ(open_y4m_file(yuv444.string(), {}, source).kind, MediaErrorKind::kUnsupportedFormat);
  std::filesystem::remove(good);
  std::filesystem::remove(bad);
  std::filesystem::remove(yuv444);
}

TEST(Wav, RejectsWrongRatesAndGarbage) {
  const auto garbage = temp_path("garbage.wav");
  std::ofstream(garbage) << "RIFX....";
  std::unique_ptr<AudioSource> source;
  EXPECT_EQ(open_wav_file(garbage.string(), true, false, source).kind, MediaErrorKind::kBadFile);
  std::filesystem::remove(garbage);
}

TEST(Audio, ToneEncodesToOpusAndHasALevel) {
  auto tone = open_tone(440, false);
  std::unique_ptr<OpusEncoder> encoder;
  ASSERT_FALSE(create_opus_encoder(1, 32000, encoder));
  AudioFrame frame;
  ASSERT_FALSE(tone->read(frame));
  EXPECT_EQ(frame.samples.size(), static_cast<std::size_t>(kAudioFrameSamples));
  std::vector<uint8_t> packet;
  ASSERT_FALSE(encoder->encode(frame, packet));
  EXPECT_GT(packet.size(), 2u);
  EXPECT_LT(audio_level_dbov(frame), 30);
  AudioFrame silence;
  silence.samples.assign(kAudioFrameSamples, 0);
  EXPECT_EQ(audio_level_dbov(silence), 127);
}

TEST(WebmWriter, WritesAFileFfmpegCanRead) {
  const auto path = temp_path("out.webm");
  const auto frames = encode_pattern(VideoCodec::kVp9, 15);
  std::unique_ptr<WebmWriter> writer;
  ASSERT_FALSE(
      open_webm_writer(path.string(), {WebmTrack::Kind::kVideo, "vp9", 320, 180, 1}, writer));
  uint64_t timestamp = 1'700'000'000'000'000ull;
  for (const auto& frame : frames) {
    ASSERT_FALSE(writer->write(frame.data, timestamp, frame.keyframe));
    timestamp += 33'333;
  }
  ASSERT_FALSE(writer->finish());

  AVFormatContext* input = nullptr;
  ASSERT_EQ(avformat_open_input(&input, path.string().c_str(), nullptr, nullptr), 0);
  ASSERT_GE(avformat_find_stream_info(input, nullptr), 0);
  ASSERT_EQ(input->nb_streams, 1u);
  EXPECT_EQ(input->streams[0]->codecpar->codec_id, AV_CODEC_ID_VP9);
  AVPacket* packet = av_packet_alloc();
  int packets = 0;
  int64_t last_pts = -1;
  while (av_read_frame(input, packet) == 0) {
    EXPECT_GT(packet->pts, last_pts);
    last_pts = packet->pts;
    ++packets;
    av_packet_unref(packet);
  }
  av_packet_free(&packet);
  avformat_close_input(&input);
  EXPECT_EQ(packets, 15);
  EXPECT_NEAR(static_cast<double>(last_pts), 14 * 33.333, 2.0);  // milliseconds
  std::filesystem::remove(path);
}

TEST(ToolSupport, ParsesResolutionsAndSanitisesNames) {
  EXPECT_EQ(tools::parse_resolution("1280x720"), std::make_pair(1280, 720));
  EXPECT_FALSE(tools::parse_resolution("1281x720"));
  EXPECT_FALSE(tools::parse_resolution("1280"));
  EXPECT_FALSE(tools::parse_resolution("x720"));
  EXPECT_EQ(tools::parse_video_height("180p"), 180);
  EXPECT_EQ(tools::parse_video_height("360"), 360);
  EXPECT_EQ(tools::parse_video_height("1280x720"), 720);
  EXPECT_FALSE(tools::parse_video_height("0"));
  EXPECT_FALSE(tools::parse_video_height("p"));
  EXPECT_FALSE(tools::parse_video_height("360i"));
  EXPECT_FALSE(tools::parse_video_height("9000"));
  EXPECT_FALSE(tools::parse_video_height("1281x720"));
  EXPECT_EQ(tools::sanitise_for_filename("Ada L./../x"), "Ada_L_____x");
  EXPECT_EQ(tools::sanitise_for_filename(""), "participant");
}

}  // namespace
}  // namespace vc::media
