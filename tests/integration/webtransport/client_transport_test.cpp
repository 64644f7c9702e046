// libvideocall's WebTransport transport against the real server binary: a Client over
// WebTransport and a Client over the WebSocket join one meeting and exchange media both ways;
// against --no-quic, kAuto lands on the WebSocket and kWebTransport fails with a clear error; a
// WebTransport client whose UDP socket buffer keeps filling loses no datagram.
// Every wait is on an event (a condition variable) with a deadline, never a fixed sleep.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/transport.hpp"
#include "server_process.hpp"
#include "videocall/client.hpp"
#include "videocall/event_loop.hpp"

namespace vc {
namespace {

using namespace std::chrono_literals;
using client::TransportKind;
using client::TransportPreference;

// What one Client saw; every field is guarded by `mutex` and announced through `changed`.
struct Observed {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<client::JoinInfo> joined;
  std::optional<client::ClientError> closed;
  int video_received = 0;
  int audio_received = 0;
  uint32_t last_video_sequence = 0;
  uint32_t last_video_track = 0;
  std::vector<v1::Track> peer_tracks;  // the latest track list of the last peer that changed

  template <class Predicate>
  bool wait_for(Predicate predicate, std::chrono::seconds deadline = 15s) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, deadline, [&] { return predicate(*this); });
  }
};

std::shared_ptr<client::Client> make_client(client::EventLoop& loop, const std::string& url,
                                            const std::string& name, TransportPreference transport,
                                            Observed& seen) {
  client::ClientConfig config;
  config.server_url = url;
  config.meeting_id = "client-transport";
  config.display_name = name;
  config.transport = transport;
  config.reconnect = false;
  client::ClientEvents events;
  events.on_joined = [&seen](const client::JoinInfo& info) {
    std::lock_guard lock(seen.mutex);
    seen.joined = info;
    seen.changed.notify_all();
  };
  events.on_media = [&seen](const v1::MediaHeader& header, std::span<const uint8_t>) {
    std::lock_guard lock(seen.mutex);
    if (header.kind() == v1::MEDIA_KIND_VIDEO) {
      ++seen.video_received;
      seen.last_video_sequence = header.sequence();
      seen.last_video_track = header.track_id();
    } else if (header.kind() == v1::MEDIA_KIND_AUDIO) {
      ++seen.audio_received;
    }
    seen.changed.notify_all();
  };
  events.on_participant_updated = [&seen](const v1::Participant& peer) {
    std::lock_guard lock(seen.mutex);
    seen.peer_tracks.assign(peer.tracks().begin(), peer.tracks().end());
    seen.changed.notify_all();
  };
  events.on_closed = [&seen](const client::ClientError& error) {
    std::lock_guard lock(seen.mutex);
    seen.closed = error;
    seen.changed.notify_all();
  };
  return client::Client::create(loop, std::move(config), std::move(events));
}

v1::MediaHeader header(v1::MediaKind kind, uint32_t sequence) {
  v1::MediaHeader h;
  h.set_kind(kind);
  h.set_sequence(sequence);
  h.set_keyframe(kind == v1::MEDIA_KIND_VIDEO && sequence == 0);
  h.set_codec(kind == v1::MEDIA_KIND_VIDEO ? v1::CODEC_VP9 : v1::CODEC_OPUS);
  return h;
}

void send_frames(client::Client& sender, int count) {
  const std::vector<uint8_t> video(6000, 0x5a);  // several QUIC packets: a multi-packet record
  const std::vector<uint8_t> audio(80, 0x11);    // fits a datagram
  for (int i = 0; i < count; ++i) {
    sender.send_media(header(v1::MEDIA_KIND_VIDEO, static_cast<uint32_t>(i)), video);
    sender.send_media(header(v1::MEDIA_KIND_AUDIO, static_cast<uint32_t>(i)), audio);
  }
}

std::string server_url(const testing::ServerProcess& server) {
  return "http://" + server.host() + ":" + std::to_string(server.port());
}

TEST(ClientWebTransport, WebTransportAndWebSocketClientsExchangeMedia) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start()) << "server did not start";
  client::EventLoop loop(2);
  Observed wt_seen;
  Observed ws_seen;
  auto wt =
      make_client(loop, server_url(server), "wt", TransportPreference::kWebTransport, wt_seen);
  auto ws = make_client(loop, server_url(server), "ws", TransportPreference::kWebSocket, ws_seen);
  // wt publishes its tracks up front (they go out right behind Hello); ws publishes by sending:
  // on its ordered WebSocket the PublishTrack cannot be overtaken by the first frame.
  wt->publish_track(client::default_track(v1::MEDIA_KIND_VIDEO, v1::CODEC_VP9, 640, 360));
  wt->publish_track(client::default_track(v1::MEDIA_KIND_AUDIO, v1::CODEC_OPUS));
  wt->start();
  ASSERT_TRUE(wt_seen.wait_for([](Observed& s) { return s.joined || s.closed; }));
  ASSERT_TRUE(wt_seen.joined) << wt_seen.closed->message;
  EXPECT_EQ(wt_seen.joined->transport, TransportKind::kWebTransport);
  ws->start();
  ASSERT_TRUE(ws_seen.wait_for([](Observed& s) { return s.joined || s.closed; }));
  ASSERT_TRUE(ws_seen.joined) << ws_seen.closed->message;
  EXPECT_EQ(ws_seen.joined->transport, TransportKind::kWebSocket);

  constexpr int kFrames = 30;
  send_frames(*wt, kFrames);
  EXPECT_TRUE(ws_seen.wait_for([](Observed& s) {
    return s.video_received == kFrames && s.audio_received == kFrames;
  })) << "ws got video "
      << ws_seen.video_received << " audio " << ws_seen.audio_received;
  send_frames(*ws, kFrames);
  EXPECT_TRUE(wt_seen.wait_for([](Observed& s) {
    return s.video_received == kFrames && s.audio_received == kFrames;
  })) << "wt got video "
      << wt_seen.video_received << " audio " << wt_seen.audio_received;
  EXPECT_EQ(wt_seen.last_video_sequence, kFrames - 1u);
  EXPECT_EQ(wt->stats().reconnects, 0u);

  // Frames on track 0 went out on the default tracks, which the client published first.
  EXPECT_EQ(wt_seen.last_video_track, client::kCameraTrackId);
  const auto has = [](const Observed& s, uint32_t id, v1::TrackSource source) {
    for (const auto& track : s.peer_tracks) {
      if (track.track_id() == id && track.source() == source) return true;
    }
    return false;
  };
  EXPECT_TRUE(wt_seen.wait_for([&](Observed& s) {
    return has(s, client::kCameraTrackId, v1::TRACK_SOURCE_CAMERA) &&
           has(s, client::kMicrophoneTrackId, v1::TRACK_SOURCE_MICROPHONE);
  })) << "wt sees "
      << wt_seen.peer_tracks.size() << " tracks of ws";
  ASSERT_TRUE(ws_seen.joined);
  bool wt_tracks_in_roster = false;
  for (const auto& peer : ws_seen.joined->roster) wt_tracks_in_roster |= peer.tracks_size() == 2;
  EXPECT_TRUE(wt_tracks_in_roster) << "ws joined after wt: its roster lists wt's two tracks";

  // An explicit screen track with two simulcast layers, then its removal.
  v1::Track screen;
  screen.set_track_id(client::kScreenTrackId);
  screen.set_source(v1::TRACK_SOURCE_SCREEN);
  screen.set_kind(v1::MEDIA_KIND_SCREEN);
  screen.set_codec(v1::CODEC_VP9);
  auto* low = screen.add_layers();
  low->set_width(640);
  low->set_height(360);
  auto* high = screen.add_layers();
  high->set_spatial_layer(1);
  high->set_width(1920);
  high->set_height(1080);
  wt->publish_track(screen);
  EXPECT_TRUE(ws_seen.wait_for([&](Observed& s) {
    for (const auto& track : s.peer_tracks) {
      if (track.track_id() == client::kScreenTrackId) return track.layers_size() == 2;
    }
    return false;
  }));
  wt->unpublish_track(client::kScreenTrackId);
  EXPECT_TRUE(ws_seen.wait_for([&](Observed& s) {
    return !has(s, client::kScreenTrackId, v1::TRACK_SOURCE_SCREEN) &&
           has(s, client::kCameraTrackId, v1::TRACK_SOURCE_CAMERA);
  }));

  wt->leave();
  ws->leave();
  EXPECT_TRUE(wt_seen.wait_for([](Observed& s) { return s.closed.has_value(); }));
  EXPECT_TRUE(ws_seen.wait_for([](Observed& s) { return s.closed.has_value(); }));
  EXPECT_EQ(wt_seen.closed->kind, client::ErrorKind::kLocalClose);
  loop.drain();
}

TEST(ClientWebTransport, WithoutQuicAutoUsesTheWebSocketAndWebTransportOnlyFails) {
  testing::ServerProcess server;
  ASSERT_TRUE(server.start({"--no-quic"})) << "server did not start";
  client::EventLoop loop(1);
  Observed auto_seen;
  Observed wt_seen;
  auto automatic =
      make_client(loop, server_url(server), "auto", TransportPreference::kAuto, auto_seen);
  auto wt_only =
      make_client(loop, server_url(server), "wt", TransportPreference::kWebTransport, wt_seen);
  automatic->start();
  wt_only->start();
  ASSERT_TRUE(auto_seen.wait_for([](Observed& s) { return s.joined || s.closed; }));
  ASSERT_TRUE(auto_seen.joined) << auto_seen.closed->message;
  EXPECT_EQ(auto_seen.joined->transport, TransportKind::kWebSocket);
  ASSERT_TRUE(wt_seen.wait_for([](Observed& s) { return s.closed.has_value(); }));
  EXPECT_FALSE(wt_seen.joined);
  EXPECT_EQ(wt_seen.closed->kind, client::ErrorKind::kUnreachable);
  EXPECT_NE(wt_seen.closed->message.find("offers no WebTransport"), std::string::npos)
      << wt_seen.closed->message;
  automatic->leave();
  EXPECT_TRUE(auto_seen.wait_for([](Observed& s) { return s.closed.has_value(); }));
  loop.drain();
}

TEST(ClientWebTransport, AFullSocketBufferDelaysPacketsAndLosesNoDatagram) {
  // Every other sendmmsg of the WebTransport clients made here finds the socket buffer full
  // (EAGAIN), which loopback never does by itself.
  std::atomic<int> calls{0};
  std::atomic<int> refused{0};
  client::set_webtransport_send_function([&](int fd, mmsghdr* messages, unsigned count) {
    if (calls++ % 2 == 1) {
      ++refused;
      errno = EAGAIN;
      return -1;
    }
    return ::sendmmsg(fd, messages, count, MSG_DONTWAIT);
  });
  struct Restore {
    ~Restore() { client::set_webtransport_send_function({}); }
  } restore;

  testing::ServerProcess server;
  ASSERT_TRUE(server.start()) << "server did not start";
  client::EventLoop loop(2);
  Observed wt_seen;
  Observed ws_seen;
  auto wt =
      make_client(loop, server_url(server), "wt", TransportPreference::kWebTransport, wt_seen);
  auto ws = make_client(loop, server_url(server), "ws", TransportPreference::kWebSocket, ws_seen);
  wt->start();
  ws->start();
  for (Observed* seen : {&wt_seen, &ws_seen}) {
    ASSERT_TRUE(seen->wait_for([](Observed& o) { return o.joined || o.closed; }));
    ASSERT_TRUE(seen->joined) << seen->closed->message;
  }
  ASSERT_EQ(wt_seen.joined->transport, TransportKind::kWebTransport);

  // Audio rides datagrams, which nobody resends: one dropped with a full buffer is gone. Rounds
  // small enough for the server's audio lane, each waited for.
  constexpr int kRounds = 20;
  constexpr int kPerRound = 10;
  const std::vector<uint8_t> audio(80, 0x11);
  const std::vector<uint8_t> video(6000, 0x5a);
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < kPerRound; ++i) {
      const auto sequence = static_cast<uint32_t>(round * kPerRound + i);
      wt->send_media(header(v1::MEDIA_KIND_AUDIO, sequence), audio);
    }
    wt->send_media(header(v1::MEDIA_KIND_VIDEO, static_cast<uint32_t>(round)), video);
    ASSERT_TRUE(ws_seen.wait_for([&](Observed& o) {
      return o.audio_received >= (round + 1) * kPerRound && o.video_received >= round + 1;
    })) << "round "
        << round << ": " << ws_seen.audio_received << " audio frames arrived of "
        << (round + 1) * kPerRound;
  }
  EXPECT_EQ(ws_seen.audio_received, kRounds * kPerRound);
  EXPECT_GT(refused.load(), kRounds) << "the socket buffer was seldom full: the test proved little";
  wt->leave();
  ws->leave();
  ASSERT_TRUE(wt_seen.wait_for([](Observed& o) { return o.closed.has_value(); }));
  ASSERT_TRUE(ws_seen.wait_for([](Observed& o) { return o.closed.has_value(); }));
  // The CONNECTION_CLOSE may still wait for the socket: let it go out before the loop stops.
  loop.drain();
}

}  // namespace
}  // namespace vc
