#include <gtest/gtest.h>

#include "server/http/static_files.hpp"

namespace vc::http {
namespace {

const std::filesystem::path kRoot = "/srv/web";

TEST(StaticFiles, SpaRoutesMapToIndex) {
  EXPECT_EQ(resolve_static_path(kRoot, "/"), kRoot / "index.html");
  EXPECT_EQ(resolve_static_path(kRoot, "/meeting/demo"), kRoot / "index.html");
  EXPECT_EQ(resolve_static_path(kRoot, "/meeting/demo.with.dots"), kRoot / "index.html");
  EXPECT_EQ(resolve_static_path(kRoot, "/settings"), kRoot / "index.html");
  EXPECT_EQ(resolve_static_path(kRoot, "/assets/app.js"), kRoot / "assets/app.js");
  // Empty segments never make the path absolute (found by fuzz_join_request).
  EXPECT_EQ(resolve_static_path(kRoot, "//etc/os-release.txt"), kRoot / "etc/os-release.txt");
  EXPECT_EQ(resolve_static_path(kRoot, "/assets//%2Fetc/x.js"), kRoot / "assets/etc/x.js");
}

TEST(StaticFiles, TraversalIsRejected) {
  for (const char* bad : {"/../etc/passwd", "/assets/../../x", "/%2e%2e/x", "/a/%2E%2E/b",
                          "/a\\..\\b", "/x%00.js", "/%zz", "/%2", "relative", "", "/./x"}) {
    EXPECT_FALSE(resolve_static_path(kRoot, bad)) << bad;
  }
}

TEST(StaticFiles, ContentTypes) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("a.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("a.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("a.wasm"), "application/wasm");
  EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("worklet.js.map"), "application/json");
  EXPECT_EQ(content_type_for("blob"), "application/octet-stream");
}

}  // namespace
}  // namespace vc::http
