// PostgreSQL MeetingStore (`--database postgres://...`), for several server nodes sharing meeting
// state. Same interface and same migrations as SqliteMeetingStore. One libpq connection,
// serialised by a mutex (joins are rare; the relay thread never waits on it).
//
// Availability: if the database goes away, the failing call throws StoreError (the REST API
// answers 503 "meeting store unavailable") and the next call reconnects, so joins work again as
// soon as PostgreSQL is back. Media never touches the store: calls in progress are unaffected.
#pragma once

#include <mutex>
#include <string>

#include "server/store/meeting_store.hpp"

struct pg_conn;

namespace vc::store {

class PostgresMeetingStore final : public MeetingStore {
 public:
  // Connects to `url` (postgres://user@host:port/db) and applies pending migrations, serialised
  // across nodes by an advisory lock. Throws StoreError if the database cannot be reached.
  explicit PostgresMeetingStore(std::string url);
  ~PostgresMeetingStore() override;
  PostgresMeetingStore(const PostgresMeetingStore&) = delete;
  PostgresMeetingStore& operator=(const PostgresMeetingStore&) = delete;

  bool create_meeting(const std::string& meeting_id, int64_t now) override;
  std::optional<MeetingInfo> find_meeting(const std::string& meeting_id) override;
  JoinOutcome record_join(const std::string& meeting_id, uint64_t participant_id,
                          const std::string& display_name, int64_t now,
                          const std::string& subject = {}) override;
  std::optional<MeetingModeration> moderation(const std::string& meeting_id) override;
  void save_moderation(const std::string& meeting_id, const MeetingModeration& m) override;
  void bar(const std::string& meeting_id, const std::string& subject, const std::string& barred_by,
           int64_t now) override;
  bool is_barred(const std::string& meeting_id, const std::string& subject) override;
  void record_audit(const AuditEntry& entry) override;
  std::vector<AuditEntry> audit(const std::string& meeting_id, std::size_t limit) override;
  int schema_version() override;

 private:
  pg_conn* connection();  // connected, or throws StoreError; caller holds mutex_
  void migrate();
  int current_version(pg_conn* conn);
  // Runs fn(connection), once more on a fresh connection if the old one turned out broken.
  template <typename Fn>
  auto with_connection(Fn&& fn);
  // Runs fn(Sql&) under the mutex, in a transaction, reconnecting once like with_connection.
  template <typename Fn>
  auto in_transaction(Fn&& fn);

  std::string url_;
  std::mutex mutex_;
  pg_conn* conn_ = nullptr;
};

}  // namespace vc::store
