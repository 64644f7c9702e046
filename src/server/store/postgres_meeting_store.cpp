#include "server/store/postgres_meeting_store.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>

#include "server/store/migrations.hpp"

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

JoinOutcome PostgresMeetingStore::record_join(const std::string& meeting_id,
                                              uint64_t participant_id,
                                              const std::string& display_name, int64_t now) {
  std::lock_guard lock(mutex_);
  return with_connection([&](PGconn* conn) {
    return record_join_tx(conn, meeting_id, participant_id, display_name, now);
  });
}

JoinOutcome PostgresMeetingStore::record_join_tx(PGconn* conn, const std::string& meeting_id,
                                                 uint64_t participant_id,
                                                 const std::string& display_name, int64_t now) {
  const std::string pid = std::to_string(static_cast<int64_t>(participant_id));
  const std::string when = std::to_string(now);
  Transaction tx(conn);
  run(conn,
      "INSERT INTO meetings (meeting_id, created_at) VALUES ($1, $2) "
      "ON CONFLICT (meeting_id) DO NOTHING",
      {meeting_id, when});
  // Under READ COMMITTED a concurrent joiner on another node waits for our row lock, then sees
  // the host already set: exactly one first joiner becomes host.
  Result host = run(conn,
                    "UPDATE meetings SET host_participant_id = $1 "
                    "WHERE meeting_id = $2 AND host_participant_id IS NULL",
                    {pid, meeting_id});
  JoinOutcome outcome;
  outcome.is_host = affected_rows(host) == 1;
  run(conn,
      "UPDATE meetings SET join_count = join_count + 1, last_joined_at = $1 "
      "WHERE meeting_id = $2",
      {when, meeting_id});
  run(conn,
      "INSERT INTO meeting_joins (meeting_id, participant_id, display_name, role, joined_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (meeting_id, participant_id) DO NOTHING",
      {meeting_id, pid, display_name, outcome.is_host ? "host" : "participant", when});
  Result created = run(conn, "SELECT created_at FROM meetings WHERE meeting_id = $1", {meeting_id});
  if (PQntuples(created.get()) == 1)
    outcome.created_at = std::atoll(PQgetvalue(created.get(), 0, 0));
  tx.commit();
  return outcome;
}

}  // namespace vc::store
