// Three videocall-server nodes, one nats-server and one PostgreSQL, all real processes started
// here on free loopback ports. Participants are libvideocall clients. Every wait is on an event
// (a callback, a log line) with a deadline; "within 5 s" is such a deadline.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>

#include "harness.hpp"
#include "videocall/client.hpp"

namespace vc::scale_test {
namespace {

PostgresServer& shared_postgres() {
  static PostgresServer server;
  return server;
}

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
  Participant(client::EventLoop& loop, const std::string& name, const std::string& meeting,
              std::vector<std::string> servers) {
    client::ClientConfig config;
    config.server_url = servers.front();
    config.fallback_server_urls.assign(servers.begin() + 1, servers.end());
    config.meeting_id = meeting;
    config.display_name = name;
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
  void send_frame(uint32_t sequence) {
    v1::MediaHeader header;
    header.set_kind(v1::MEDIA_KIND_VIDEO);
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
HttpResult http_call(const std::string& method, const std::string& base_url,
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

int database_counter = 0;

class ClusterNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PostgresServer::available(why)) GTEST_FAIL() << why;
    dir_ = make_temp_dir("vc-nodes-");
    const std::string secret = dir_ + "/token_secret";
    {
      std::ofstream out(secret);
      out << std::string(64, 'a') << "\n";
    }
    ::chmod(secret.c_str(), 0600);
    const std::string db =
        "nodes_" + std::to_string(getpid()) + "_" + std::to_string(++database_counter);
    shared_postgres().create_database(db);
    for (int i = 0; i < 3; ++i) {
      nodes_.push_back(std::make_unique<Node>(dir_ + "/node" + std::to_string(i), secret,
                                              nats_.url(), shared_postgres().url(db)));
    }
  }
  void TearDown() override {
    if (HasFailure()) {
      for (auto& node : nodes_) std::cerr << "---- node log ----\n" << node->log() << "\n";
    }
    participants_.clear();
    loop_.stop();
    nodes_.clear();
    remove_tree(dir_);
  }
  // A participant that prefers node `first` and falls back to the others in order.
  Participant& join(const std::string& name, int first) {
    std::vector<std::string> servers;
    for (int i = 0; i < 3; ++i) servers.push_back(nodes_[(first + i) % 3]->url());
    participants_.push_back(std::make_unique<Participant>(loop_, name, "demo", servers));
    Participant& p = *participants_.back();
    EXPECT_TRUE(p.wait_joined(1, 10s)) << name << " did not join";
    return p;
  }

  NatsServer nats_;
  std::string dir_;
  std::vector<std::unique_ptr<Node>> nodes_;
  client::EventLoop loop_{2};
  std::vector<std::unique_ptr<Participant>> participants_;
};

TEST_F(ClusterNodes, ParticipantsOnThreeNodesReceiveEachOtherAndSeeTheFullRoster) {
  std::vector<Participant*> all;
  for (int i = 0; i < 6; ++i) all.push_back(&join("P" + std::to_string(i), i % 3));
  for (Participant* p : all) EXPECT_TRUE(p->wait_roster(5, 5s)) << "full roster everywhere";
  Traffic traffic(all);
  for (Participant* receiver : all) {
    for (Participant* sender : all) {
      if (receiver == sender) continue;
      EXPECT_TRUE(receiver->wait_media(sender->id(), 5, 5s))
          << "media from " << sender->id() << " to " << receiver->id();
    }
    EXPECT_EQ(receiver->duplicates(), 0);
  }
}

// Node 2 has nobody in the meeting, so it does not follow the room: the REST roster asks the other
// nodes over the bus instead of answering "nobody".
TEST_F(ClusterNodes, RestRosterOnANodeWithoutMembersListsEveryNodesParticipants) {
  Participant& ada = join("Ada", 0);
  Participant& bob = join("Bob", 1);
  ASSERT_TRUE(ada.wait_roster(1, 5s));
  const HttpResult list = http_call("GET", nodes_[2]->url(), "/api/v1/meetings/demo/participants");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find("\"Ada\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find("\"Bob\""), std::string::npos) << list.body;
  EXPECT_NE(list.body.find(std::to_string(bob.id())), std::string::npos) << list.body;
  const HttpResult info = http_call("GET", nodes_[2]->url(), "/api/v1/meetings/demo");
  ASSERT_EQ(info.status, 200) << info.body;
  EXPECT_NE(info.body.find("\"participant_count\":2"), std::string::npos) << info.body;
}

TEST_F(ClusterNodes, KilledNodesParticipantsReconnectElsewhereWithoutLeaveOrDuplicates) {
  Participant& on_a = join("OnA", 0);
  Participant& on_b = join("OnB", 1);
  Participant& on_c = join("OnC", 2);
  for (Participant* p : {&on_a, &on_b, &on_c}) ASSERT_TRUE(p->wait_roster(2, 5s));
  Traffic traffic({&on_a, &on_b, &on_c});
  ASSERT_TRUE(on_b.wait_media(on_a.id(), 5, 5s));
  ASSERT_TRUE(on_b.wait_media(on_c.id(), 5, 5s));
  on_b.track_gaps(true);
  on_c.track_gaps(true);

  const uint64_t a_id = on_a.id();
  nodes_[0]->kill9();
  const auto killed = Clock::now();
  EXPECT_TRUE(on_a.wait_joined(2, 5s)) << "reconnected through another node";
  EXPECT_EQ(on_a.id(), a_id) << "same identity";
  EXPECT_TRUE(on_a.resumed());
  const auto remaining = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(killed + 5s - Clock::now());
  };
  EXPECT_TRUE(on_a.wait_media(on_b.id(), 1, remaining())) << "A receives again within 5 s";
  EXPECT_TRUE(on_a.wait_media(on_c.id(), 1, remaining()));
  EXPECT_TRUE(on_b.wait_media(a_id, 1, remaining())) << "others receive A again within 5 s";
  EXPECT_TRUE(on_c.wait_media(a_id, 1, remaining()));

  // Let the dead node's liveness timeout and grace pass (about 5 s of traffic): nothing else may
  // change meanwhile.
  EXPECT_TRUE(on_b.wait_media(on_c.id(), 250, 10s));
  EXPECT_LT(on_b.max_gap(on_c.id()), 2s) << "B never stopped receiving C";
  EXPECT_LT(on_c.max_gap(on_b.id()), 2s) << "C never stopped receiving B";
  for (Participant* p : {&on_a, &on_b, &on_c}) {
    EXPECT_EQ(p->duplicates(), 0);
    EXPECT_EQ(p->roster_size(), 2u);
  }
  EXPECT_EQ(on_b.leaves_of(a_id), 0) << "a reconnect is never a leave";
  EXPECT_EQ(on_c.leaves_of(a_id), 0);
}

TEST_F(ClusterNodes, NatsRestartKeepsLocalMediaAndResumesCrossNodeMedia) {
  Participant& a1 = join("A1", 0);
  Participant& a2 = join("A2", 0);
  Participant& b1 = join("B1", 1);
  for (Participant* p : {&a1, &a2, &b1}) ASSERT_TRUE(p->wait_roster(2, 5s));
  Traffic traffic({&a1, &a2, &b1});
  ASSERT_TRUE(b1.wait_media(a1.id(), 5, 5s));

  nats_.stop();
  EXPECT_TRUE(a2.wait_media(a1.id(), 50, 5s)) << "local media never stops";
  nats_.start();
  EXPECT_TRUE(b1.wait_media(a1.id(), 5, 5s)) << "cross-node media resumes within 5 s";
  EXPECT_TRUE(a1.wait_media(b1.id(), 5, 5s));
  EXPECT_EQ(b1.duplicates(), 0);
  EXPECT_TRUE(b1.wait_roster(2, 5s));
}

TEST_F(ClusterNodes, DatabaseOutageRefusesJoinsWith503WhileCallsContinue) {
  Participant& a1 = join("A1", 0);
  Participant& b1 = join("B1", 1);
  ASSERT_TRUE(b1.wait_roster(1, 5s));
  Traffic traffic({&a1, &b1});
  ASSERT_TRUE(b1.wait_media(a1.id(), 5, 5s));

  shared_postgres().stop();
  const HttpResult refused = http_call("POST", nodes_[2]->url(), "/api/v1/meetings/demo/join",
                                       R"({"display_name":"Late"})");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("unavailable"), std::string::npos) << refused.body;
  EXPECT_TRUE(b1.wait_media(a1.id(), 50, 5s)) << "the call in progress continues";
  EXPECT_TRUE(a1.wait_media(b1.id(), 50, 5s));

  shared_postgres().start();
  const HttpResult accepted = http_call("POST", nodes_[2]->url(), "/api/v1/meetings/demo/join",
                                        R"({"display_name":"Late"})");
  EXPECT_EQ(accepted.status, 200) << accepted.body;
}

}  // namespace
}  // namespace vc::scale_test
