// One MeetingStore test suite, run against SQLite and against a real PostgreSQL started by the
// test. Also: PostgreSQL going away makes calls fail with StoreError, and they work again after
// it restarts, without recreating the store.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "harness.hpp"
#include "server/store/postgres_meeting_store.hpp"
#include "server/store/sqlite_meeting_store.hpp"

namespace vc::scale_test {
namespace {

PostgresServer& shared_postgres() {
  static PostgresServer server;  // one cluster for the whole binary; a database per test
  return server;
}

struct Backend {
  std::string name;
  std::function<std::unique_ptr<store::MeetingStore>()> make;
};

int database_counter = 0;

class StoreConformance : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = make_temp_dir("vc-sqlite-");
      make_ = [this] { return std::make_unique<store::SqliteMeetingStore>(dir_ + "/test.db"); };
    } else {
      std::string why;
      if (!PostgresServer::available(why)) GTEST_FAIL() << why;
      const std::string db = "conformance_" + std::to_string(++database_counter);
      shared_postgres().create_database(db);
      make_ = [url = shared_postgres().url(db)] {
        return std::make_unique<store::PostgresMeetingStore>(url);
      };
    }
    store_ = make_();
  }
  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) remove_tree(dir_);
  }

  std::string dir_;
  std::function<std::unique_ptr<store::MeetingStore>()> make_;
  std::unique_ptr<store::MeetingStore> store_;
};

TEST_P(StoreConformance, MigrationsApplyOnceAndReopenIsANoOp) {
  const int version = store_->schema_version();
  EXPECT_GE(version, 1);
  auto again = make_();
  EXPECT_EQ(again->schema_version(), version);
}

TEST_P(StoreConformance, CreateAndFindMeetings) {
  EXPECT_FALSE(store_->find_meeting("nope").has_value());
  EXPECT_TRUE(store_->create_meeting("m1", 1000));
  EXPECT_FALSE(store_->create_meeting("m1", 2000)) << "ids are unique";
  const auto info = store_->find_meeting("m1");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->meeting_id, "m1");
  EXPECT_EQ(info->created_at, 1000);
  EXPECT_EQ(info->join_count, 0u);
}

TEST_P(StoreConformance, FirstJoinerIsHostAndJoinsAreCounted) {
  const auto first = store_->record_join("room", 11, "Ada", 500);
  EXPECT_TRUE(first.is_host);
  EXPECT_EQ(first.created_at, 500);
  const auto second = store_->record_join("room", 12, "Bob", 600);
  EXPECT_FALSE(second.is_host);
  EXPECT_EQ(second.created_at, 500);
  // Joining again (a token refresh) keeps the first record and never makes a second host.
  EXPECT_FALSE(store_->record_join("room", 12, "Bob", 700).is_host);
  EXPECT_EQ(store_->find_meeting("room")->join_count, 3u);
  // Large (53-bit) participant ids round-trip.
  EXPECT_FALSE(store_->record_join("room", (uint64_t{1} << 53) - 1, "Big", 800).is_host);
}

TEST_P(StoreConformance, ConcurrentFirstJoinsElectExactlyOneHost) {
  // Two stores stand for two server nodes sharing one database.
  auto other = make_();
  std::atomic<int> hosts{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      store::MeetingStore& s = (i % 2 == 0) ? *store_ : *other;
      if (s.record_join("race", 100 + static_cast<uint64_t>(i), "P", 1).is_host) ++hosts;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(hosts.load(), 1);
  EXPECT_EQ(store_->find_meeting("race")->join_count, 8u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformance, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(PostgresAvailability, CallsFailWhileDownAndRecoverAfterRestart) {
  std::string why;
  if (!PostgresServer::available(why)) GTEST_FAIL() << why;
  PostgresServer server;
  store::PostgresMeetingStore store(server.url());
  EXPECT_TRUE(store.record_join("m", 1, "Ada", 1).is_host);
  server.stop();
  try {
    store.record_join("m", 2, "Bob", 2);
    ADD_FAILURE() << "expected StoreError while PostgreSQL is down";
  } catch (const store::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("unavailable"), std::string::npos) << e.what();
  }
  server.start();
  EXPECT_FALSE(store.record_join("m", 2, "Bob", 2).is_host);
  EXPECT_EQ(store.find_meeting("m")->join_count, 2u);
}

TEST(PostgresAvailability, UnreachableDatabaseFailsAtStartWithAClearError) {
  const std::string url = "postgres://postgres@127.0.0.1:" + std::to_string(free_tcp_port()) + "/x";
  try {
    store::PostgresMeetingStore store(url);
    ADD_FAILURE() << "expected StoreError";
  } catch (const store::StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("database unavailable"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace vc::scale_test
