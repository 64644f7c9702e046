#include "server/http/static_files.hpp"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>

#include "server/http/router.hpp"

namespace vc::http {

bhttp::message_generator serve_static(const core::ServerContext& ctx, const Request& req,
                                      std::string_view path) {
  const RequestInfo info = info_of(req);
  const auto file = resolve_static_path(ctx.config.web_root, path);
  if (!file) {
    return error_response(bhttp::status::bad_request, "bad_request", "invalid path", info);
  }
  // Only regular files whose real path stays in the web root: no symlinks out, no directories.
  const auto real_file = confine_to_web_root(ctx.config.web_root, *file);
  boost::beast::error_code ec;
  bhttp::file_body::value_type body;
  if (real_file) body.open(real_file->c_str(), boost::beast::file_mode::scan, ec);
  if (!real_file || ec) {
    if (file->filename() == "index.html") {
      return text_response(bhttp::status::not_found,
                           "web app not built: run `make web` or pass --web-root\n", "text/plain",
                           info);
    }
    return text_response(bhttp::status::not_found, "not found\n", "text/plain", info);
  }
  const std::uint64_t size = body.size();
  const bool hashed_asset = path.starts_with("/assets/");
  const std::string csp = web_app_csp(ctx.config.peer_urls);
  auto set_headers = [&](auto& res) {
    res.set(bhttp::field::server, "videocall-server");
    res.set(bhttp::field::content_type, content_type_for(*file));
    set_common_security_headers(res.base());
    res.set("Content-Security-Policy", csp);
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
