#include "server/auth/grants_claim.hpp"

#include <algorithm>
#include <array>

#include "server/room/permissions.hpp"

namespace vc::auth {

namespace v1 = ::videocall::v1;

namespace {

constexpr std::array<std::string_view, 3> kSources = {"camera", "microphone", "screen"};

}  // namespace

std::optional<v1::Grants> grants_from_claim(v1::ParticipantRole role, const nlohmann::json* claim) {
  v1::Grants grants = room::role_default_grants(role);
  if (claim == nullptr) return grants;
  if (!claim->is_object()) return std::nullopt;
  for (const auto& [key, value] : claim->items()) {
    if (key == "publish") {
      if (!value.is_array() || value.size() > kSources.size()) return std::nullopt;
      bool camera = false, microphone = false, screen = false;
      for (const auto& source : value) {
        if (!source.is_string()) return std::nullopt;
        const auto& name = source.get_ref<const std::string&>();
        bool* flag = name == "camera"       ? &camera
                     : name == "microphone" ? &microphone
                     : name == "screen"     ? &screen
                                            : nullptr;
        if (flag == nullptr || *flag) return std::nullopt;
        *flag = true;
      }
      grants.set_publish_camera(grants.publish_camera() && camera);
      grants.set_publish_microphone(grants.publish_microphone() && microphone);
      grants.set_publish_screen(grants.publish_screen() && screen);
    } else if (key == "subscribe") {
      if (!value.is_boolean()) return std::nullopt;
      grants.set_subscribe(grants.subscribe() && value.get<bool>());
    } else if (key == "chat") {
      if (!value.is_boolean()) return std::nullopt;
      grants.set_chat(grants.chat() && value.get<bool>());
    } else {
      return std::nullopt;
    }
  }
  return grants;
}

nlohmann::json grants_claim(const v1::Grants& grants) {
  nlohmann::json publish = nlohmann::json::array();
  if (grants.publish_camera()) publish.push_back("camera");
  if (grants.publish_microphone()) publish.push_back("microphone");
  if (grants.publish_screen()) publish.push_back("screen");
  return {
      {"publish", std::move(publish)}, {"subscribe", grants.subscribe()}, {"chat", grants.chat()}};
}

std::optional<nlohmann::json> grants_claim_from_names(std::string_view names) {
  nlohmann::json claim = {
      {"publish", nlohmann::json::array()}, {"subscribe", false}, {"chat", false}};
  if (names == "none") return claim;
  if (names.empty()) return std::nullopt;
  std::size_t start = 0;
  while (start <= names.size() && !names.empty()) {
    const auto comma = names.find(',', start);
    const std::string_view name =
        names.substr(start, comma == std::string_view::npos ? names.npos : comma - start);
    if (name == "subscribe" || name == "chat") {
      if (claim[std::string(name)].get<bool>()) return std::nullopt;
      claim[std::string(name)] = true;
    } else if (std::find(kSources.begin(), kSources.end(), name) != kSources.end()) {
      for (const auto& listed : claim["publish"]) {
        if (listed.get_ref<const std::string&>() == name) return std::nullopt;
      }
      claim["publish"].push_back(std::string(name));
    } else {
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return claim;
}

}  // namespace vc::auth
