#include "net/h3/connect_policy.hpp"

#include <algorithm>

namespace vc::h3 {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out.push_back(' ');
    } else if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      const int high = hex_value(in[i + 1]);
      const int low = hex_value(in[i + 2]);
      if (high < 0 || low < 0) return false;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return true;
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

std::string query_parameter(std::string_view target, std::string_view name) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    if (eq == std::string_view::npos) return {};
    std::string value;
    if (!percent_decode(pair.substr(eq + 1), value)) return {};
    return value;
  }
  return {};
}

ConnectDecision evaluate_connect(const RequestHeaders& request, const ConnectPolicy& policy,
                                 const std::function<bool(std::string_view token)>& verify_token) {
  if (request.method != "CONNECT" || request.protocol != "webtransport" ||
      request.scheme != "https" || request.path.empty() || request.authority.empty()) {
    return {400, {}, "not an extended CONNECT for webtransport"};
  }
  if (path_of(request.path) != policy.path) return {404, {}, "unknown path"};
  // Browsers always send Origin on a WebTransport CONNECT; the allowlist keeps other sites' pages
  // out. A native client sends none (and could forge any), so only its token authorises it.
  if (!policy.allowed_origins.empty() && !request.origin.empty() &&
      std::find(policy.allowed_origins.begin(), policy.allowed_origins.end(), request.origin) ==
          policy.allowed_origins.end()) {
    return {403, {}, "origin not allowed"};
  }
  std::string token = query_parameter(request.path, "token");
  if (token.empty()) return {401, {}, "missing token"};
  if (!verify_token(token)) return {401, {}, "invalid token"};
  return {200, std::move(token), "accepted"};
}

}  // namespace vc::h3
