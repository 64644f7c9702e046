// videocall-cli chat: send chat messages, reactions or a raised hand, and print the meeting's chat
// (history first, then live with --follow) as lines or JSON lines (docs/CLIENT.md).
#include <chrono>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "common/log.hpp"
#include "session.hpp"
#include "tool_support.hpp"

namespace vc::tools {

namespace {

struct ChatOptions {
  ConnectionOptions connection;
  std::vector<std::string> send;
  std::vector<std::string> react;
  bool raise_hand = false;
  bool lower_hand = false;
  bool follow = false;
  bool json = false;
};

std::string clock_time(uint64_t ms) {
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&seconds, &tm);
  char text[16];
  std::strftime(text, sizeof text, "%H:%M:%S", &tm);
  return text;
}

// Lives on the client's strand: every callback runs there, one at a time.
class ChatPrinter {
 public:
  ChatPrinter(const ChatOptions& options, StopLatch& latch) : options_(options), latch_(latch) {}

  void set_client(std::shared_ptr<client::Client> client) { client_ = std::move(client); }

  void on_joined(const client::JoinInfo& info) {
    self_ = info.participant_id;
    names_[self_] = options_.connection.name;
    for (const auto& p : info.roster) on_participant(p);
    if (started_ || !client_) return;  // a resumed session: everything was sent already
    started_ = true;
    if (options_.json) print_json({{"type", "joined"}, {"participant_id", self_}});
    for (std::size_t i = 0; i < options_.send.size(); ++i) {
      pending_chat_.insert(i + 1);
      client_->send_chat(options_.send[i], i + 1);
    }
    for (const std::string& emoji : options_.react) {
      ++pending_reactions_;
      client_->send_reaction(emoji);
    }
    if (options_.raise_hand || options_.lower_hand) {
      pending_hand_ = true;
      client_->raise_hand(options_.raise_hand);
    }
    maybe_done();
  }

  void on_participant(const v1::Participant& p) {
    names_[p.participant_id()] = p.display_name();
    const bool raised = p.hand_raised_at_us() != 0;
    const auto known = hands_.find(p.participant_id());
    const bool changed = known == hands_.end() ? raised : known->second != raised;
    hands_[p.participant_id()] = raised;
    if (changed) {
      if (options_.json) {
        print_json({{"type", "hand"},
                    {"participant_id", p.participant_id()},
                    {"name", p.display_name()},
                    {"raised", raised},
                    {"raised_at_us", p.hand_raised_at_us()}});
      } else {
        std::cout << log::escape(p.display_name()) << (raised ? " raised" : " lowered")
                  << " their hand" << std::endl;
      }
    }
    if (p.participant_id() == self_ && pending_hand_ && raised == options_.raise_hand) {
      pending_hand_ = false;
      maybe_done();
    }
  }

  void on_chat(const v1::ChatMessage& m) {
    if (options_.json) {
      print_json({{"type", "chat"},
                  {"message_id", m.message_id()},
                  {"sender_id", m.sender_participant_id()},
                  {"sender", m.sender_display_name()},
                  {"sent_at_ms", m.sent_at_ms()},
                  {"text", m.text()}});
    } else {
      // Escaped: a terminal must not run what a participant typed (newlines show as \n).
      std::cout << "[" << clock_time(m.sent_at_ms()) << "] " << log::escape(m.sender_display_name())
                << ": " << log::escape(m.text()) << std::endl;
    }
    if (m.sender_participant_id() == self_ && pending_chat_.erase(m.client_message_id()) > 0) {
      maybe_done();
    }
  }

  void on_reaction(const v1::Reaction& r) {
    const std::string name = names_.count(r.participant_id()) ? names_[r.participant_id()] : "";
    if (options_.json) {
      print_json({{"type", "reaction"},
                  {"participant_id", r.participant_id()},
                  {"name", name},
                  {"emoji", r.emoji()},
                  {"sent_at_ms", r.sent_at_ms()}});
    } else {
      std::cout << log::escape(name) << " reacted " << log::escape(r.emoji()) << std::endl;
    }
    if (r.participant_id() == self_ && pending_reactions_ > 0) {
      --pending_reactions_;
      maybe_done();
    }
  }

  void on_refused(const v1::Refused& r) {
    refused_ = true;
    std::cerr << "refused (" << r.code() << "): " << log::escape(r.message()) << "\n";
    if (options_.json) {
      print_json({{"type", "refused"},
                  {"code", r.code()},
                  {"message", r.message()},
                  {"client_message_id", r.client_message_id()}});
    }
    if (r.request() == v1::Control::kSendChat) pending_chat_.erase(r.client_message_id());
    if (r.request() == v1::Control::kSendReaction && pending_reactions_ > 0) --pending_reactions_;
    if (r.request() == v1::Control::kRaiseHand) pending_hand_ = false;
    maybe_done();
  }

 private:
  static void print_json(const nlohmann::json& line) {
    std::cout << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
  }

  // Without --follow the command ends once everything it sent came back or was refused; with
  // nothing to send it follows.
  void maybe_done() {
    const bool sends = !options_.send.empty() || !options_.react.empty() || options_.raise_hand ||
                       options_.lower_hand;
    if (options_.follow || !sends || !started_) return;
    if (pending_chat_.empty() && pending_reactions_ == 0 && !pending_hand_) {
      latch_.stop(refused_ ? kExitFailure : kExitOk);
    }
  }

  const ChatOptions& options_;
  StopLatch& latch_;
  std::shared_ptr<client::Client> client_;
  uint64_t self_ = 0;
  bool started_ = false;
  bool refused_ = false;
  std::set<uint64_t> pending_chat_;
  std::size_t pending_reactions_ = 0;
  bool pending_hand_ = false;
  std::map<uint64_t, std::string> names_;
  std::map<uint64_t, bool> hands_;
};

int run_chat(const ChatOptions& options) {
  if (options.raise_hand && options.lower_hand) {
    std::cerr << "error: --raise-hand and --lower-hand exclude each other\n";
    return kExitUsage;
  }
  client::EventLoop loop(1);
  StopLatch latch;
  auto printer = std::make_shared<ChatPrinter>(options, latch);

  client::ClientConfig config;
  if (!options.connection.apply_to(config)) return kExitBadFile;
  // Publishes nothing: a receive-only participant (in every roster) that wants no video.
  config.receive_only = true;
  config.subscriptions = client::video_defaults(0, /*paused=*/true);
  config.client_name = "videocall-cli-chat/0.1";

  client::ClientEvents events;
  events.on_joined = [printer](const client::JoinInfo& info) { printer->on_joined(info); };
  events.on_participant_joined = [printer](const v1::Participant& p) {
    printer->on_participant(p);
  };
  events.on_participant_updated = [printer](const v1::Participant& p) {
    printer->on_participant(p);
  };
  events.on_chat = [printer](const v1::ChatMessage& m) { printer->on_chat(m); };
  events.on_e2ee_status = print_e2ee_status;
  events.on_reaction = [printer](const v1::Reaction& r) { printer->on_reaction(r); };
  events.on_refused = [printer](const v1::Refused& r) { printer->on_refused(r); };
  events.on_reconnecting = [](const client::ClientError& why, std::chrono::milliseconds delay) {
    std::cerr << "connection lost (" << why.message << "); reconnecting in " << delay.count()
              << " ms\n";
  };
  events.on_closed = [&latch](const client::ClientError& why) {
    if (why.kind != client::ErrorKind::kLocalClose) std::cerr << "error: " << why.message << "\n";
    latch.stop(exit_code_for(why));
  };
  auto session = client::Client::create(loop, config, std::move(events));
  printer->set_client(session);
  const int code = run_client_session(loop, session, latch, options.connection.duration_s);
  printer->set_client(nullptr);
  return code;
}

}  // namespace

std::function<int()> add_chat_command(CLI::App& app) {
  auto options = std::make_shared<ChatOptions>();
  auto* command = app.add_subcommand(
      "chat", "Send chat messages, reactions or a raised hand, and print the meeting's chat");
  options->connection.add_to(*command, "cli");
  command->add_option("--send,-s", options->send, "A chat message to send (repeatable)");
  command->add_option("--react", options->react,
                      "A reaction to send (repeatable; one of the allowed emoji)");
  command->add_flag("--raise-hand", options->raise_hand, "Raise this participant's hand");
  command->add_flag("--lower-hand", options->lower_hand, "Lower this participant's hand");
  command->add_flag("--follow,-f", options->follow,
                    "Keep printing incoming chat until --duration or Ctrl-C (default: exit once "
                    "what was sent is confirmed; with nothing to send, follow)");
  command->add_flag("--json", options->json, "Print one JSON object per line");
  return [options] { return run_chat(*options); };
}

}  // namespace vc::tools
