// SQLite MeetingStore: one connection in WAL mode, serialised by a mutex (joins are rare; the
// relay thread never waits on it).
#pragma once

#include <mutex>
#include <string>

#include "server/store/meeting_store.hpp"

struct sqlite3;

namespace vc::store {

class SqliteMeetingStore final : public MeetingStore {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for tests) and applies
  // pending migrations. Throws StoreError.
  explicit SqliteMeetingStore(const std::string& path);
  ~SqliteMeetingStore() override;
  SqliteMeetingStore(const SqliteMeetingStore&) = delete;
  SqliteMeetingStore& operator=(const SqliteMeetingStore&) = delete;

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
  void migrate();
  int current_version();

  std::mutex mutex_;
  sqlite3* db_ = nullptr;
};

}  // namespace vc::store
