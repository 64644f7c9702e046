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
    // Booleans are BIGINT 0/1: one spelling for SQLite and PostgreSQL.
    Migration{2, "meeting settings, host, bars and audit", R"sql(
ALTER TABLE meetings ADD COLUMN host_subject TEXT;
ALTER TABLE meetings ADD COLUMN waiting_room BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN e2ee_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN max_participants BIGINT NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN ended_at BIGINT;
CREATE TABLE meeting_co_hosts (
  meeting_id TEXT NOT NULL REFERENCES meetings (meeting_id),
  subject TEXT NOT NULL,
  PRIMARY KEY (meeting_id, subject)
);
CREATE TABLE meeting_bars (
  meeting_id TEXT NOT NULL REFERENCES meetings (meeting_id),
  subject TEXT NOT NULL,
  barred_by TEXT NOT NULL,
  barred_at BIGINT NOT NULL,
  PRIMARY KEY (meeting_id, subject)
);
CREATE TABLE meeting_audit (
  meeting_id TEXT NOT NULL REFERENCES meetings (meeting_id),
  at_ms BIGINT NOT NULL,
  actor_participant_id BIGINT NOT NULL,
  actor_subject TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  action TEXT NOT NULL,
  target_participant_id BIGINT NOT NULL,
  target_subject TEXT NOT NULL,
  target_name TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX meeting_audit_by_time ON meeting_audit (meeting_id, at_ms)
)sql"},
};

}  // namespace

std::span<const Migration> migrations() {
  return kMigrations;
}

}  // namespace vc::store
