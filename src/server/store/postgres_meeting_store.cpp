#include "server/store/postgres_meeting_store.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>

#include "server/store/migrations.hpp"
#include "server/store/store_sql.hpp"

namespace vc::store {

namespace {

// Owns a PGresult.
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string connection_error(PGconn* conn) {
  std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

// Runs one statement with text parameters ($1, $2, ...); throws StoreError on failure.
Result run(PGconn* conn, const std::string& sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.c_str());
  Result result(PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const bool lost = PQstatus(conn) != CONNECTION_OK;
    throw StoreError((lost ? "database unavailable: " : "postgres: ") + connection_error(conn));
  }
  return result;
}

// Several statements in one string (migrations); no parameters.
void run_script(PGconn* conn, std::string_view sql) {
  Result result(PQexec(conn, std::string(sql).c_str()));
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const bool lost = PQstatus(conn) != CONNECTION_OK;
    throw StoreError((lost ? "database unavailable: " : "postgres: ") + connection_error(conn));
  }
}

int64_t affected_rows(const Result& result) {
  return std::atoll(PQcmdTuples(result.get()));
}

// Rolls back unless committed; a failed rollback just leaves the broken connection to be reset.
class Transaction {
 public:
  explicit Transaction(PGconn* conn) : conn_(conn) { run(conn_, "BEGIN"); }
  ~Transaction() {
    if (!done_) PQclear(PQexec(conn_, "ROLLBACK"));
  }
  void commit() {
    run(conn_, "COMMIT");
    done_ = true;
  }

 private:
  PGconn* conn_;
  bool done_ = false;
};

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Serialises migrations between nodes starting at the same time ("vc-migr" in ASCII).
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7630445636196722)";

}  // namespace

PostgresMeetingStore::PostgresMeetingStore(std::string url) : url_(std::move(url)) {
  std::lock_guard lock(mutex_);
  connection();
  migrate();
}

PostgresMeetingStore::~PostgresMeetingStore() {
  if (conn_ != nullptr) PQfinish(conn_);
}

PGconn* PostgresMeetingStore::connection() {
  if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return conn_;
  if (conn_ != nullptr) {
    PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) return conn_;
    const std::string error = connection_error(conn_);
    throw StoreError("database unavailable: " + error);
  }
  // Keywords after the expanded URL override it: fail fast, and notice dead peers.
  const char* keywords[] = {"dbname", "connect_timeout", "keepalives_idle", "application_name",
                            nullptr};
  const char* values[] = {url_.c_str(), "3", "10", "videocall-server", nullptr};
  conn_ = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string error = connection_error(conn_);
    // A failed connection object still owns memory; the next call starts afresh.
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreError("database unavailable: " + error);
  }
  PQclear(PQexec(conn_, "SET client_min_messages = warning"));
  return conn_;
}

template <typename Fn>
auto PostgresMeetingStore::with_connection(Fn&& fn) {
  try {
    return fn(connection());
  } catch (const StoreError&) {
    // A connection broken while idle (PostgreSQL restarted) fails its first statement: reconnect
    // and run the whole operation once more. A failed transaction was rolled back, so it is safe.
    if (conn_ == nullptr || PQstatus(conn_) == CONNECTION_OK) throw;
    return fn(connection());
  }
}

int PostgresMeetingStore::current_version(PGconn* conn) {
  Result result = run(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  return PQntuples(result.get()) == 1 ? std::atoi(PQgetvalue(result.get(), 0, 0)) : 0;
}

void PostgresMeetingStore::migrate() {
  PGconn* conn = connection();
  {
    Transaction tx(conn);
    run(conn, kMigrationLock);
    run(conn,
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at BIGINT NOT NULL)");
    tx.commit();
  }
  for (const Migration& migration : migrations()) {
    Transaction tx(conn);
    run(conn, kMigrationLock);
    if (migration.version <= current_version(conn)) continue;  // applied by another node
    run_script(conn, migration.sql);
    run(conn, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        {std::to_string(migration.version), std::string(migration.name),
         std::to_string(unix_seconds())});
    tx.commit();
  }
}

int PostgresMeetingStore::schema_version() {
  std::lock_guard lock(mutex_);
  return with_connection([this](PGconn* conn) { return current_version(conn); });
}

bool PostgresMeetingStore::create_meeting(const std::string& meeting_id, int64_t now) {
  std::lock_guard lock(mutex_);
  return with_connection([&](PGconn* conn) {
    Result result = run(conn,
                        "INSERT INTO meetings (meeting_id, created_at) VALUES ($1, $2) "
                        "ON CONFLICT (meeting_id) DO NOTHING",
                        {meeting_id, std::to_string(now)});
    return affected_rows(result) == 1;
  });
}

std::optional<MeetingInfo> PostgresMeetingStore::find_meeting(const std::string& meeting_id) {
  std::lock_guard lock(mutex_);
  return with_connection([&](PGconn* conn) -> std::optional<MeetingInfo> {
    Result result =
        run(conn, "SELECT meeting_id, created_at, join_count FROM meetings WHERE meeting_id = $1",
            {meeting_id});
    if (PQntuples(result.get()) != 1) return std::nullopt;
    MeetingInfo info;
    info.meeting_id = PQgetvalue(result.get(), 0, 0);
    info.created_at = std::atoll(PQgetvalue(result.get(), 0, 1));
    info.join_count = std::strtoull(PQgetvalue(result.get(), 0, 2), nullptr, 10);
    return info;
  });
}

namespace {

// store_sql.hpp's interface over this connection (the caller holds the mutex).
class PostgresSql final : public Sql {
 public:
  explicit PostgresSql(PGconn* conn) : conn_(conn) {}
  int64_t exec(std::string_view sql, const std::vector<std::string>& params) override {
    return affected_rows(run(conn_, std::string(sql), params));
  }
  std::vector<SqlRow> query(std::string_view sql, const std::vector<std::string>& params) override {
    Result result = run(conn_, std::string(sql), params);
    std::vector<SqlRow> rows;
    const int count = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    for (int r = 0; r < count; ++r) {
      SqlRow& row = rows.emplace_back();
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c)) {
          row.emplace_back(std::nullopt);
        } else {
          row.emplace_back(PQgetvalue(result.get(), r, c));
        }
      }
    }
    return rows;
  }

 private:
  PGconn* conn_;
};

}  // namespace

template <typename Fn>
auto PostgresMeetingStore::in_transaction(Fn&& fn) {
  std::lock_guard lock(mutex_);
  return with_connection([&](PGconn* conn) {
    Transaction tx(conn);
    PostgresSql sql(conn);
    auto result = fn(sql);
    tx.commit();
    return result;
  });
}

JoinOutcome PostgresMeetingStore::record_join(const std::string& meeting_id,
                                              uint64_t participant_id,
                                              const std::string& display_name, int64_t now,
                                              const std::string& subject) {
  return in_transaction([&](Sql& sql) {
    return record_join_sql(sql, meeting_id, participant_id, display_name, now, subject);
  });
}

std::optional<MeetingModeration> PostgresMeetingStore::moderation(const std::string& meeting_id) {
  return in_transaction([&](Sql& sql) { return load_moderation_sql(sql, meeting_id); });
}

void PostgresMeetingStore::save_moderation(const std::string& meeting_id,
                                           const MeetingModeration& m) {
  in_transaction([&](Sql& sql) {
    save_moderation_sql(sql, meeting_id, m);
    return true;
  });
}

void PostgresMeetingStore::bar(const std::string& meeting_id, const std::string& subject,
                               const std::string& barred_by, int64_t now) {
  in_transaction([&](Sql& sql) {
    bar_sql(sql, meeting_id, subject, barred_by, now);
    return true;
  });
}

bool PostgresMeetingStore::is_barred(const std::string& meeting_id, const std::string& subject) {
  return in_transaction([&](Sql& sql) { return is_barred_sql(sql, meeting_id, subject); });
}

void PostgresMeetingStore::record_audit(const AuditEntry& entry) {
  in_transaction([&](Sql& sql) {
    record_audit_sql(sql, entry);
    return true;
  });
}

std::vector<AuditEntry> PostgresMeetingStore::audit(const std::string& meeting_id,
                                                    std::size_t limit) {
  return in_transaction([&](Sql& sql) { return audit_sql(sql, meeting_id, limit); });
}

}  // namespace vc::store
