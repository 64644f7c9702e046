#include "server/http/request_validation.hpp"

#include <gtest/gtest.h>

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

TEST(RequestValidation, DisplayNamesWithInvisibleFormattingAreRefused) {
  // Each is refused alone and inside a name: bidi embeddings/overrides (U+202A-202E), isolates
  // (U+2066-2069), marks (U+200E, U+200F, U+061C), zero-width (U+200B-200D, U+2060, U+FEFF).
  for (const char* invisible :
       {"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae",
        "\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9", "\xe2\x80\x8e",
        "\xe2\x80\x8f", "\xd8\x9c", "\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", "\xe2\x81\xa0",
        "\xef\xbb\xbf"}) {
    EXPECT_FALSE(normalize_display_name(std::string("Ada") + invisible + "gpj.exe"))
        << "U+" << std::hex << static_cast<int>(static_cast<unsigned char>(invisible[1]));
    EXPECT_FALSE(normalize_display_name(invisible));
  }
  // Neighbours of the refused ranges stay allowed (U+2010 hyphen, U+061B Arabic semicolon,
  // U+FEFE).
  EXPECT_TRUE(
      normalize_display_name("a\xe2\x80\x90"
                             "b"));
  EXPECT_TRUE(normalize_display_name("a\xd8\x9b"));
  EXPECT_TRUE(normalize_display_name("\xef\xbb\xbe"));
  const auto refused = parse_join_request("{\"display_name\":\"Ada\\u202Egnp.exe\"}");
  EXPECT_FALSE(refused.body);
  EXPECT_NE(refused.error.find("bidi"), std::string::npos);
}

TEST(RequestValidation, JoinBodies) {
  const auto ok = parse_join_request(R"({"display_name":" Ada ","extra":1})");
  ASSERT_TRUE(ok.body);
  EXPECT_EQ(ok.body->display_name, "Ada");
  EXPECT_TRUE(ok.body->identity_key.empty());
  const auto keyed =
      parse_join_request(R"({"display_name":"Ada","identity_key":"abcDEF0123456789_-xy"})");
  ASSERT_TRUE(keyed.body);
  EXPECT_EQ(keyed.body->identity_key, "abcDEF0123456789_-xy");
  for (const char* bad_key : {R"({"display_name":"Ada","identity_key":"short"})",
                              R"({"display_name":"Ada","identity_key":5})",
                              R"({"display_name":"Ada","identity_key":"has space 0123456789"})"}) {
    const auto parsed = parse_join_request(bad_key);
    EXPECT_FALSE(parsed.body) << bad_key;
    EXPECT_FALSE(parsed.error.empty()) << bad_key;
  }
  for (const char* bad : {"", "null", "[]", "{}", R"({"display_name":5})", R"({"display_name":""})",
                          "{\"display_name\":\"a\"", "not json"}) {
    const auto parsed = parse_join_request(bad);
    EXPECT_FALSE(parsed.body) << bad;
    EXPECT_FALSE(parsed.error.empty()) << bad;
  }
}

}  // namespace
}  // namespace vc::http
