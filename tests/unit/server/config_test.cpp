// --config FILE: precedence (flag > environment > file > default), lists and flags from the file,
// errors for unknown keys and missing files, and the example file covering every option.
#include "server/app/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace vc::app {
namespace {

namespace fs = std::filesystem;

// Sets environment variables for one test and restores them after it.
class ScopedEnv {
 public:
  ~ScopedEnv() {
    for (const auto& [name, previous] : saved_) {
      if (previous) {
        ::setenv(name.c_str(), previous->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  void set(const std::string& name, const std::string& value) {
    save(name);
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  void unset(const std::string& name) {
    save(name);
    ::unsetenv(name.c_str());
  }

 private:
  void save(const std::string& name) {
    const char* value = std::getenv(name.c_str());
    saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vc-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    // The developer's shell must not leak into the precedence checks.
    for (const char* name : {"VIDEOCALL_CONFIG", "VIDEOCALL_PORT", "VIDEOCALL_LOG_LEVEL",
                             "VIDEOCALL_PEER_URLS", "VIDEOCALL_NO_QUIC", "VIDEOCALL_DATA_DIR"}) {
      env_.unset(name);
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // parse_config on a copy of args (argv[0] added).
  static std::variant<ServerConfig, int> parse(std::vector<std::string> args) {
    args.insert(args.begin(), "videocall-server");
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    return parse_config(static_cast<int>(argv.size()), argv.data());
  }

  static ServerConfig parsed(std::vector<std::string> args) {
    auto result = parse(std::move(args));
    if (const int* code = std::get_if<int>(&result)) {
      ADD_FAILURE() << "parse_config failed with exit code " << *code;
      return {};
    }
    return std::get<ServerConfig>(result);
  }

  fs::path dir_;
  ScopedEnv env_;
};

TEST_F(ConfigFile, FileBeatsDefaults) {
  const auto file = write("a.toml", "port = 9001\nlog-level = \"debug\"\n");
  const ServerConfig config = parsed({"--config", file});
  EXPECT_EQ(config.port, 9001);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.data_dir, "data");  // untouched default
}

TEST_F(ConfigFile, EnvironmentBeatsFile) {
  const auto file = write("a.toml", "port = 9001\nlog-level = \"debug\"\n");
  env_.set("VIDEOCALL_PORT", "9002");
  const ServerConfig config = parsed({"--config", file});
  EXPECT_EQ(config.port, 9002);
  EXPECT_EQ(config.log_level, "debug");  // only the variable that is set overrides
}

TEST_F(ConfigFile, FlagBeatsEnvironmentAndFile) {
  const auto file = write("a.toml", "port = 9001\n");
  env_.set("VIDEOCALL_PORT", "9002");
  EXPECT_EQ(parsed({"--config", file, "--port", "9003"}).port, 9003);
  EXPECT_EQ(parsed({"--port", "9003", "--config", file}).port, 9003);
}

TEST_F(ConfigFile, EmptyVariableDoesNotOverrideFile) {
  const auto file = write("a.toml", "port = 9001\n");
  env_.set("VIDEOCALL_PORT", "");
  EXPECT_EQ(parsed({"--config", file}).port, 9001);
}

TEST_F(ConfigFile, ListsAndFlags) {
  const auto file = write("a.toml",
                          "# comment\n"
                          "peer-url = [\"http://node2:8080\", \"https://node3.example.com/\"]\n"
                          "no-quic = true\n");
  const ServerConfig config = parsed({"--config", file});
  EXPECT_EQ(config.peer_urls,
            (std::vector<std::string>{"http://node2:8080", "https://node3.example.com"}));
  EXPECT_TRUE(config.no_quic);
  env_.set("VIDEOCALL_PEER_URLS", "http://a:1,http://b:2");
  EXPECT_EQ(parsed({"--config", file}).peer_urls,
            (std::vector<std::string>{"http://a:1", "http://b:2"}));
}

TEST_F(ConfigFile, FileValuesAreValidated) {
  EXPECT_NE(std::get<int>(parse({"--config", write("a.toml", "log-level = \"loud\"\n")})), 0);
  EXPECT_NE(std::get<int>(parse({"--config", write("b.toml", "idle-timeout = 1\n")})), 0);
}

TEST_F(ConfigFile, UnknownKeyIsAnError) {
  const auto file = write("a.toml", "prot = 9001\n");
  const auto result = parse({"--config", file});
  ASSERT_TRUE(std::holds_alternative<int>(result));
  EXPECT_NE(std::get<int>(result), 0);
}

TEST_F(ConfigFile, MissingFileIsAnError) {
  const auto result = parse({"--config", (dir_ / "absent.toml").string()});
  ASSERT_TRUE(std::holds_alternative<int>(result));
  EXPECT_NE(std::get<int>(result), 0);
  env_.set("VIDEOCALL_CONFIG", (dir_ / "absent.toml").string());
  EXPECT_TRUE(std::holds_alternative<int>(parse({})));
}

TEST_F(ConfigFile, EnvironmentNamesTheFile) {
  env_.set("VIDEOCALL_CONFIG", write("a.toml", "port = 9004\n"));
  EXPECT_EQ(parsed({}).port, 9004);
  // --config on the command line replaces the file the environment names.
  EXPECT_EQ(parsed({"--config", write("b.toml", "port = 9005\n")}).port, 9005);
}

// The shipped example documents every option (as a `name = value` line, most commented out), and
// uncommenting all of them gives a valid configuration.
TEST_F(ConfigFile, ExampleFileCoversEveryOption) {
  std::ifstream example(VC_EXAMPLE_CONFIG);
  ASSERT_TRUE(example) << VC_EXAMPLE_CONFIG;
  const std::regex setting(R"(^#?([a-z][a-z0-9-]*) = (.*)$)");
  const std::set<std::string> must_exist{"cert", "key", "nats-creds", "nats-tls-ca",
                                         "api-key-file"};
  const std::string existing = write("existing.pem", "placeholder\n");
  std::set<std::string> documented;
  std::ostringstream uncommented;
  std::string line;
  while (std::getline(example, line)) {
    std::smatch match;
    if (!std::regex_match(line, match, setting)) continue;
    const std::string key = match[1];
    EXPECT_TRUE(documented.insert(key).second) << key << " documented twice";
    uncommented << key << " = " << (must_exist.count(key) ? "\"" + existing + "\"" : match[2].str())
                << "\n";
  }
  const std::vector<std::string> keys = config_file_keys();
  EXPECT_EQ(documented, std::set<std::string>(keys.begin(), keys.end()));
  const ServerConfig config = parsed({"--config", write("all.toml", uncommented.str())});
  EXPECT_EQ(config.port, 8080);
  EXPECT_EQ(config.data_dir, "/var/lib/videocall");
  EXPECT_EQ(config.peer_urls.size(), 2u);
}

}  // namespace
}  // namespace vc::app
