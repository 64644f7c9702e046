// The meeting store's logic written once, over a minimal SQL interface that SqliteMeetingStore
// and PostgresMeetingStore adapt: parameters and results are text ($1, $2, ... in both dialects;
// SQLite's column affinity and PostgreSQL's parameter inference type them). The caller holds its
// lock and transaction around each function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/store/meeting_store.hpp"

namespace vc::store {

using SqlRow = std::vector<std::optional<std::string>>;  // nullopt: SQL NULL

class Sql {
 public:
  virtual ~Sql() = default;
  // Runs one statement; returns the number of rows it changed.
  virtual int64_t exec(std::string_view sql, const std::vector<std::string>& params) = 0;
  virtual std::vector<SqlRow> query(std::string_view sql,
                                    const std::vector<std::string>& params) = 0;
};

JoinOutcome record_join_sql(Sql& sql, const std::string& meeting_id, uint64_t participant_id,
                            const std::string& display_name, int64_t now,
                            const std::string& subject);
std::optional<MeetingModeration> load_moderation_sql(Sql& sql, const std::string& meeting_id);
void save_moderation_sql(Sql& sql, const std::string& meeting_id, const MeetingModeration& m);
void bar_sql(Sql& sql, const std::string& meeting_id, const std::string& subject,
             const std::string& barred_by, int64_t now);
bool is_barred_sql(Sql& sql, const std::string& meeting_id, const std::string& subject);
void record_audit_sql(Sql& sql, const AuditEntry& entry);
std::vector<AuditEntry> audit_sql(Sql& sql, const std::string& meeting_id, std::size_t limit);

}  // namespace vc::store
