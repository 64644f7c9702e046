#include "server/store/sqlite_meeting_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <variant>
#include <vector>

#include "server/store/migrations.hpp"
#include "server/store/store_sql.hpp"

namespace vc::store {

namespace {

using Value = std::variant<int64_t, std::string>;

// A prepared statement; parameters are written $1, $2, ... in order of first use, the spelling
// PostgreSQL understands too, so the SQL text stays portable. A statement that has returned a row
// stays active (a read transaction) until reset: single-row reads go through read_one(), which
// resets at once, so no statement is ever active at COMMIT (that silently blocks WAL checkpoints).
class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
      throw StoreError(std::string("sqlite prepare: ") + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(std::initializer_list<Value> values) {
    int index = 1;
    for (const Value& value : values) {
      int rc = SQLITE_OK;
      if (const auto* i = std::get_if<int64_t>(&value)) {
        rc = sqlite3_bind_int64(stmt_, index, *i);
      } else {
        const auto& s = std::get<std::string>(value);
        rc =
            sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      if (rc != SQLITE_OK) throw StoreError(std::string("sqlite bind: ") + sqlite3_errmsg(db_));
      ++index;
    }
    return *this;
  }

  // Steps once; true when a row is available.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw StoreError(std::string("sqlite step: ") + sqlite3_errmsg(db_));
  }

  // Steps once; if a row is available, passes it to `read` and resets. True when there was a row.
  template <typename ReadRow>
  bool read_one(ReadRow&& read) {
    const bool has_row = step();
    if (has_row) read(*this);
    sqlite3_reset(stmt_);
    return has_row;
  }

  int64_t column_int(int i) { return sqlite3_column_int64(stmt_, i); }
  int column_count() { return sqlite3_column_count(stmt_); }
  std::optional<std::string> column_opt(int i) {
    if (sqlite3_column_type(stmt_, i) == SQLITE_NULL) return std::nullopt;
    return column_text(i);
  }
  void bind_text(int index, const std::string& s) {
    if (sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT) !=
        SQLITE_OK) {
      throw StoreError(std::string("sqlite bind: ") + sqlite3_errmsg(db_));
    }
  }
  std::string column_text(int i) {
    const auto* text = sqlite3_column_text(stmt_, i);
    return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

void exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "unknown error";
    sqlite3_free(error);
    throw StoreError("sqlite: " + message);
  }
}

// Commits on commit(), rolls back otherwise.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { exec(db_, "BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    // Defence in depth for read_one(): an active statement would make the WAL grow forever.
    for (sqlite3_stmt* stmt = sqlite3_next_stmt(db_, nullptr); stmt != nullptr;
         stmt = sqlite3_next_stmt(db_, stmt)) {
      if (sqlite3_stmt_busy(stmt)) sqlite3_reset(stmt);
    }
    exec(db_, "COMMIT");
    done_ = true;
  }

 private:
  sqlite3* db_;
  bool done_ = false;
};

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// Meeting metadata is the operator's alone: the database is created 0600 and an existing one (and
// its -wal/-shm) tightened to 0600. SQLite gives -wal and -shm the database file's mode.
static void restrict_to_owner(const std::string& path) {
  if (path == ":memory:" || path.empty()) return;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      ::chmod(file.c_str(), st.st_mode & 0700);
    }
  }
}

SqliteMeetingStore::SqliteMeetingStore(const std::string& path) {
  restrict_to_owner(path);
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError("cannot open database " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec(db_, "PRAGMA foreign_keys = ON");
  if (path != ":memory:") exec(db_, "PRAGMA journal_mode = WAL");
  migrate();
}

SqliteMeetingStore::~SqliteMeetingStore() {
  sqlite3_close(db_);
}

int SqliteMeetingStore::current_version() {
  Statement query(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  int version = 0;
  query.read_one([&](Statement& row) { version = static_cast<int>(row.column_int(0)); });
  return version;
}

void SqliteMeetingStore::migrate() {
  std::lock_guard lock(mutex_);
  exec(db_,
       "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
       "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
  const int from = current_version();
  for (const Migration& migration : migrations()) {
    if (migration.version <= from) continue;
    Transaction tx(db_);
    exec(db_, std::string(migration.sql));
    Statement record(db_,
                     "INSERT INTO schema_migrations (version, name, applied_at) "
                     "VALUES ($1, $2, $3)");
    record.bind({int64_t{migration.version}, std::string(migration.name), unix_seconds()}).step();
    tx.commit();
  }
}

int SqliteMeetingStore::schema_version() {
  std::lock_guard lock(mutex_);
  return current_version();
}

bool SqliteMeetingStore::create_meeting(const std::string& meeting_id, int64_t now) {
  std::lock_guard lock(mutex_);
  Statement insert(db_,
                   "INSERT INTO meetings (meeting_id, created_at) VALUES ($1, $2) "
                   "ON CONFLICT (meeting_id) DO NOTHING");
  insert.bind({meeting_id, now}).step();
  return sqlite3_changes(db_) == 1;
}

std::optional<MeetingInfo> SqliteMeetingStore::find_meeting(const std::string& meeting_id) {
  std::lock_guard lock(mutex_);
  Statement query(db_,
                  "SELECT meeting_id, created_at, join_count FROM meetings WHERE meeting_id = $1");
  MeetingInfo info;
  const bool found = query.bind({meeting_id}).read_one([&](Statement& row) {
    info.meeting_id = row.column_text(0);
    info.created_at = row.column_int(1);
    info.join_count = static_cast<uint64_t>(row.column_int(2));
  });
  if (!found) return std::nullopt;
  return info;
}

namespace {

// store_sql.hpp's interface over this connection (the caller holds the mutex).
class SqliteSql final : public Sql {
 public:
  explicit SqliteSql(sqlite3* db) : db_(db) {}
  int64_t exec(std::string_view sql, const std::vector<std::string>& params) override {
    Statement statement(db_, sql);
    bind(statement, params);
    while (statement.step()) {
    }
    return sqlite3_changes(db_);
  }
  std::vector<SqlRow> query(std::string_view sql, const std::vector<std::string>& params) override {
    Statement statement(db_, sql);
    bind(statement, params);
    std::vector<SqlRow> rows;
    while (statement.step()) {
      SqlRow& row = rows.emplace_back();
      for (int i = 0; i < statement.column_count(); ++i) row.push_back(statement.column_opt(i));
    }
    return rows;
  }

 private:
  static void bind(Statement& statement, const std::vector<std::string>& params) {
    int index = 1;
    for (const std::string& param : params) statement.bind_text(index++, param);
  }
  sqlite3* db_;
};

}  // namespace

JoinOutcome SqliteMeetingStore::record_join(const std::string& meeting_id, uint64_t participant_id,
                                            const std::string& display_name, int64_t now,
                                            const std::string& subject) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  SqliteSql sql(db_);
  JoinOutcome outcome =
      record_join_sql(sql, meeting_id, participant_id, display_name, now, subject);
  tx.commit();
  return outcome;
}

std::optional<MeetingModeration> SqliteMeetingStore::moderation(const std::string& meeting_id) {
  std::lock_guard lock(mutex_);
  SqliteSql sql(db_);
  return load_moderation_sql(sql, meeting_id);
}

void SqliteMeetingStore::save_moderation(const std::string& meeting_id,
                                         const MeetingModeration& m) {
  std::lock_guard lock(mutex_);
  Transaction tx(db_);
  SqliteSql sql(db_);
  save_moderation_sql(sql, meeting_id, m);
  tx.commit();
}

void SqliteMeetingStore::bar(const std::string& meeting_id, const std::string& subject,
                             const std::string& barred_by, int64_t now) {
  std::lock_guard lock(mutex_);
  SqliteSql sql(db_);
  bar_sql(sql, meeting_id, subject, barred_by, now);
}

bool SqliteMeetingStore::is_barred(const std::string& meeting_id, const std::string& subject) {
  std::lock_guard lock(mutex_);
  SqliteSql sql(db_);
  return is_barred_sql(sql, meeting_id, subject);
}

void SqliteMeetingStore::record_audit(const AuditEntry& entry) {
  std::lock_guard lock(mutex_);
  SqliteSql sql(db_);
  record_audit_sql(sql, entry);
}

std::vector<AuditEntry> SqliteMeetingStore::audit(const std::string& meeting_id,
                                                  std::size_t limit) {
  std::lock_guard lock(mutex_);
  SqliteSql sql(db_);
  return audit_sql(sql, meeting_id, limit);
}

}  // namespace vc::store
