// Length-prefixed records on a WebTransport stream: each record is a QUIC varint length followed
// by that many bytes (one videocall envelope). Streams deliver arbitrary fragments, so the reader
// reassembles; a record that arrives whole is handed out as a view into the input (no copy), and
// only a partial record is buffered, bounded by the record size limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "net/h3/varint.hpp"
#include "net/h3/wire.hpp"

namespace vc::h3 {

enum class RecordStatus : uint8_t {
  kOk,
  kTooLarge,     // declared length over the limit
  kEmptyRecord,  // zero-length record (never valid: an envelope has at least one byte)
  kTruncated,    // the stream ended inside a record
  kStopped,      // the callback asked to stop
};

// The prefix written before a record of `size` bytes.
struct RecordPrefix {
  uint8_t bytes[kMaxVarintBytes];
  std::size_t size;
  ByteView view() const { return {bytes, size}; }
};
inline RecordPrefix record_prefix(uint64_t record_size) {
  RecordPrefix prefix{};
  prefix.size = encode_varint(record_size, prefix.bytes);
  return prefix;
}

class RecordReader {
 public:
  explicit RecordReader(std::size_t max_record_bytes) : max_record_bytes_(max_record_bytes) {}

  // Feeds stream bytes; calls on_record(ByteView) -> bool for each complete record (false stops
  // with kStopped). Views are valid only during the call.
  template <typename OnRecord>
  RecordStatus feed(ByteView data, bool fin, OnRecord&& on_record) {
    while (!data.empty()) {
      if (pending_.empty()) {
        // Fast path: parse straight from the input.
        const VarintResult length = decode_varint(data);
        if (length.complete()) {
          if (const RecordStatus status = check(length.value); status != RecordStatus::kOk) {
            return status;
          }
          if (data.size() - length.size >= length.value) {
            if (!on_record(data.subspan(length.size, length.value))) return RecordStatus::kStopped;
            data = data.subspan(length.size + length.value);
            continue;
          }
        }
        append_pending(data);
        data = {};
        break;
      }
      // Slow path: complete the buffered record, taking only what it needs.
      VarintResult length = decode_varint(pending_);
      while (!length.complete() && !data.empty()) {
        append_pending(data.first(1));
        data = data.subspan(1);
        length = decode_varint(pending_);
      }
      if (!length.complete()) break;
      if (const RecordStatus status = check(length.value); status != RecordStatus::kOk) {
        return status;
      }
      const std::size_t wanted = length.size + length.value - pending_.size();
      const std::size_t take = wanted < data.size() ? wanted : data.size();
      append_pending(data.first(take));
      data = data.subspan(take);
      if (take == wanted) {
        const bool keep_going = on_record(ByteView(pending_).subspan(length.size));
        pending_.clear();
        if (!keep_going) return RecordStatus::kStopped;
      }
    }
    if (fin && !pending_.empty()) return RecordStatus::kTruncated;
    return RecordStatus::kOk;
  }

  std::size_t buffered_bytes() const { return pending_.size(); }

 private:
  // resize + memcpy rather than vector::insert, which trips a GCC 12 -Wstringop-overflow
  // false positive.
  void append_pending(ByteView bytes) {
    const std::size_t old_size = pending_.size();
    pending_.resize(old_size + bytes.size());
    if (!bytes.empty()) std::memcpy(pending_.data() + old_size, bytes.data(), bytes.size());
  }

  RecordStatus check(uint64_t length) const {
    if (length == 0) return RecordStatus::kEmptyRecord;
    if (length > max_record_bytes_) return RecordStatus::kTooLarge;
    return RecordStatus::kOk;
  }

  std::size_t max_record_bytes_;
  std::vector<uint8_t> pending_;
};

}  // namespace vc::h3
