// bench_relay_sink: the publisher and the receivers of the peer benchmark
// (bench/peers/peer_bench.py), the same code for every relay it compares, so that receivers cost
// the same in every row (on loopback a lighter receiver changes the relay's own CPU: it drains
// sockets at another rhythm).
//
//   publish  --ws PORT --target /ws?token=... | --nats PORT --subject S   [--duration SECONDS]
//   receive  --ws PORT --targets FILE (one request target per receiver)
//            | --nats PORT --subject S --count N                      [--warmup S] [--measure S]
//   meet     --ws PORT --targets FILE [--fps F] [--video-kbps K]      [--warmup S] [--measure S]
//
// meet: a meeting, every connection both publishes and receives (WebSocket only). Each publishes
// video at F fps (15) averaging K kbit/s (300), a keyframe of ten deltas every 2 s, and audio at
// 50/s, its schedule offset from the others' so that they do not all send at once.
//
// The publisher sends Hello and two PublishTracks (WebSocket only), then synthetic media with the
// bot's shape: VP9-sized video at 30 fps, ~860 kbit/s, a keyframe every 2 s, and Opus-sized audio
// at 50 packets/s, each stamped with its capture time. Receivers run in one epoll thread: each
// reads, unframes (WebSocket, or NATS MSG), decodes the envelope and records the latency. They
// print "ready N" once every receiver is in, "window_start" after --warmup seconds of media and
// "window_end delivered=... p50_us=... p99_us=..." after --measure more, then exit.
#include <poll.h>
#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/limits.hpp"
#include "media_schedule.hpp"
#include "peer_io.hpp"
#include "protocol/envelope.hpp"

namespace vc::bench {
namespace {

constexpr std::size_t kReadChunk = 64u << 10;
constexpr int kFps = 30;
constexpr std::size_t kDeltaBytes = 3100;  // 59 deltas + one keyframe of 10x per 2 s: ~860 kbit/s
constexpr std::size_t kKeyframeBytes = 31000;
constexpr uint8_t kClientMask[4] = {0x12, 0x34, 0x56, 0x78};

struct Options {
  bool publish = false;
  bool nats = false;
  uint16_t port = 0;
  std::string target = "/ws";
  std::string targets_file;
  std::string subject = "bench.room";
  int count = 1;
  bool meet = false;
  int fps = 15;             // meet
  double video_kbps = 300;  // meet
  double duration_s = 15;
  double warmup_s = 2;
  double measure_s = 10;
};

std::string masked_frame(std::span<const uint8_t> payload) {
  std::string out(14 + payload.size(), '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(out.data());
  const std::size_t header = encode_ws_header(bytes, kBinary, payload.size(), kClientMask);
  for (std::size_t i = 0; i < payload.size(); ++i)
    bytes[header + i] = payload[i] ^ kClientMask[i % 4];
  out.resize(header + payload.size());
  return out;
}

std::string ws_message(const Frame& envelope) {
  return masked_frame(envelope.bytes());
}

std::string nats_publish(const std::string& subject, const Frame& envelope) {
  std::string out = "PUB " + subject + " " + std::to_string(envelope.size()) + "\r\n";
  out.append(reinterpret_cast<const char*>(envelope.bytes().data()), envelope.size());
  out += "\r\n";
  return out;
}

std::string upgrade_request(const std::string& target) {
  return "GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

std::string hello_message() {
  v1::Control control;
  auto* hello = control.mutable_hello();
  hello->set_protocol_version(v1::PROTOCOL_VERSION_1);
  hello->set_client("bench-relay-sink/0.1");
  return ws_message(*encode_control(control));
}

// Hello's PublishTracks: VP9 camera video and Opus audio.
std::string publish_tracks_messages(int fps, double video_kbps) {
  v1::Control video;
  auto* track = video.mutable_publish_track()->mutable_track();
  track->set_track_id(kVideoTrack);
  track->set_source(v1::TRACK_SOURCE_CAMERA);
  track->set_kind(v1::MEDIA_KIND_VIDEO);
  track->set_codec(v1::CODEC_VP9);
  auto* layer = track->add_layers();
  layer->set_width(640);
  layer->set_height(360);
  layer->set_max_bitrate_bps(static_cast<uint32_t>(video_kbps * 1000));
  layer->set_max_fps(static_cast<uint32_t>(fps));
  v1::Control audio;
  track = audio.mutable_publish_track()->mutable_track();
  track->set_track_id(kAudioTrack);
  track->set_source(v1::TRACK_SOURCE_MICROPHONE);
  track->set_kind(v1::MEDIA_KIND_AUDIO);
  track->set_codec(v1::CODEC_OPUS);
  return ws_message(*encode_control(video)) + ws_message(*encode_control(audio));
}

// ---- publisher ----

int publish(const Options& options) {
  const int fd = connect_loopback(options.port);
  if (fd < 0) {
    std::fprintf(stderr, "publish: cannot connect to port %u\n", options.port);
    return 1;
  }
  if (options.nats) {
    write_all(fd, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\n");
  } else {
    write_all(fd, upgrade_request(options.target));
    std::string response;
    char chunk[4096];
    while (response.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      response.append(chunk, static_cast<std::size_t>(n));
    }
    if (!response.starts_with("HTTP/1.1 101")) {
      std::fprintf(stderr, "publish: upgrade refused: %.200s\n", response.c_str());
      return 1;
    }
    write_all(fd, hello_message());  // after the 101 (RFC 6455 §4.1)
    write_all(fd, publish_tracks_messages(kFps, 860));
  }
  // The server's replies (and NATS PINGs) are drained without being looked at.
  set_nonblocking(fd);
  std::vector<uint8_t> sink(kReadChunk);
  const uint64_t start = realtime_us();
  const auto end = start + static_cast<uint64_t>(options.duration_s * 1e6);
  MediaSchedule media(kFps, kDeltaBytes, start);
  static_assert(kDeltaBytes * kKeyframeDeltas == kKeyframeBytes);
  for (;;) {
    const uint64_t due = media.next_due();
    if (due >= end) break;
    timespec until{static_cast<time_t>(due / 1000000u), static_cast<long>(due % 1000000u) * 1000};
    clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, nullptr);
    while (::recv(fd, sink.data(), sink.size(), 0) > 0) {
    }
    const FrameRef envelope = media.next();
    const std::string wire =
        options.nats ? nats_publish(options.subject, *envelope) : ws_message(*envelope);
    if (!send_all(fd, wire)) {
      std::fprintf(stderr, "publish: connection lost\n");
      return 1;
    }
  }
  std::printf("published video=%u audio=%u\n", media.video_frames(), media.audio_frames());
  close(fd);
  return 0;
}

// ---- receivers ----

struct Receiver {
  std::size_t index = 0;
  int fd = -1;
  bool upgraded = false;
  bool ready = false;
  std::string head;
  std::vector<uint8_t> in;
  std::vector<uint8_t> message;
  std::unique_ptr<MediaSchedule> media;  // meet: what this participant publishes
};

class Receivers {
 public:
  explicit Receivers(const Options& options) : options_(options), epoll_(epoll_create1(0)) {}

  int run() {
    if (!connect_all()) return 1;
    latencies_.reserve(1u << 20);
    epoll_event events[256];
    uint64_t last_progress = realtime_us();
    for (;;) {
      const int n = epoll_wait(epoll_, events, 256, wait_ms());
      for (int i = 0; i < n; ++i)
        on_readable(receivers_[static_cast<std::size_t>(events[i].data.u32)]);
      const uint64_t now = realtime_us();
      if (options_.meet) send_due_media(now);
      if (ready_ == receivers_.size() && !announced_) {
        announced_ = true;
        std::printf("ready %zu\n", ready_);
        std::fflush(stdout);
        last_progress = now;
      }
      if (first_media_us_ != 0 && !counting_ && now >= first_media_us_ + warmup_us()) {
        counting_ = true;
        window_start_us_ = now;
        std::printf("window_start\n");
        std::fflush(stdout);
      }
      if (counting_ && now >= window_start_us_ + static_cast<uint64_t>(options_.measure_s * 1e6)) {
        return report(now);
      }
      if (media_seen_ != last_media_seen_) {
        last_media_seen_ = media_seen_;
        last_progress = now;
      }
      if (now - last_progress > 30'000'000) {
        std::fprintf(stderr, "receive: no progress for 30 s (ready %zu of %zu, media %llu)\n",
                     ready_, receivers_.size(), static_cast<unsigned long long>(media_seen_));
        return 1;
      }
    }
  }

 private:
  uint64_t warmup_us() const { return static_cast<uint64_t>(options_.warmup_s * 1e6); }

  // Until the next frame a participant must send (meet), at most 100 ms.
  int wait_ms() const {
    uint64_t due = UINT64_MAX;
    for (const Receiver& receiver : receivers_) {
      if (receiver.media) due = std::min(due, receiver.media->next_due());
    }
    if (due == UINT64_MAX) return 100;
    const uint64_t now = realtime_us();
    return due <= now ? 0 : static_cast<int>(std::min<uint64_t>((due - now) / 1000, 100));
  }

  void send_due_media(uint64_t now) {
    for (Receiver& receiver : receivers_) {
      while (receiver.media && receiver.media->next_due() <= now) {
        if (!send_all(receiver.fd, ws_message(*receiver.media->next()))) {
          std::fprintf(stderr, "meet: a connection closed\n");
          std::exit(1);
        }
      }
    }
  }

  bool connect_all() {
    std::vector<std::string> targets;
    if (!options_.nats) {
      std::ifstream file(options_.targets_file);
      for (std::string line; std::getline(file, line);) {
        if (!line.empty()) targets.push_back(line);
      }
      if (targets.empty()) {
        std::fprintf(stderr, "receive: no targets in %s\n", options_.targets_file.c_str());
        return false;
      }
    }
    const std::size_t count =
        options_.nats ? static_cast<std::size_t>(options_.count) : targets.size();
    receivers_.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
      Receiver& receiver = receivers_[i];
      receiver.index = i;
      receiver.fd = connect_loopback(options_.port);
      if (receiver.fd < 0) {
        std::fprintf(stderr, "receive: connect %zu failed\n", i);
        return false;
      }
      if (options_.nats) {
        receiver.upgraded = true;
        write_all(receiver.fd, "CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB " +
                                   options_.subject + " 1\r\nPING\r\n");
      } else {
        write_all(receiver.fd, upgrade_request(targets[i]));  // Hello after the 101 (RFC 6455 §4.1)
      }
      set_nonblocking(receiver.fd);
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u32 = static_cast<uint32_t>(i);
      epoll_ctl(epoll_, EPOLL_CTL_ADD, receiver.fd, &event);
    }
    return true;
  }

  void on_readable(Receiver& receiver) {
    if (!read_available(receiver.fd, receiver.in)) {
      std::fprintf(stderr, "receive: a connection closed\n");
      std::exit(1);
    }
    if (!receiver.upgraded) {
      const std::string_view text(reinterpret_cast<const char*>(receiver.in.data()),
                                  receiver.in.size());
      const std::size_t end = text.find("\r\n\r\n");
      if (end == std::string_view::npos) return;
      if (text.substr(0, 12) != "HTTP/1.1 101") {
        std::fprintf(stderr, "receive: upgrade refused: %.*s\n",
                     static_cast<int>(std::min<std::size_t>(end, 200)), text.data());
        std::exit(1);
      }
      receiver.in.erase(receiver.in.begin(),
                        receiver.in.begin() + static_cast<std::ptrdiff_t>(end + 4));
      receiver.upgraded = true;
      write_all(receiver.fd, hello_message());
    }
    if (options_.nats) {
      parse_nats(receiver);
    } else {
      parse_ws(receiver);
    }
  }

  void parse_ws(Receiver& receiver) {
    std::size_t at = 0;
    for (;;) {
      const auto view = parse_ws_header({receiver.in.data() + at, receiver.in.size() - at});
      if (!view || receiver.in.size() - at - view->header_bytes < view->payload_bytes) break;
      const uint8_t* payload = receiver.in.data() + at + view->header_bytes;
      const std::span<const uint8_t> bytes{payload, static_cast<std::size_t>(view->payload_bytes)};
      if (view->opcode == kPing) {
        write_all(receiver.fd, pong(bytes));
      } else if (view->opcode == kClose) {
        std::fprintf(stderr, "receive: the relay closed a connection\n");
        std::exit(1);
      } else if (view->opcode == kBinary || view->opcode == kContinuation) {
        if (view->fin && receiver.message.empty()) {
          on_envelope(receiver, bytes);
        } else {
          receiver.message.insert(receiver.message.end(), bytes.begin(), bytes.end());
          if (view->fin) {
            on_envelope(receiver, receiver.message);
            receiver.message.clear();
          }
        }
      }
      at += view->header_bytes + view->payload_bytes;
    }
    receiver.in.erase(receiver.in.begin(), receiver.in.begin() + static_cast<std::ptrdiff_t>(at));
  }

  static std::string pong(std::span<const uint8_t> data) {
    std::string out = masked_frame(data);
    out[0] = static_cast<char>(0x80 | kPong);
    return out;
  }

  void parse_nats(Receiver& receiver) {
    std::size_t at = 0;
    const auto* base = reinterpret_cast<const char*>(receiver.in.data());
    for (;;) {
      const std::string_view rest(base + at, receiver.in.size() - at);
      const std::size_t line_end = rest.find("\r\n");
      if (line_end == std::string_view::npos) break;
      const std::string_view line = rest.substr(0, line_end);
      if (line.starts_with("MSG ")) {
        const std::size_t size_at = line.rfind(' ');
        const auto size =
            static_cast<std::size_t>(std::strtoull(line.data() + size_at + 1, nullptr, 10));
        if (rest.size() < line_end + 2 + size + 2) break;
        on_envelope(receiver, {reinterpret_cast<const uint8_t*>(rest.data() + line_end + 2), size});
        at += line_end + 2 + size + 2;
        continue;
      }
      if (line == "PING") write_all(receiver.fd, "PONG\r\n");
      if (line == "PONG" && !receiver.ready) {
        receiver.ready = true;  // our SUB is in place
        ++ready_;
      }
      if (line.starts_with("-ERR"))
        std::fprintf(stderr, "receive: nats %.*s\n", static_cast<int>(line.size()), line.data());
      at += line_end + 2;
    }
    receiver.in.erase(receiver.in.begin(), receiver.in.begin() + static_cast<std::ptrdiff_t>(at));
  }

  void on_envelope(Receiver& receiver, std::span<const uint8_t> bytes) {
    if (decode_envelope(bytes, limits::kMaxEnvelopeBytes, decoded_) != EnvelopeError::kNone) return;
    if (decoded_.body == DecodedEnvelope::Body::kControl) {
      if (counting_)
        ++controls_[static_cast<std::size_t>(decoded_.control.message_case()) % controls_.size()];
      if (decoded_.control.has_error()) {
        std::fprintf(stderr, "receive: the relay refused: %u %s\n", decoded_.control.error().code(),
                     decoded_.control.error().message().c_str());
      }
      if (decoded_.control.has_join_accepted() && !receiver.ready) {
        receiver.ready = true;
        ++ready_;
        if (options_.meet) start_publishing(receiver);
      }
      return;
    }
    ++media_seen_;
    const uint64_t now = realtime_us();
    if (first_media_us_ == 0) first_media_us_ = now;
    if (!counting_) return;
    ++delivered_;
    bytes_ += bytes.size();
    const uint64_t capture = decoded_.header.capture_time_us();
    latencies_.push_back(static_cast<uint32_t>(now > capture ? now - capture : 0));
  }

  // Tracks, then media on a schedule offset from the other participants' by index / count of a
  // video frame interval.
  void start_publishing(Receiver& receiver) {
    send_all(receiver.fd, publish_tracks_messages(options_.fps, options_.video_kbps));
    const uint64_t interval = 1000000 / static_cast<uint64_t>(options_.fps);
    const uint64_t offset = interval * receiver.index / receivers_.size();
    receiver.media = std::make_unique<MediaSchedule>(
        options_.fps, MediaSchedule::delta_for(options_.video_kbps, options_.fps),
        realtime_us() + offset);
  }

  int report(uint64_t now) {
    std::sort(latencies_.begin(), latencies_.end());
    auto at = [&](double q) {
      return latencies_.empty() ? 0u
                                : latencies_[static_cast<std::size_t>(
                                      q * static_cast<double>(latencies_.size() - 1))];
    };
    std::printf("window_end delivered=%llu bytes=%llu seconds=%.3f p50_us=%u p99_us=%u\n",
                static_cast<unsigned long long>(delivered_),
                static_cast<unsigned long long>(bytes_),
                static_cast<double>(now - window_start_us_) / 1e6, at(0.5), at(0.99));
    for (std::size_t field = 0; field < controls_.size(); ++field) {
      if (controls_[field] != 0) {
        std::printf("window_controls field=%zu count=%llu\n", field,
                    static_cast<unsigned long long>(controls_[field]));
      }
    }
    std::fflush(stdout);
    return 0;
  }

  const Options& options_;
  int epoll_;
  std::vector<Receiver> receivers_;
  DecodedEnvelope decoded_;
  std::vector<uint32_t> latencies_;
  std::size_t ready_ = 0;
  bool announced_ = false;
  bool counting_ = false;
  uint64_t first_media_us_ = 0;
  uint64_t window_start_us_ = 0;
  uint64_t media_seen_ = 0;
  uint64_t last_media_seen_ = 0;
  uint64_t delivered_ = 0;
  uint64_t bytes_ = 0;
  std::array<uint64_t, 64> controls_{};  // control messages in the window, by Control field number
};

int usage() {
  std::fprintf(stderr,
               "usage: bench_relay_sink publish (--ws PORT --target T | --nats PORT --subject S) "
               "[--duration S]\n"
               "       bench_relay_sink receive (--ws PORT --targets FILE | --nats PORT --subject "
               "S --count N)\n"
               "                                [--warmup S] [--measure S]\n"
               "       bench_relay_sink meet --ws PORT --targets FILE [--fps F] [--video-kbps K]\n"
               "                                [--warmup S] [--measure S]\n");
  return 2;
}

}  // namespace
}  // namespace vc::bench

int main(int argc, char** argv) {
  using vc::bench::Options;
  if (argc < 2) return vc::bench::usage();
  Options options;
  const std::string mode = argv[1];
  if (mode != "publish" && mode != "receive" && mode != "meet") return vc::bench::usage();
  options.publish = mode == "publish";
  options.meet = mode == "meet";
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return vc::bench::usage();
    const std::string value = argv[++i];
    if (arg == "--ws" || arg == "--nats") {
      options.nats = arg == "--nats";
      options.port = static_cast<uint16_t>(std::atoi(value.c_str()));
    } else if (arg == "--target") {
      options.target = value;
    } else if (arg == "--targets") {
      options.targets_file = value;
    } else if (arg == "--subject") {
      options.subject = value;
    } else if (arg == "--count") {
      options.count = std::atoi(value.c_str());
    } else if (arg == "--duration") {
      options.duration_s = std::atof(value.c_str());
    } else if (arg == "--warmup") {
      options.warmup_s = std::atof(value.c_str());
    } else if (arg == "--measure") {
      options.measure_s = std::atof(value.c_str());
    } else if (arg == "--fps") {
      options.fps = std::atoi(value.c_str());
    } else if (arg == "--video-kbps") {
      options.video_kbps = std::atof(value.c_str());
    } else {
      return vc::bench::usage();
    }
  }
  if (options.port == 0 || options.count < 1 || options.fps < 1 || options.video_kbps <= 0 ||
      (options.meet && options.nats)) {
    return vc::bench::usage();
  }
  if (options.publish) return vc::bench::publish(options);
  return vc::bench::Receivers(options).run();
}
