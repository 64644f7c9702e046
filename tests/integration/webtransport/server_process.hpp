// Starts the real videocall-server binary on a loopback port and waits for its
// "videocall-server listening on http://HOST:PORT" line (an event, not a sleep).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace vc::testing {

class ServerProcess {
 public:
  // Returns false if the server did not print its listening line.
  bool start(const std::vector<std::string>& extra_args = {}) {
    char dir_template[] = "/tmp/vc-wt-test-XXXXXX";
    data_dir_ = ::mkdtemp(dir_template);
    std::vector<std::string> args = {VC_SERVER_BIN, "--listen", "127.0.0.1", "--port", "0",
                                     "--data-dir", data_dir_,
                                     // Loopback clients join faster than the rate limit allows.
                                     "--join-rate-exempt", "127.0.0.1"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    int out[2];
    if (::pipe(out) != 0) return false;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = ::fdopen(out[0], "r");
    char line[512];
    const std::string marker = "videocall-server listening on http://";
    while (std::fgets(line, sizeof(line), stdout_) != nullptr) {
      const std::string text(line);
      const std::size_t at = text.find(marker);
      if (at == std::string::npos) continue;
      const std::string host_port = text.substr(at + marker.size());
      const std::size_t colon = host_port.rfind(':');
      host_ = host_port.substr(0, colon);
      port_ = static_cast<uint16_t>(std::stoi(host_port.substr(colon + 1)));
      return true;
    }
    return false;
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (stdout_ != nullptr) std::fclose(stdout_);
    if (!data_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_dir_, ignored);
    }
  }

  // Sends SIGTERM and returns the exit status (for shutdown tests).
  int stop() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

  const std::string& host() const { return host_; }
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  std::string data_dir_;
  std::string host_;
  uint16_t port_ = 0;
};

}  // namespace vc::testing
