// Schema migrations as data, shared by every MeetingStore implementation. The SQL is portable
// (SQLite and PostgreSQL): TEXT, BIGINT, INTEGER, PRIMARY KEY, REFERENCES, CREATE INDEX only.
// Append new migrations; never edit one that has shipped.
#pragma once

#include <span>
#include <string_view>

namespace vc::store {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;  // one or more statements separated by ';'
};

std::span<const Migration> migrations();

}  // namespace vc::store
