#include <gtest/gtest.h>

#include "server/http/request_validation.hpp"

namespace vc::http {
namespace {

TEST(RequestValidation, MeetingIds) {
  EXPECT_TRUE(is_valid_meeting_id("demo"));
  EXPECT_TRUE(is_valid_meeting_id("A-b_9"));
  EXPECT_TRUE(is_valid_meeting_id(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_meeting_id(""));
  EXPECT_FALSE(is_valid_meeting_id(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_meeting_id("a b"));
  EXPECT_FALSE(is_valid_meeting_id("../x"));
  EXPECT_FALSE(is_valid_meeting_id("caf\xc3\xa9"));
}

TEST(RequestValidation, DisplayNames) {
  EXPECT_EQ(normalize_display_name("  Ada \t"), "Ada");
  EXPECT_EQ(normalize_display_name("Zo\xc3\xab"), "Zo\xc3\xab");
  EXPECT_EQ(normalize_display_name(std::string(64, 'n')), std::string(64, 'n'));
  EXPECT_FALSE(normalize_display_name(std::string(65, 'n')));
  EXPECT_FALSE(normalize_display_name("   "));
  EXPECT_FALSE(normalize_display_name("bell\x07"));
  EXPECT_FALSE(normalize_display_name("bad\xff"));
  EXPECT_FALSE(normalize_display_name("overlong\xc0\xaf"));
  EXPECT_FALSE(normalize_display_name("surrogate\xed\xa0\x80"));
  EXPECT_FALSE(normalize_display_name("cut\xe2\x82"));
}

TEST(RequestValidation, JoinBodies) {
  const auto ok = parse_join_request(R"({"display_name":" Ada ","extra":1})");
  ASSERT_TRUE(ok.body);
  EXPECT_EQ(ok.body->display_name, "Ada");
  for (const char* bad : {"", "null", "[]", "{}", R"({"display_name":5})",
                          R"({"display_name":""})", "{\"display_name\":\"a\"", "not json"}) {
    const auto parsed = parse_join_request(bad);
    EXPECT_FALSE(parsed.body) << bad;
    EXPECT_FALSE(parsed.error.empty()) << bad;
  }
}

}  // namespace
}  // namespace vc::http
