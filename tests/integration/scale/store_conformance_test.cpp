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

// Meeting settings, host and bars (docs/PROTOCOL.md §14): the host's subject is host again after
// the store is reopened (a restart) and from another store on the same database (another node).
TEST_P(StoreConformance, HostSubjectSurvivesReopenAndOtherNodes) {
  const auto first = store_->record_join("keep", 1, "Hana", 10, "guest:hana");
  EXPECT_TRUE(first.is_host);
  EXPECT_EQ(first.moderation.host_subject, "guest:hana");
  EXPECT_FALSE(store_->record_join("keep", 2, "Pia", 11, "guest:pia").is_host);
  store_.reset();
  auto reopened = make_();
  const auto back = reopened->record_join("keep", 3, "Hana", 12, "guest:hana");
  EXPECT_TRUE(back.is_host) << "a new participant id, the same subject";
  auto other_node = make_();
  EXPECT_FALSE(other_node->record_join("keep", 4, "Pia", 13, "guest:pia").is_host);
  EXPECT_TRUE(other_node->record_join("keep", 5, "Hana", 14, "guest:hana").is_host);
}

TEST_P(StoreConformance, SettingsCoHostsAndTheEndAreSavedAndReadBack) {
  store_->record_join("cfg", 1, "Hana", 10, "guest:hana");
  store::MeetingModeration m = *store_->moderation("cfg");
  EXPECT_FALSE(m.waiting_room);
  m.waiting_room = true;
  m.locked = true;
  m.e2ee_required = true;
  m.max_participants = 25;
  m.co_host_subjects = {"guest:co"};
  store_->save_moderation("cfg", m);
  auto other_node = make_();
  const auto read = other_node->moderation("cfg");
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->waiting_room);
  EXPECT_TRUE(read->locked);
  EXPECT_TRUE(read->e2ee_required);
  EXPECT_EQ(read->max_participants, 25u);
  EXPECT_EQ(read->co_host_subjects, std::vector<std::string>{"guest:co"});
  const auto co = other_node->record_join("cfg", 2, "Cleo", 11, "guest:co");
  EXPECT_TRUE(co.is_co_host);
  EXPECT_TRUE(co.moderation.waiting_room);
  // Ended: others are turned away without a join being recorded; the host's return reopens it.
  m.ended = true;
  store_->save_moderation("cfg", m);
  const uint64_t joins = store_->find_meeting("cfg")->join_count;
  EXPECT_TRUE(store_->record_join("cfg", 3, "Pia", 12, "guest:pia").ended);
  EXPECT_EQ(store_->find_meeting("cfg")->join_count, joins);
  const auto host = store_->record_join("cfg", 4, "Hana", 13, "guest:hana");
  EXPECT_FALSE(host.ended);
  EXPECT_TRUE(host.is_host);
  EXPECT_FALSE(store_->moderation("cfg")->ended);
  EXPECT_FALSE(store_->moderation("nope").has_value());
}

TEST_P(StoreConformance, BarredSubjectsCannotJoinAndTheAuditKeepsWhoDidWhat) {
  store_->record_join("bar", 1, "Hana", 10, "guest:hana");
  store_->record_join("bar", 2, "Pia", 11, "guest:pia");
  EXPECT_FALSE(store_->is_barred("bar", "guest:pia"));
  store_->bar("bar", "guest:pia", "guest:hana", 12);
  store_->bar("bar", "guest:pia", "guest:hana", 13);  // idempotent
  EXPECT_TRUE(store_->is_barred("bar", "guest:pia"));
  EXPECT_TRUE(make_()->record_join("bar", 3, "Pia", 14, "guest:pia").barred);
  EXPECT_FALSE(store_->record_join("other", 3, "Pia", 14, "guest:pia").barred)
      << "a bar is for one meeting";
  for (int i = 0; i < 3; ++i) {
    store::AuditEntry entry;
    entry.meeting_id = "bar";
    entry.at_ms = 1000 + i;
    entry.actor_participant_id = 1;
    entry.actor_subject = "guest:hana";
    entry.actor_name = "Hana";
    entry.action = i == 0 ? "mute_mic" : i == 1 ? "remove" : "lock";
    entry.target_participant_id = i == 2 ? 0 : 2;
    entry.target_name = i == 2 ? "" : "Pia";
    entry.detail = i == 1 ? "barred" : "";
    store_->record_audit(entry);
  }
  const auto entries = make_()->audit("bar", 2);
  ASSERT_EQ(entries.size(), 2u) << "the newest two, oldest first";
  EXPECT_EQ(entries[0].action, "remove");
  EXPECT_EQ(entries[0].detail, "barred");
  EXPECT_EQ(entries[0].target_name, "Pia");
  EXPECT_EQ(entries[0].actor_subject, "guest:hana");
  EXPECT_EQ(entries[1].action, "lock");
  EXPECT_EQ(entries[1].at_ms, 1002);
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
