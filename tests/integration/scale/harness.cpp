#include "harness.hpp"

#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace vc::scale_test {

namespace {

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";
constexpr const char* kTestUser = "videocall-test";

std::optional<std::pair<uid_t, gid_t>> lookup_user(const std::string& name) {
  if (passwd* pw = getpwnam(name.c_str())) return std::make_pair(pw->pw_uid, pw->pw_gid);
  return std::nullopt;
}

// The user PostgreSQL runs as: ourselves, or the dedicated test user when we are root.
std::string pg_user() {
  return geteuid() == 0 ? kTestUser : std::string();
}

void run_to_completion(const std::vector<std::string>& argv, const std::string& run_as) {
  auto child = ChildProcess::spawn(argv, run_as);
  const int status = child->wait();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(argv[0] + " failed: " + child->output());
  }
}

}  // namespace

std::unique_ptr<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv,
                                                  const std::string& run_as) {
  std::optional<std::pair<uid_t, gid_t>> ids;
  if (!run_as.empty()) {
    ids = lookup_user(run_as);
    if (!ids) throw std::runtime_error("no such user: " + run_as);
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    setpgid(0, 0);
    if (ids) {
      // Our working directory may not be readable by that user.
      if (chdir("/") != 0) _exit(126);
      if (setgroups(0, nullptr) != 0 || setgid(ids->second) != 0 || setuid(ids->first) != 0) {
        _exit(126);
      }
    }
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = pid;
  child->reader_ = std::thread([raw = child.get(), fd = pipe_fds[0]] { raw->read_loop(fd); });
  return child;
}

void ChildProcess::read_loop(int fd) {
  char buffer[4096];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    std::lock_guard lock(mutex_);
    output_.append(buffer, static_cast<std::size_t>(n));
    changed_.notify_all();
  }
  close(fd);
  std::lock_guard lock(mutex_);
  eof_ = true;
  changed_.notify_all();
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    wait();
  }
  if (reader_.joinable()) reader_.join();
}

std::optional<std::size_t> ChildProcess::wait_for_output(const std::string& needle,
                                                         std::chrono::milliseconds timeout,
                                                         std::size_t from) {
  std::unique_lock lock(mutex_);
  std::optional<std::size_t> found;
  changed_.wait_for(lock, timeout, [&] {
    const std::size_t at = output_.find(needle, std::min(from, output_.size()));
    if (at != std::string::npos) found = at + needle.size();
    return found.has_value() || eof_;
  });
  return found;
}

std::string ChildProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

std::size_t ChildProcess::output_size() const {
  std::lock_guard lock(mutex_);
  return output_.size();
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ChildProcess::wait() {
  int status = 0;
  if (pid_ > 0) {
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  return status;
}

uint16_t free_tcp_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

void remove_tree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

NatsServer::NatsServer(std::vector<std::string> extra_args)
    : port_(free_tcp_port()), extra_args_(std::move(extra_args)) {
  start();
}

NatsServer::~NatsServer() {
  stop();
}

void NatsServer::start() {
  std::vector<std::string> argv = {"/usr/sbin/nats-server", "-a", "127.0.0.1", "-p",
                                   std::to_string(port_)};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  process_ = ChildProcess::spawn(argv);
  if (!process_->wait_for_output("Server is ready", 10s)) {
    throw std::runtime_error("nats-server did not start: " + process_->output());
  }
}

void NatsServer::stop() {
  if (process_) {
    process_->signal(SIGKILL);
    process_->wait();
    process_.reset();
  }
}

bool PostgresServer::available(std::string& why) {
  if (access((std::string(kPgBin) + "/postgres").c_str(), X_OK) != 0) {
    why = "PostgreSQL 15 is not installed (make deps)";
    return false;
  }
  if (geteuid() == 0 && !lookup_user(kTestUser)) {
    why = std::string("running as root needs the '") + kTestUser +
          "' user: run scripts/create-test-user.sh (make deps does)";
    return false;
  }
  return true;
}

PostgresServer::PostgresServer() : port_(free_tcp_port()), dir_(make_temp_dir("vc-pg-")) {
  const std::string user = pg_user();
  if (!user.empty()) {
    const auto ids = lookup_user(user);
    if (!ids || chown(dir_.c_str(), ids->first, ids->second) != 0) {
      throw std::runtime_error("cannot hand " + dir_ + " to " + user);
    }
  }
  run_to_completion({std::string(kPgBin) + "/initdb", "-D", dir_ + "/data", "-U", "postgres", "-A",
                     "trust", "--no-sync", "-E", "UTF8"},
                    user);
  start();
}

PostgresServer::~PostgresServer() {
  stop();
  remove_tree(dir_);
}

void PostgresServer::start() {
  process_ = ChildProcess::spawn(
      {std::string(kPgBin) + "/postgres", "-D", dir_ + "/data", "-p", std::to_string(port_), "-k",
       dir_, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"},
      pg_user());
  if (!process_->wait_for_output("database system is ready to accept connections", 30s)) {
    throw std::runtime_error("postgres did not start: " + process_->output());
  }
}

void PostgresServer::stop() {
  if (process_) {
    process_->signal(SIGINT);
    process_->wait();
    process_.reset();
  }
}

std::string PostgresServer::url(const std::string& database) const {
  return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

void PostgresServer::create_database(const std::string& name) {
  run_to_completion({std::string(kPgBin) + "/psql", "-q", "-v", "ON_ERROR_STOP=1", url(), "-c",
                     "CREATE DATABASE " + name},
                    {});
}

}  // namespace vc::scale_test
