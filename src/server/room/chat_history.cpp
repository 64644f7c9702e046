#include "server/room/chat_history.hpp"

#include <algorithm>

namespace vc::room {

namespace {

bool earlier(const v1::ChatMessage& a, const v1::ChatMessage& b) {
  if (a.sent_at_ms() != b.sent_at_ms()) return a.sent_at_ms() < b.sent_at_ms();
  return a.message_id() < b.message_id();
}

}  // namespace

bool ChatHistory::contains(uint64_t message_id) const {
  return std::any_of(messages_.begin(), messages_.end(),
                     [&](const v1::ChatMessage& m) { return m.message_id() == message_id; });
}

void ChatHistory::add(const v1::ChatMessage& message) {
  v1::ChatMessage& kept = messages_.emplace_back(message);
  kept.clear_client_message_id();
  bytes_ += cost(kept);
  trim();
}

std::vector<v1::ChatMessage> ChatHistory::merge(std::span<const v1::ChatMessage> messages) {
  std::vector<v1::ChatMessage> added;
  for (const v1::ChatMessage& message : messages) {
    if (message.message_id() == 0 || contains(message.message_id())) continue;
    const auto at = std::upper_bound(messages_.begin(), messages_.end(), message, earlier);
    v1::ChatMessage& kept = *messages_.insert(at, message);
    kept.clear_client_message_id();
    bytes_ += cost(kept);
    added.push_back(kept);
  }
  trim();
  // What trimming evicted at once was older than everything kept: nobody needs to hear of it.
  std::erase_if(added, [&](const v1::ChatMessage& m) { return !contains(m.message_id()); });
  std::sort(added.begin(), added.end(), earlier);
  return added;
}

void ChatHistory::trim() {
  while (!messages_.empty() && (messages_.size() > max_messages_ || bytes_ > max_bytes_)) {
    bytes_ -= cost(messages_.front());
    messages_.pop_front();
  }
}

}  // namespace vc::room
