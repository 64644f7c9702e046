// MeetingStore: the narrow interface the server needs for meeting metadata. SQLite is the
// single-node default; a PostgreSQL implementation sits behind the same interface and migrations.
// Calls block, so the server runs them on its store thread pool, never on the relay thread.
// Implementations must be safe to call from several threads. Errors throw StoreError.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

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

struct JoinOutcome {
  bool is_host = false;  // the first joiner of a meeting becomes its host
  int64_t created_at = 0;
};

class MeetingStore {
 public:
  virtual ~MeetingStore() = default;

  // Creates a meeting; false if the id is taken.
  virtual bool create_meeting(const std::string& meeting_id, int64_t now) = 0;

  virtual std::optional<MeetingInfo> find_meeting(const std::string& meeting_id) = 0;

  // Creates the meeting if needed, records the join and decides the role atomically.
  virtual JoinOutcome record_join(const std::string& meeting_id, uint64_t participant_id,
                                  const std::string& display_name, int64_t now) = 0;

  // Schema version after migrations (for /metrics and tests).
  virtual int schema_version() = 0;
};

}  // namespace vc::store
