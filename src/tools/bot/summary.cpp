#include "summary.hpp"

#include <algorithm>
#include <set>
#include <string>

#include "tool_support.hpp"
#include "view.hpp"

namespace vc::tools {

namespace {

nlohmann::json percentiles_ms(std::vector<uint32_t>& samples) {
  if (samples.empty()) return {{"samples", 0}};
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const auto index = static_cast<std::size_t>(q * static_cast<double>(samples.size() - 1));
    return samples[index] / 1000.0;
  };
  return {{"samples", samples.size()},
          {"p50", at(0.50)},
          {"p90", at(0.90)},
          {"p99", at(0.99)},
          {"max", at(1.0)}};
}

struct KindTotals {
  uint64_t received = 0, lost = 0, out_of_order = 0, expected = 0;
  double fps_min = 1e9, fps_max = 0, fps_sum = 0;
  int receivers = 0;
};

nlohmann::json kind_json(const KindTotals& totals, uint64_t sent_per_publisher,
                         const char* rate_name) {
  const uint64_t missing =
      totals.expected > totals.received ? totals.expected - totals.received : 0;
  return nlohmann::json{
      {"sent_per_publisher", sent_per_publisher},
      {"expected", totals.expected},
      {"received", totals.received},
      {"lost", totals.lost},
      {"missing", missing},
      {"out_of_order", totals.out_of_order},
      {"loss_ratio",
       totals.expected ? static_cast<double>(missing) / static_cast<double>(totals.expected) : 0.0},
      {rate_name, totals.receivers ? nlohmann::json{{"mean", totals.fps_sum / totals.receivers},
                                                    {"min", totals.fps_min},
                                                    {"max", totals.fps_max}}
                                   : nlohmann::json(nullptr)}};
}

// How many of our own publishers' video `p` should get every frame of (an estimate in the
// speaker mode, where the server chooses).
int video_senders(const BotOptions& options, const Participant& p, int senders,
                  const std::set<uint64_t>& own_publishers) {
  if (options.view <= 0) return senders;
  if (!uses_explicit_view(options)) return std::min(options.view, senders);
  return static_cast<int>(std::count_if(p.viewed.begin(), p.viewed.end(),
                                        [&](uint64_t id) { return own_publishers.contains(id); }));
}

}  // namespace

int summarize(const BotOptions& options, const std::vector<std::unique_ptr<Participant>>& all,
              const RunFacts& facts, nlohmann::json& summary) {
  std::vector<uint32_t> join_us;
  std::vector<uint32_t> video_latency;
  std::vector<uint32_t> audio_latency;
  std::vector<uint32_t> first_frame;
  nlohmann::json failures = nlohmann::json::array();
  int exit_code = kExitOk;
  uint64_t reconnects = 0;
  uint64_t forwarded = 0;
  uint64_t by_layer[limits::kMaxSimulcastLayers] = {};
  uint64_t layer_switches = 0;
  uint64_t unviewed = 0;
  KindTotals video, audio;
  // Transport each participant's (last) session ran on, by role.
  nlohmann::json transports_used = {{"publishers", {{"webtransport", 0}, {"websocket", 0}}},
                                    {"subscribers", {{"webtransport", 0}, {"websocket", 0}}}};
  // With --meeting, publishers of other bot processes share the meeting: loss and rates are
  // accounted for our own publishers only (we know what they sent).
  std::set<uint64_t> own_publishers;
  std::set<uint64_t> own_speakers;
  for (const auto& p : all) {
    if (p->publisher) own_publishers.insert(p->participant_id);
    if (p->speaker) own_speakers.insert(p->participant_id);
  }
  const int speakers_per_room = static_cast<int>(own_speakers.size()) / std::max(1, options.rooms);
  for (const auto& p : all) {
    std::lock_guard receive_lock(p->receive_mutex);
    reconnects += p->client->stats().reconnects;
    if (p->transport) {
      auto& used = transports_used[p->publisher ? "publishers" : "subscribers"]
                                  [std::string(client::to_string(*p->transport))];
      used = used.get<int>() + 1;
    }
    if (p->join_us >= 0) {
      join_us.push_back(static_cast<uint32_t>(p->join_us));
    } else if (failures.size() < 5) {
      failures.push_back(p->close_error.message);
      if (exit_code == kExitOk) exit_code = exit_code_for(p->close_error);
    }
    if (p->join_us < 0 && exit_code == kExitOk) exit_code = kExitUnreachable;  // join timeout
    video_latency.insert(video_latency.end(), p->video_latency_us.begin(),
                         p->video_latency_us.end());
    audio_latency.insert(audio_latency.end(), p->audio_latency_us.begin(),
                         p->audio_latency_us.end());
    first_frame.insert(first_frame.end(), p->first_frame_us.begin(), p->first_frame_us.end());
    unviewed += p->unviewed_video;
    for (const auto& [key, stats] : p->streams) forwarded += stats.received;
    if (!facts.all_joined) continue;
    // Every participant receives the publishers in its room except itself (video: those it views).
    const int senders = options.publishers - (p->publisher ? 1 : 0);
    const int audio_senders = speakers_per_room - (p->speaker ? 1 : 0);
    uint64_t video_received = 0;
    uint64_t audio_received = 0;
    for (const auto& [key, stats] : p->streams) {
      if (!own_publishers.contains(key.sender)) continue;
      const bool is_audio = key.kind == v1::MEDIA_KIND_AUDIO;
      KindTotals& totals = is_audio ? audio : video;
      totals.lost += stats.lost;
      totals.out_of_order += stats.out_of_order;
      (is_audio ? audio_received : video_received) += stats.received;
      if (is_audio) continue;
      layer_switches += stats.layer_switches;
      for (std::size_t s = 0; s < limits::kMaxSimulcastLayers; ++s)
        by_layer[s] += stats.by_layer[s];
    }
    auto account = [&](KindTotals& totals, uint64_t received, uint64_t sent_per_publisher,
                       int from) {
      if (sent_per_publisher == 0 || from <= 0) return;
      totals.received += received;
      totals.expected += sent_per_publisher * static_cast<uint64_t>(from);
      const double fps = static_cast<double>(received) / from / options.duration_s;
      totals.fps_min = std::min(totals.fps_min, fps);
      totals.fps_max = std::max(totals.fps_max, fps);
      totals.fps_sum += fps;
      ++totals.receivers;
    };
    account(video, video_received, facts.video_sent_per_publisher,
            video_senders(options, *p, senders, own_publishers));
    account(audio, audio_received, facts.audio_sent_per_publisher, audio_senders);
  }
  if (!facts.all_joined && exit_code == kExitOk) exit_code = kExitFailure;
  const int joined = static_cast<int>(join_us.size());
  summary["participants"] = {{"total", facts.total},
                             {"joined", joined},
                             {"failed", facts.total - joined},
                             {"failures", failures},
                             {"ramp_up_s", facts.ramp_s}};
  summary["join_ms"] = percentiles_ms(join_us);
  summary["video"] = kind_json(video, facts.video_sent_per_publisher, "fps_per_subscriber");
  summary["video"]["received_by_layer"] = nlohmann::json::array();
  for (uint64_t count : by_layer) summary["video"]["received_by_layer"].push_back(count);
  summary["video"]["layer_switches"] = layer_switches;
  summary["audio"] =
      kind_json(audio, facts.audio_sent_per_publisher, "packets_per_s_per_subscriber");
  summary["latency_ms"] = {{"video", percentiles_ms(video_latency)},
                           {"audio", percentiles_ms(audio_latency)}};
  std::vector<uint32_t> all_latency = std::move(video_latency);
  all_latency.insert(all_latency.end(), audio_latency.begin(), audio_latency.end());
  summary["latency_ms"]["all"] = percentiles_ms(all_latency);
  if (options.view > 0) {
    summary["view"] = {{"unviewed_video_received", unviewed},
                       {"first_frame_ms", percentiles_ms(first_frame)}};
  }
  summary["forwarded_packets"] = forwarded;
  summary["forwarded_packets_per_s"] =
      facts.all_joined ? static_cast<double>(forwarded) / options.duration_s : 0.0;
  summary["reconnects"] = reconnects;
  summary["transport"] = transports_used;
  // Missing frames (e.g. published while a subscriber's node was down) count as loss too. Views
  // that change (rotate, speaker) make the expected video count an estimate: not checked.
  const bool exact_video = options.view <= 0 || options.view_mode == "fixed";
  summary["ok"] = exit_code == kExitOk && video.lost == 0 && audio.lost == 0 &&
                  (!exact_video || video.received >= video.expected) &&
                  audio.received >= audio.expected && (!exact_video || unviewed == 0);
  return exit_code;
}

}  // namespace vc::tools
