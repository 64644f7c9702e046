// MeetingStore: the narrow interface the server needs for meeting metadata. SQLite is the
// single-node default; a PostgreSQL implementation sits behind the same interface and migrations.
// Calls block, so the server runs them on its store thread pool, never on the relay thread.
// Implementations must be safe to call from several threads. Errors throw StoreError.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace vc::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MeetingInfo {
  std::string meeting_id;
  int64_t created_at = 0;  // unix seconds
  uint64_t join_count = 0;
};

// Meeting settings and who moderates (docs/PROTOCOL.md §14); survives restarts and node moves.
struct MeetingModeration {
  bool waiting_room = false;
  bool locked = false;
  bool e2ee_required = false;
  uint32_t max_participants = 0;  // 0: the server's limit
  std::string host_subject;       // empty: no host known yet
  std::vector<std::string> co_host_subjects;
  bool ended = false;  // the host ended it; the host's next join reopens it
};

struct JoinOutcome {
  // The first joiner of a meeting becomes its host; later, the joiner whose subject is the host's.
  bool is_host = false;
  bool is_co_host = false;
  int64_t created_at = 0;
  bool barred = false;  // this subject was removed and barred: nothing was recorded
  bool ended = false;   // the host ended the meeting: nothing was recorded
  MeetingModeration moderation;
};

// One audited host action (who, what, whom, when).
struct AuditEntry {
  std::string meeting_id;
  int64_t at_ms = 0;                  // unix milliseconds
  uint64_t actor_participant_id = 0;  // 0: the server API
  std::string actor_subject;
  std::string actor_name;
  std::string action;  // e.g. "remove", "mute_mic", "update_settings"
  uint64_t target_participant_id = 0;
  std::string target_subject;
  std::string target_name;
  std::string detail;  // e.g. "barred", or the settings after an update
};

class MeetingStore {
 public:
  virtual ~MeetingStore() = default;

  // Creates a meeting; false if the id is taken.
  virtual bool create_meeting(const std::string& meeting_id, int64_t now) = 0;

  virtual std::optional<MeetingInfo> find_meeting(const std::string& meeting_id) = 0;

  // Creates the meeting if needed, records the join and decides the role atomically. `subject`
  // (stable per person, may be empty) decides host and co-host and is checked against the bars.
  virtual JoinOutcome record_join(const std::string& meeting_id, uint64_t participant_id,
                                  const std::string& display_name, int64_t now,
                                  const std::string& subject = {}) = 0;

  // --- Moderation (docs/PROTOCOL.md §14) ---
  virtual std::optional<MeetingModeration> moderation(const std::string& meeting_id) = 0;
  // Replaces settings, host, co-hosts and the ended mark of an existing meeting.
  virtual void save_moderation(const std::string& meeting_id, const MeetingModeration& m) = 0;
  // Bars `subject` from `meeting_id` (idempotent).
  virtual void bar(const std::string& meeting_id, const std::string& subject,
                   const std::string& barred_by, int64_t now) = 0;
  virtual bool is_barred(const std::string& meeting_id, const std::string& subject) = 0;
  virtual void record_audit(const AuditEntry& entry) = 0;
  // The newest `limit` entries, oldest first.
  virtual std::vector<AuditEntry> audit(const std::string& meeting_id, std::size_t limit) = 0;

  // Schema version after migrations (for /metrics and tests).
  virtual int schema_version() = 0;
};

}  // namespace vc::store
