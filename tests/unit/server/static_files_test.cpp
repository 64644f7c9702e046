#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

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

// Issue 9 item 14: a symlink out of the web root was followed; a directory named x.d dropped the
// connection. Only regular files whose real path is inside the root are served.
TEST(StaticFiles, OnlyRegularFilesInsideTheRealWebRoot) {
  char pattern[] = "/tmp/vc-static-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern), nullptr);
  const std::filesystem::path base = pattern;
  const std::filesystem::path root = base / "web";
  std::filesystem::create_directories(root / "x.d");
  std::filesystem::create_directories(base / "web-private");
  std::ofstream(root / "app.js") << "ok";
  std::ofstream(base / "secret.txt") << "secret";
  std::ofstream(base / "web-private" / "key.txt") << "secret";
  std::filesystem::create_symlink(base / "secret.txt", root / "leak.txt");
  std::filesystem::create_symlink("../web-private", root / "private");
  std::filesystem::create_symlink(root / "app.js", root / "alias.js");
  std::filesystem::create_symlink(root, base / "web-link");

  EXPECT_EQ(confine_to_web_root(root, root / "app.js"), root / "app.js");
  EXPECT_EQ(confine_to_web_root(root, root / "alias.js"), root / "app.js");
  EXPECT_EQ(confine_to_web_root(base / "web-link", base / "web-link" / "app.js"), root / "app.js");
  EXPECT_FALSE(confine_to_web_root(root, root / "leak.txt"));
  EXPECT_FALSE(confine_to_web_root(root, root / "private" / "key.txt"));  // web-private != web
  EXPECT_FALSE(confine_to_web_root(root, root / "x.d"));
  EXPECT_FALSE(confine_to_web_root(root, root / "missing.js"));
  EXPECT_FALSE(confine_to_web_root(root, root));
  std::filesystem::remove_all(base);
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
