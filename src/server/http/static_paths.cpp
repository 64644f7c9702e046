// Static path resolution and content types: pure functions, unit-tested and fuzzed.
#include <algorithm>
#include <string>

#include "server/http/static_files.hpp"

namespace vc::http {

namespace {

std::optional<std::string> strict_percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = hex(in[i + 1]);
    const int lo = hex(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

bool is_spa_route(std::string_view path) {
  if (path == "/" || path.starts_with("/meeting/")) return true;
  const std::string_view last = path.substr(path.rfind('/') + 1);
  return last.find('.') == std::string_view::npos;
}

}  // namespace

std::optional<std::filesystem::path> resolve_static_path(const std::filesystem::path& web_root,
                                                         std::string_view request_path) {
  auto decoded = strict_percent_decode(request_path);
  if (!decoded || decoded->empty() || decoded->front() != '/') return std::nullopt;
  const std::string_view path = *decoded;
  if (path.find('\0') != std::string_view::npos || path.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  // Rebuild the path from its segments: dot segments are refused rather than normalised, and
  // empty ones ("//etc/passwd") are skipped so the result is always relative to the web root.
  std::filesystem::path relative;
  for (std::size_t pos = 0; pos < path.size();) {
    const std::size_t next = std::min(path.find('/', pos + 1), path.size());
    const std::string_view segment = path.substr(pos + 1, next - pos - 1);
    if (segment == ".." || segment == ".") return std::nullopt;
    if (!segment.empty()) relative /= std::filesystem::path(segment);
    pos = next;
  }
  if (path == "/" || path.starts_with("/meeting/")) return web_root / "index.html";
  std::filesystem::path file = web_root / relative;
  std::error_code ec;
  if (std::filesystem::is_regular_file(file, ec)) return file;
  if (is_spa_route(path)) return web_root / "index.html";
  return file;  // does not exist: the caller answers 404
}

std::optional<std::filesystem::path> confine_to_web_root(const std::filesystem::path& web_root,
                                                         const std::filesystem::path& file) {
  std::error_code ec;
  const std::filesystem::path root = std::filesystem::canonical(web_root, ec);
  if (ec) return std::nullopt;
  std::filesystem::path real = std::filesystem::canonical(file, ec);
  if (ec || !std::filesystem::is_regular_file(real, ec)) return std::nullopt;
  // Compare whole segments, so /srv/web-private is not inside /srv/web.
  auto [root_end, real_it] = std::mismatch(root.begin(), root.end(), real.begin(), real.end());
  if (root_end != root.end() || real_it == real.end()) return std::nullopt;
  return real;
}

std::string_view content_type_for(const std::filesystem::path& file) {
  const std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".webmanifest") return "application/manifest+json";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".gif") return "image/gif";
  if (ext == ".webp") return "image/webp";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff") return "font/woff";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".ttf") return "font/ttf";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

}  // namespace vc::http
