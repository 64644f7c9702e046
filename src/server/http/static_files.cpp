#include "server/http/static_files.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>

#include "server/http/router.hpp"

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
  // Reject any dot segment ("/..", "/./") rather than normalising it away.
  for (std::size_t pos = 0; pos != std::string_view::npos;) {
    const std::size_t next = path.find('/', pos + 1);
    const std::string_view segment = path.substr(pos + 1, next == std::string_view::npos
                                                              ? std::string_view::npos
                                                              : next - pos - 1);
    if (segment == ".." || segment == ".") return std::nullopt;
    pos = next;
  }
  if (path == "/" || path.starts_with("/meeting/")) return web_root / "index.html";
  std::filesystem::path file = web_root / std::filesystem::path(path.substr(1));
  std::error_code ec;
  if (std::filesystem::is_regular_file(file, ec)) return file;
  if (is_spa_route(path)) return web_root / "index.html";
  return file;  // does not exist: the caller answers 404
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

bhttp::message_generator serve_static(const app::ServerContext& ctx, const Request& req,
                                      std::string_view path) {
  const RequestInfo info = info_of(req);
  const auto file = resolve_static_path(ctx.config.web_root, path);
  if (!file) {
    return error_response(bhttp::status::bad_request, "bad_request", "invalid path", info);
  }
  boost::beast::error_code ec;
  bhttp::file_body::value_type body;
  body.open(file->c_str(), boost::beast::file_mode::scan, ec);
  if (ec) {
    if (file->filename() == "index.html") {
      return text_response(bhttp::status::not_found,
                           "web app not built: run `make web` or pass --web-root\n", "text/plain",
                           info);
    }
    return text_response(bhttp::status::not_found, "not found\n", "text/plain", info);
  }
  const std::uint64_t size = body.size();
  const bool hashed_asset = path.starts_with("/assets/");
  auto set_headers = [&](auto& res) {
    res.set(bhttp::field::server, "videocall-server");
    res.set(bhttp::field::content_type, content_type_for(*file));
    res.set("X-Content-Type-Options", "nosniff");
    res.set(bhttp::field::cache_control,
            hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
    res.content_length(size);
    res.keep_alive(info.keep_alive);
  };
  if (info.head) {
    bhttp::response<bhttp::empty_body> res{bhttp::status::ok, info.version};
    set_headers(res);
    return res;
  }
  bhttp::response<bhttp::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                        std::make_tuple(bhttp::status::ok, info.version)};
  set_headers(res);
  return res;
}

}  // namespace vc::http
