// Fuzzes chat text and reactions (docs/PROTOCOL.md §12): the validator on raw bytes, then the same
// bytes as a participant's SendChat / SendReaction and as another node's ChatHistory delivered to
// a room. Invariants: accepted text is valid UTF-8 within the limit, the room never crashes, never
// closes the sender, and its history stays within its bounds.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "common/limits.hpp"
#include "common/utf8.hpp"
#include "server/room/chat_text.hpp"
#include "server/room/room.hpp"

namespace {

using namespace vc;

class Sink : public room::Endpoint {
 public:
  void on_queue_ready() override {
    while (queue().pop()) {
    }
  }
  void close_with_error(uint32_t, std::string_view) override { abort(); }
};

void check_validator(std::string_view text) {
  if (room::check_chat_text(text) != room::ChatTextResult::kOk) return;
  if (text.size() > limits::kMaxChatTextBytes) abort();
  while (!text.empty()) {
    char32_t cp = 0;
    const std::size_t length = utf8::decode(text, cp);
    if (length == 0 || (cp < 0x20 && cp != '\n')) abort();
    text.remove_prefix(length);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_validator(text);
  (void)room::is_allowed_reaction(text);

  static room::TimePoint now{};
  now += std::chrono::milliseconds(100);
  Sink ada, bob;  // outlive the room that refers to them
  room::Room room("demo", [] { return now; });
  room::JoinRequest request;
  request.identity = room::Identity{1, "Ada", v1::PARTICIPANT_ROLE_PARTICIPANT};
  room.join(ada, request);
  request.identity = room::Identity{2, "Bob", v1::PARTICIPANT_ROLE_PARTICIPANT};
  room.join(bob, request);

  v1::Control control;
  control.mutable_send_chat()->set_text(std::string(text));
  room.on_control(1, control);
  control.mutable_send_reaction()->set_emoji(std::string(text));
  room.on_control(2, control);
  control.mutable_raise_hand()->set_raised(size % 2 == 1);
  room.on_control(1, control);

  v1::ChatHistory history;
  if (history.ParseFromArray(data, static_cast<int>(size))) {
    const std::vector<v1::ChatMessage> messages(history.messages().begin(),
                                                history.messages().end());
    room.merge_chat_history(messages);
  }
  if (room.chat_history().messages().size() > limits::kChatHistoryMessages ||
      room.chat_history().bytes() > limits::kChatHistoryBytes) {
    abort();
  }
  return 0;
}
