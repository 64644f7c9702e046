// Shared by the scale tests that run server nodes: a node process, a libvideocall participant
// that records what it sees, steady traffic, and a raw HTTP call.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "videocall/client.hpp"

namespace vc::scale_test {

// One server node process.
class Node {
 public:
  Node(std::string dir, const std::string& secret_file, const std::string& nats_url,
       const std::string& database_url)
      : dir_(std::move(dir)) {
    argv_ = {
        VC_SERVER_BIN, "--listen", "127.0.0.1", "--port", "0", "--no-quic", "--data-dir", dir_,
        "--token-secret-file", secret_file, "--nats-url", nats_url, "--database", database_url,
        "--log-level", "info",
        // Every client of the test joins from loopback, faster than the join rate limit allows.
        "--join-rate-exempt", "127.0.0.1"};
    start();
  }
  void start() {
    process_ = ChildProcess::spawn(argv_);
    const std::string marker = "videocall-server listening on ";
    const auto end = process_->wait_for_output(marker, 20s);
    if (!end) throw std::runtime_error("node did not start: " + process_->output());
    const std::string out = process_->output();
    url_ = out.substr(*end, out.find('\n', *end) - *end);
  }
  void kill9() {
    process_->signal(SIGKILL);
    process_->wait();
  }
  const std::string& url() const { return url_; }
  std::string log() const { return process_->output(); }

 private:
  std::string dir_;
  std::vector<std::string> argv_;
  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

using Clock = std::chrono::steady_clock;

// A libvideocall participant that records what it sees.
class Participant {
 public:
  // With a `token` (a room token minted for the meeting), it joins with that instead of the join
  // API.
  Participant(client::EventLoop& loop, const std::string& name, const std::string& meeting,
              std::vector<std::string> servers, const std::string& token = {}) {
    client::ClientConfig config;
    config.server_url = servers.front();
    config.fallback_server_urls.assign(servers.begin() + 1, servers.end());
    if (token.empty()) {
      config.meeting_id = meeting;
      config.display_name = name;
    } else {
      config.token = token;
    }
    config.initial_media_state.set_mic_on(true);
    config.initial_media_state.set_camera_on(true);
    config.reconnect_initial_delay = 100ms;
    config.reconnect_max_delay = 1000ms;
    config.connect_timeout = 2000ms;
    client::ClientEvents events;
    events.on_joined = [this](const client::JoinInfo& info) {
      std::lock_guard lock(mutex_);
      id_ = info.participant_id;
      ++joined_;
      resumed_ = info.resumed;
      roster_.clear();
      for (const auto& p : info.roster) roster_[p.participant_id()] = p;
      changed_.notify_all();
    };
    events.on_participant_joined = [this](const v1::Participant& p) {
      std::lock_guard lock(mutex_);
      if (roster_.count(p.participant_id()) != 0) ++duplicates_;
      roster_[p.participant_id()] = p;
      changed_.notify_all();
    };
    events.on_participant_updated = [this](const v1::Participant& p) {
      std::lock_guard lock(mutex_);
      if (p.participant_id() == id_) return;  // our own raised hand comes back too
      roster_[p.participant_id()] = p;
      changed_.notify_all();
    };
    events.on_participant_left = [this](uint64_t id, v1::LeaveReason) {
      std::lock_guard lock(mutex_);
      roster_.erase(id);
      ++leaves_[id];
      changed_.notify_all();
    };
    events.on_media = [this](const v1::MediaHeader& header, std::span<const uint8_t>) {
      std::lock_guard lock(mutex_);
      const uint64_t from = header.sender_participant_id();
      const auto now = Clock::now();
      auto& stats = media_[from];
      if (stats.count > 0 && tracking_gaps_)
        stats.max_gap = std::max(stats.max_gap, now - stats.last);
      stats.last = now;
      ++stats.count;
      ++by_kind_[{from, header.kind()}];
      changed_.notify_all();
    };
    events.on_chat = [this](const v1::ChatMessage& message) {
      std::lock_guard lock(mutex_);
      chat_.push_back(message);
      changed_.notify_all();
    };
    events.on_reaction = [this](const v1::Reaction& reaction) {
      std::lock_guard lock(mutex_);
      reactions_.push_back(reaction);
      changed_.notify_all();
    };
    events.on_refused = [this](const v1::Refused& refused) {
      std::lock_guard lock(mutex_);
      refused_.push_back(refused);
      changed_.notify_all();
    };
    events.on_closed = [this](const client::ClientError&) {
      std::lock_guard lock(mutex_);
      closed_ = true;
      changed_.notify_all();
    };
    client_ = client::Client::create(loop, std::move(config), std::move(events));
    client_->start();
  }
  // The callbacks above point at this object: wait for on_closed, after which the client calls
  // none of them, before our members go away (a callback may be running on a loop thread now).
  ~Participant() {
    client_->leave();
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 5s, [&] { return closed_; });
  }

  // `pred` runs with the lock held: it reads the members directly, never through the locking
  // accessors below (that would deadlock).
  template <typename Pred>
  bool wait_for(Pred pred, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return pred(); });
  }
  bool wait_joined(int times, std::chrono::milliseconds timeout) {
    return wait_for([&] { return joined_ >= times; }, timeout);
  }
  bool wait_roster(std::size_t size, std::chrono::milliseconds timeout) {
    return wait_for([&] { return roster_.size() == size; }, timeout);
  }
  uint64_t media_count(uint64_t from) {
    std::lock_guard lock(mutex_);
    return media_[from].count;
  }
  uint64_t media_count(uint64_t from, v1::MediaKind kind) {
    std::lock_guard lock(mutex_);
    return by_kind_[{from, kind}];
  }
  // Waits until `count` frames of `kind` from `from` arrived in all.
  bool wait_media_of_kind(uint64_t from, v1::MediaKind kind, uint64_t count,
                          std::chrono::milliseconds timeout) {
    return wait_for([&] { return by_kind_[{from, kind}] >= count; }, timeout);
  }
  // Waits until `more` further frames from `from` arrive.
  bool wait_media(uint64_t from, uint64_t more, std::chrono::milliseconds timeout) {
    const uint64_t target = media_count(from) + more;
    return wait_for([&] { return media_[from].count >= target; }, timeout);
  }
  void track_gaps(bool on) {
    std::lock_guard lock(mutex_);
    tracking_gaps_ = on;
    for (auto& [id, s] : media_) s.max_gap = {};
  }
  Clock::duration max_gap(uint64_t from) {
    std::lock_guard lock(mutex_);
    return media_[from].max_gap;
  }
  void send_frame(uint32_t sequence, v1::MediaKind kind = v1::MEDIA_KIND_VIDEO) {
    v1::MediaHeader header;
    header.set_kind(kind);
    header.set_keyframe(true);
    header.set_sequence(sequence);
    const uint8_t payload[64] = {};
    client_->send_media(header, payload);
  }
  uint64_t id() {
    std::lock_guard lock(mutex_);
    return id_;
  }
  int joined() {
    std::lock_guard lock(mutex_);
    return joined_;
  }
  bool resumed() {
    std::lock_guard lock(mutex_);
    return resumed_;
  }
  int duplicates() {
    std::lock_guard lock(mutex_);
    return duplicates_;
  }
  int leaves_of(uint64_t id) {
    std::lock_guard lock(mutex_);
    return leaves_[id];
  }
  // Chat, hands and reactions (docs/PROTOCOL.md §12).
  client::Client& client() { return *client_; }
  bool wait_chat(const std::string& text, std::chrono::milliseconds timeout) {
    return wait_for(
        [&] {
          return std::any_of(chat_.begin(), chat_.end(),
                             [&](const v1::ChatMessage& m) { return m.text() == text; });
        },
        timeout);
  }
  std::vector<std::string> chat_texts() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> texts;
    for (const auto& m : chat_) texts.push_back(m.text());
    return texts;
  }
  bool wait_reaction(uint64_t from, std::chrono::milliseconds timeout) {
    return wait_for(
        [&] {
          return std::any_of(reactions_.begin(), reactions_.end(),
                             [&](const v1::Reaction& r) { return r.participant_id() == from; });
        },
        timeout);
  }
  bool wait_hand(uint64_t of, bool raised, std::chrono::milliseconds timeout) {
    return wait_for(
        [&] {
          const auto it = roster_.find(of);
          return it != roster_.end() && (it->second.hand_raised_at_us() != 0) == raised;
        },
        timeout);
  }
  // Refused answers (docs/PROTOCOL.md §4a, §13), in arrival order.
  std::vector<v1::Refused> refused() {
    std::lock_guard lock(mutex_);
    return refused_;
  }
  bool wait_for_refused(uint32_t code, std::chrono::milliseconds timeout) {
    return wait_for(
        [&] {
          return std::any_of(refused_.begin(), refused_.end(),
                             [&](const v1::Refused& r) { return r.code() == code; });
        },
        timeout);
  }
  std::size_t roster_size() {
    std::lock_guard lock(mutex_);
    return roster_.size();
  }

 private:
  struct MediaStats {
    uint64_t count = 0;
    Clock::time_point last{};
    Clock::duration max_gap{};
  };
  std::mutex mutex_;
  bool closed_ = false;
  std::condition_variable changed_;
  uint64_t id_ = 0;
  int joined_ = 0;
  bool resumed_ = false;
  int duplicates_ = 0;
  bool tracking_gaps_ = false;
  std::map<uint64_t, v1::Participant> roster_;
  std::map<uint64_t, int> leaves_;
  std::map<uint64_t, MediaStats> media_;
  std::map<std::pair<uint64_t, int>, uint64_t> by_kind_;
  std::vector<v1::ChatMessage> chat_;
  std::vector<v1::Reaction> reactions_;
  std::vector<v1::Refused> refused_;
  std::shared_ptr<client::Client> client_;
};

// Sends one small frame per participant every 20 ms until destroyed.
class Traffic {
 public:
  explicit Traffic(std::vector<Participant*> senders) : senders_(std::move(senders)) {
    thread_ = std::thread([this] {
      uint32_t sequence = 0;
      std::unique_lock lock(mutex_);
      while (!stop_) {
        for (Participant* p : senders_) p->send_frame(sequence);
        ++sequence;
        stopped_.wait_for(lock, 20ms, [this] { return stop_; });
      }
    });
  }
  ~Traffic() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    thread_.join();
  }

 private:
  std::vector<Participant*> senders_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  std::thread thread_;
};

struct HttpResult {
  int status = 0;
  std::string body;
};

// A minimal blocking HTTP/1.1 request to the REST API, to see status codes the client hides.
inline HttpResult http_call(const std::string& method, const std::string& base_url,
                            const std::string& path, const std::string& body = {}) {
  const auto colon = base_url.rfind(':');
  const int port = std::stoi(base_url.substr(colon + 1));
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  HttpResult result;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return result;
  }
  const std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                              "Content-Type: application/json\r\nConnection: close\r\n" +
                              "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(fd, buffer, sizeof buffer)) > 0)
    response.append(buffer, static_cast<std::size_t>(n));
  close(fd);
  if (response.size() > 12) result.status = std::atoi(response.substr(9, 3).c_str());
  const auto body_at = response.find("\r\n\r\n");
  if (body_at != std::string::npos) result.body = response.substr(body_at + 4);
  return result;
}

}  // namespace vc::scale_test
