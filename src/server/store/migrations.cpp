#include "server/store/migrations.hpp"

#include <array>

namespace vc::store {

namespace {

constexpr std::array kMigrations = {
    Migration{1, "meetings and joins", R"sql(
CREATE TABLE meetings (
  meeting_id TEXT PRIMARY KEY,
  created_at BIGINT NOT NULL,
  host_participant_id BIGINT,
  join_count BIGINT NOT NULL DEFAULT 0,
  last_joined_at BIGINT
);
CREATE TABLE meeting_joins (
  meeting_id TEXT NOT NULL REFERENCES meetings (meeting_id),
  participant_id BIGINT NOT NULL,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_at BIGINT NOT NULL,
  PRIMARY KEY (meeting_id, participant_id)
);
CREATE INDEX meeting_joins_by_time ON meeting_joins (meeting_id, joined_at)
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace vc::store
