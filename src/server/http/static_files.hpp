// Static web app serving: safe path resolution, content types and the single-page-app fallback.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace vc::http {

// Maps a request path to a file under `web_root`, or nullopt if the path is unsafe (.., NUL,
// backslash, bad percent-encoding). "/" and "/meeting/{id}" map to index.html; other paths
// without a file extension fall back to index.html too (client-side routes).
std::optional<std::filesystem::path> resolve_static_path(const std::filesystem::path& web_root,
                                                         std::string_view request_path);

// The real path of `file` if it is a regular file whose real path (symlinks resolved) lies inside
// the real path of `web_root`; nullopt otherwise (missing, a directory, a link leading out).
std::optional<std::filesystem::path> confine_to_web_root(const std::filesystem::path& web_root,
                                                         const std::filesystem::path& file);

std::string_view content_type_for(const std::filesystem::path& file);

}  // namespace vc::http
