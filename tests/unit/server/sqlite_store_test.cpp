#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "server/store/migrations.hpp"
#include "server/store/sqlite_meeting_store.hpp"

namespace vc::store {
namespace {

TEST(Migrations, VersionsAreIncreasingFromOne) {
  int expected = 1;
  for (const Migration& m : migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.sql.empty());
  }
}

TEST(SqliteMeetingStore, CreateFindAndDuplicate) {
  SqliteMeetingStore store(":memory:");
  EXPECT_EQ(store.schema_version(), static_cast<int>(migrations().size()));
  EXPECT_FALSE(store.find_meeting("m1"));
  EXPECT_TRUE(store.create_meeting("m1", 100));
  EXPECT_FALSE(store.create_meeting("m1", 200));
  const auto info = store.find_meeting("m1");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->created_at, 100);
  EXPECT_EQ(info->join_count, 0u);
}

TEST(SqliteMeetingStore, FirstJoinerIsHostAndJoinsAreCounted) {
  SqliteMeetingStore store(":memory:");
  const auto first = store.record_join("demo", 11, "Ada", 500);
  EXPECT_TRUE(first.is_host);
  EXPECT_EQ(first.created_at, 500);
  const auto second = store.record_join("demo", 12, "Bob", 600);
  EXPECT_FALSE(second.is_host);
  EXPECT_EQ(second.created_at, 500);
  EXPECT_EQ(store.find_meeting("demo")->join_count, 2u);

  // A meeting created through POST /meetings has no host until its first join.
  ASSERT_TRUE(store.create_meeting("planned", 700));
  EXPECT_TRUE(store.record_join("planned", 13, "Cy", 800).is_host);
}

TEST(SqliteMeetingStore, MigrationsApplyOnceAcrossReopen) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("vc-store-test-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  {
    SqliteMeetingStore store(path.string());
    store.record_join("kept", 1, "A", 10);
  }
  {
    SqliteMeetingStore store(path.string());
    EXPECT_EQ(store.schema_version(), static_cast<int>(migrations().size()));
    ASSERT_TRUE(store.find_meeting("kept"));
    EXPECT_FALSE(store.record_join("kept", 2, "B", 20).is_host);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path.string() + suffix);
  }
}

// SQLite checkpoints the WAL automatically every 1000 pages, but only when no statement is
// active at COMMIT; a statement left active made it grow ~18 KB per join without bound.
TEST(SqliteMeetingStore, WalStaysBoundedOverManyJoins) {
  // On tmpfs when there is one: the point is the WAL's size, not 5,000 fsyncs.
  const std::filesystem::path base = std::filesystem::is_directory("/dev/shm")
                                         ? "/dev/shm"
                                         : std::filesystem::temp_directory_path();
  const auto dir = base / ("vc-store-wal-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "store.db";
  {
    SqliteMeetingStore store(path.string());
    for (uint64_t i = 1; i <= 5000; ++i) {
      store.record_join("room-" + std::to_string(i % 50), i, "Participant " + std::to_string(i),
                        static_cast<int64_t>(i));
    }
    EXPECT_EQ(store.find_meeting("room-1")->join_count, 100u);
    // Auto-checkpoint restarts the WAL at 1000 pages (4 KiB each): it never needs much more.
    constexpr uintmax_t kBound = 1000 * 4096 + 256 * 1024;
    EXPECT_LT(std::filesystem::file_size(path.string() + "-wal"), kBound);
  }
  std::filesystem::remove_all(dir);
}

mode_t mode_of(const std::filesystem::path& file) {
  struct stat st {};
  EXPECT_EQ(::stat(file.c_str(), &st), 0) << file;
  return st.st_mode & 0777;
}

TEST(SqliteMeetingStore, DatabaseFilesAreOwnerOnlyEvenUnderAPermissiveUmask) {
  char pattern[] = "/tmp/vc-store-perm-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::filesystem::path dir = pattern;
  const mode_t old_umask = ::umask(022);
  {
    SqliteMeetingStore store((dir / "fresh.db").string());
    ASSERT_TRUE(store.create_meeting("m1", 100));  // writes: -wal and -shm exist now
    for (const char* file : {"fresh.db", "fresh.db-wal", "fresh.db-shm"}) {
      EXPECT_EQ(mode_of(dir / file), 0600u) << file;
    }
  }
  {
    // A database created 0644 by an older version is tightened on open, with its WAL files.
    { SqliteMeetingStore store((dir / "old.db").string()); }
    for (const char* file : {"old.db", "old.db-wal", "old.db-shm"}) {
      ::chmod((dir / file).c_str(), 0644);
    }
    SqliteMeetingStore store((dir / "old.db").string());
    ASSERT_TRUE(store.create_meeting("m2", 100));
    for (const char* file : {"old.db", "old.db-wal", "old.db-shm"}) {
      if (std::filesystem::exists(dir / file)) {
        EXPECT_EQ(mode_of(dir / file), 0600u) << file;
      }
    }
  }
  ::umask(old_umask);
  std::filesystem::remove_all(dir);
}

TEST(SqliteMeetingStore, UnopenablePathThrows) {
  EXPECT_THROW(SqliteMeetingStore("/nonexistent-dir/sub/x.db"), StoreError);
}

}  // namespace
}  // namespace vc::store
