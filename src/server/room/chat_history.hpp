// The recent chat of one room, kept for late joiners (docs/PROTOCOL.md §12.1). Bounded in count
// (limits::kChatHistoryMessages) and bytes of text (limits::kChatHistoryBytes); the oldest
// messages go first. Messages from other nodes are merged by id in sent_at order.
#pragma once

#include <cstddef>
#include <deque>
#include <span>
#include <vector>

#include "common/limits.hpp"
#include "protocol/envelope.hpp"

namespace vc::room {

class ChatHistory {
 public:
  explicit ChatHistory(std::size_t max_messages = limits::kChatHistoryMessages,
                       std::size_t max_bytes = limits::kChatHistoryBytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  // Appends a new message (the newest). The echoed client_message_id is not kept.
  void add(const v1::ChatMessage& message);
  // Merges messages another node holds; returns those that were new here, oldest first (empty
  // when every one was known or older than everything kept).
  std::vector<v1::ChatMessage> merge(std::span<const v1::ChatMessage> messages);
  bool contains(uint64_t message_id) const;

  const std::deque<v1::ChatMessage>& messages() const { return messages_; }
  std::size_t bytes() const { return bytes_; }
  bool empty() const { return messages_.empty(); }

 private:
  static std::size_t cost(const v1::ChatMessage& m) {
    return m.text().size() + m.sender_display_name().size();
  }
  void trim();

  std::size_t max_messages_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::deque<v1::ChatMessage> messages_;  // oldest first, by (sent_at_ms, message_id)
};

}  // namespace vc::room
