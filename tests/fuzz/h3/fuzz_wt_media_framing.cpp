// The WebTransport media framing: length-prefixed envelopes reassembled from arbitrary stream
// fragments. Checks that fragmentation never changes the records and that every record is then
// safe to hand to the envelope decoder.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "common/limits.hpp"
#include "net/h3/record_reader.hpp"
#include "protocol/envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  using namespace vc::h3;
  if (size < 1) return 0;
  const std::size_t chunk = data[0] % 31 + 1;
  const ByteView input(data + 1, size - 1);
  constexpr std::size_t kMaxRecord = 4096;

  std::vector<std::vector<uint8_t>> whole_records;
  RecordReader whole(kMaxRecord);
  const RecordStatus whole_status = whole.feed(input, true, [&](ByteView record) {
    whole_records.emplace_back(record.begin(), record.end());
    return true;
  });

  std::vector<std::vector<uint8_t>> split_records;
  RecordReader split(kMaxRecord);
  RecordStatus split_status = RecordStatus::kOk;
  vc::DecodedEnvelope envelope;
  for (std::size_t i = 0; i < input.size() && split_status == RecordStatus::kOk; i += chunk) {
    const std::size_t n = std::min(chunk, input.size() - i);
    split_status = split.feed(input.subspan(i, n), i + n == input.size(), [&](ByteView record) {
      if (record.empty() || record.size() > kMaxRecord) __builtin_trap();
      split_records.emplace_back(record.begin(), record.end());
      (void)vc::decode_envelope(record, vc::limits::kMaxEnvelopeBytes, envelope);
      return true;
    });
  }
  if (whole_status != split_status || whole_records != split_records) __builtin_trap();
  return 0;
}
