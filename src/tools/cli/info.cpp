// videocall-cli info: cameras (V4L2) with formats and sizes, and ALSA PCM devices.
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "tool_support.hpp"
#include "videocall/media.hpp"

namespace vc::tools {

std::function<int()> add_info_command(CLI::App& app) {
  auto* command = app.add_subcommand(
      "info", "List cameras with their formats and resolutions, and audio devices");
  auto json_output = std::make_shared<bool>(false);
  command->add_flag("--json", *json_output, "Print JSON instead of text");
  return [json_output] {
    const auto cameras = media::list_cameras();
    const auto audio = media::list_audio_devices();
    if (*json_output) {
      nlohmann::json out{{"cameras", nlohmann::json::array()},
                         {"audio_devices", nlohmann::json::array()}};
      for (const auto& camera : cameras) {
        nlohmann::json formats = nlohmann::json::array();
        for (const auto& format : camera.formats) {
          nlohmann::json sizes = nlohmann::json::array();
          for (const auto& [w, h] : format.sizes)
            sizes.push_back(std::to_string(w) + "x" + std::to_string(h));
          formats.push_back({{"fourcc", format.fourcc},
                             {"description", format.description},
                             {"sizes", sizes},
                             {"stepwise", format.stepwise}});
        }
        out["cameras"].push_back({{"device", camera.device},
                                  {"name", camera.name},
                                  {"driver", camera.driver},
                                  {"formats", formats}});
      }
      for (const auto& device : audio) {
        out["audio_devices"].push_back({{"name", device.name},
                                        {"description", device.description},
                                        {"capture", device.capture},
                                        {"playback", device.playback}});
      }
      std::cout << out.dump(2) << "\n";
      return static_cast<int>(kExitOk);
    }
    std::cout << "Cameras (V4L2):\n";
    if (cameras.empty()) std::cout << "  (none found under /dev/video*)\n";
    for (const auto& camera : cameras) {
      std::cout << "  " << camera.device << "  " << camera.name << " [" << camera.driver << "]\n";
      for (const auto& format : camera.formats) {
        std::cout << "    " << format.fourcc << " (" << format.description << "):";
        for (const auto& [w, h] : format.sizes) std::cout << " " << w << "x" << h;
        if (!format.stepwise.empty()) std::cout << " any of " << format.stepwise;
        std::cout << "\n";
      }
    }
    std::cout << "Audio devices (ALSA):\n";
    if (audio.empty()) std::cout << "  (none)\n";
    for (const auto& device : audio) {
      std::cout << "  " << device.name << (device.capture ? "  [capture]" : "")
                << (device.playback ? "  [playback]" : "");
      if (!device.description.empty()) std::cout << "  " << device.description;
      std::cout << "\n";
    }
    return static_cast<int>(kExitOk);
  };
}

}  // namespace vc::tools
