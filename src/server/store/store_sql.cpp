#include "server/store/store_sql.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>

namespace vc::store {

namespace {

std::string text(const SqlRow& row, std::size_t i) {
  return row.at(i).value_or(std::string());
}
int64_t integer(const SqlRow& row, std::size_t i) {
  return row.at(i) ? std::strtoll(row.at(i)->c_str(), nullptr, 10) : 0;
}
std::string number(int64_t value) {
  return std::to_string(value);
}
std::string flag(bool value) {
  return value ? "1" : "0";
}

}  // namespace

std::optional<MeetingModeration> load_moderation_sql(Sql& sql, const std::string& meeting_id) {
  const auto rows = sql.query(
      "SELECT waiting_room, locked, e2ee_required, max_participants, host_subject, ended_at "
      "FROM meetings WHERE meeting_id = $1",
      {meeting_id});
  if (rows.empty()) return std::nullopt;
  const SqlRow& row = rows.front();
  MeetingModeration m;
  m.waiting_room = integer(row, 0) != 0;
  m.locked = integer(row, 1) != 0;
  m.e2ee_required = integer(row, 2) != 0;
  m.max_participants = static_cast<uint32_t>(std::clamp<int64_t>(integer(row, 3), 0, UINT32_MAX));
  m.host_subject = text(row, 4);
  m.ended = row.at(5).has_value();
  for (const SqlRow& co_host :
       sql.query("SELECT subject FROM meeting_co_hosts WHERE meeting_id = $1 ORDER BY subject",
                 {meeting_id})) {
    m.co_host_subjects.push_back(text(co_host, 0));
  }
  return m;
}

JoinOutcome record_join_sql(Sql& sql, const std::string& meeting_id, uint64_t participant_id,
                            const std::string& display_name, int64_t now,
                            const std::string& subject) {
  const std::string pid = number(static_cast<int64_t>(participant_id));
  const std::string when = number(now);
  JoinOutcome outcome;
  sql.exec(
      "INSERT INTO meetings (meeting_id, created_at) VALUES ($1, $2) "
      "ON CONFLICT (meeting_id) DO NOTHING",
      {meeting_id, when});
  if (!subject.empty() && is_barred_sql(sql, meeting_id, subject)) {
    outcome.barred = true;
    return outcome;
  }
  // Under READ COMMITTED (PostgreSQL) a concurrent joiner on another node waits for our row lock,
  // then sees the host already set: exactly one first joiner becomes host.
  const bool first = sql.exec(
                         "UPDATE meetings SET host_participant_id = $1, host_subject = $2 "
                         "WHERE meeting_id = $3 AND host_participant_id IS NULL",
                         {pid, subject, meeting_id}) == 1;
  outcome.moderation = load_moderation_sql(sql, meeting_id).value_or(MeetingModeration{});
  MeetingModeration& m = outcome.moderation;
  if (m.host_subject.empty()) {
    outcome.is_host = first;  // tokens without subjects: only the very first joiner
  } else {
    outcome.is_host = !subject.empty() && subject == m.host_subject;
  }
  outcome.is_co_host = !outcome.is_host && !subject.empty() &&
                       std::find(m.co_host_subjects.begin(), m.co_host_subjects.end(), subject) !=
                           m.co_host_subjects.end();
  if (m.ended) {
    if (!outcome.is_host) {
      outcome.ended = true;
      return outcome;
    }
    sql.exec("UPDATE meetings SET ended_at = NULL WHERE meeting_id = $1", {meeting_id});
    m.ended = false;  // the host's return reopens it
  }
  sql.exec(
      "UPDATE meetings SET join_count = join_count + 1, last_joined_at = $1 "
      "WHERE meeting_id = $2",
      {when, meeting_id});
  const char* role = outcome.is_host ? "host" : outcome.is_co_host ? "co-host" : "participant";
  sql.exec(
      "INSERT INTO meeting_joins (meeting_id, participant_id, display_name, role, joined_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (meeting_id, participant_id) DO NOTHING",
      {meeting_id, pid, display_name, role, when});
  const auto created =
      sql.query("SELECT created_at FROM meetings WHERE meeting_id = $1", {meeting_id});
  if (!created.empty()) outcome.created_at = integer(created.front(), 0);
  return outcome;
}

void save_moderation_sql(Sql& sql, const std::string& meeting_id, const MeetingModeration& m) {
  sql.exec(
      "UPDATE meetings SET waiting_room = $1, locked = $2, e2ee_required = $3, "
      "max_participants = $4, host_subject = $5, "
      "ended_at = CASE WHEN $6 = '1' THEN COALESCE(ended_at, $7) ELSE NULL END "
      "WHERE meeting_id = $8",
      {flag(m.waiting_room), flag(m.locked), flag(m.e2ee_required), number(m.max_participants),
       m.host_subject, flag(m.ended), number(static_cast<int64_t>(std::time(nullptr))),
       meeting_id});
  sql.exec("DELETE FROM meeting_co_hosts WHERE meeting_id = $1", {meeting_id});
  for (const std::string& subject : m.co_host_subjects) {
    sql.exec(
        "INSERT INTO meeting_co_hosts (meeting_id, subject) VALUES ($1, $2) "
        "ON CONFLICT (meeting_id, subject) DO NOTHING",
        {meeting_id, subject});
  }
}

void bar_sql(Sql& sql, const std::string& meeting_id, const std::string& subject,
             const std::string& barred_by, int64_t now) {
  sql.exec(
      "INSERT INTO meeting_bars (meeting_id, subject, barred_by, barred_at) "
      "VALUES ($1, $2, $3, $4) ON CONFLICT (meeting_id, subject) DO NOTHING",
      {meeting_id, subject, barred_by, number(now)});
}

bool is_barred_sql(Sql& sql, const std::string& meeting_id, const std::string& subject) {
  return !sql.query("SELECT 1 FROM meeting_bars WHERE meeting_id = $1 AND subject = $2",
                    {meeting_id, subject})
              .empty();
}

void record_audit_sql(Sql& sql, const AuditEntry& e) {
  sql.exec(
      "INSERT INTO meeting_audit (meeting_id, at_ms, actor_participant_id, actor_subject, "
      "actor_name, action, target_participant_id, target_subject, target_name, detail) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {e.meeting_id, number(e.at_ms), number(static_cast<int64_t>(e.actor_participant_id)),
       e.actor_subject, e.actor_name, e.action,
       number(static_cast<int64_t>(e.target_participant_id)), e.target_subject, e.target_name,
       e.detail});
}

std::vector<AuditEntry> audit_sql(Sql& sql, const std::string& meeting_id, std::size_t limit) {
  // The limit is ours (a number), never client text.
  const auto rows = sql.query(
      "SELECT at_ms, actor_participant_id, actor_subject, actor_name, action, "
      "target_participant_id, target_subject, target_name, detail FROM meeting_audit "
      "WHERE meeting_id = $1 ORDER BY at_ms DESC LIMIT " +
          std::to_string(limit),
      {meeting_id});
  std::vector<AuditEntry> entries;
  entries.reserve(rows.size());
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    const SqlRow& row = *it;
    AuditEntry& e = entries.emplace_back();
    e.meeting_id = meeting_id;
    e.at_ms = integer(row, 0);
    e.actor_participant_id = static_cast<uint64_t>(integer(row, 1));
    e.actor_subject = text(row, 2);
    e.actor_name = text(row, 3);
    e.action = text(row, 4);
    e.target_participant_id = static_cast<uint64_t>(integer(row, 5));
    e.target_subject = text(row, 6);
    e.target_name = text(row, 7);
    e.detail = text(row, 8);
  }
  return entries;
}

}  // namespace vc::store
