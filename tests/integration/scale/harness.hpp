// Test harness for the scale tests: child processes whose output we wait on (events, never
// sleeps), free loopback ports, and throwaway nats-server / PostgreSQL instances.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace vc::scale_test {

using namespace std::chrono_literals;

// A child process with stdout and stderr merged into one captured stream.
class ChildProcess {
 public:
  // Starts argv[0] (a path). With `run_as`, drops to that user first (when we are root).
  static std::unique_ptr<ChildProcess> spawn(const std::vector<std::string>& argv,
                                             const std::string& run_as = {});
  ~ChildProcess();

  // Waits until the captured output contains `needle` after byte offset `from`. Returns the
  // offset just past the match, or nullopt on timeout or exit.
  std::optional<std::size_t> wait_for_output(const std::string& needle,
                                             std::chrono::milliseconds timeout,
                                             std::size_t from = 0);
  std::string output() const;
  std::size_t output_size() const;
  void signal(int sig);
  int wait();  // reaps; returns the raw wait status
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

 private:
  ChildProcess() = default;
  void read_loop(int fd);

  pid_t pid_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string output_;
  bool eof_ = false;
};

uint16_t free_tcp_port();
std::string make_temp_dir(const std::string& prefix);
void remove_tree(const std::string& path);

// nats-server on a loopback port; restartable on the same port.
class NatsServer {
 public:
  // `extra_args` go to nats-server (e.g. --user/--pass to require credentials).
  explicit NatsServer(std::vector<std::string> extra_args = {});
  ~NatsServer();
  void start();
  void stop();  // SIGKILL: an abrupt outage
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }

 private:
  uint16_t port_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<ChildProcess> process_;
};

// A throwaway PostgreSQL 15 cluster in a temp dir. PostgreSQL refuses to run as root, so when the
// tests run as root the server runs as the system user created by scripts/create-test-user.sh.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  void start();
  void stop();  // fast shutdown (SIGINT): connections are cut
  // postgres://postgres@127.0.0.1:PORT/DB
  std::string url(const std::string& database = "postgres") const;
  void create_database(const std::string& name);
  static bool available(std::string& why);

 private:
  uint16_t port_;
  std::string dir_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace vc::scale_test
