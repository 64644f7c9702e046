#include "net/h3/stream_parsers.hpp"

#include <algorithm>

namespace vc::h3 {

namespace {

bool is_known_frame_type(uint64_t type) {
  switch (type) {
    case frame_type::kHeaders:
    case frame_type::kCancelPush:
    case frame_type::kSettings:
    case frame_type::kPushPromise:
    case frame_type::kGoaway:
    case frame_type::kMaxPushId:
      return true;
    default:
      return false;
  }
}

}  // namespace

H3Error FrameReader::begin_frame(const FrameHeader& header, FrameSink& sink) {
  ++frames_seen_;
  type_ = header.type;
  remaining_ = header.length;
  if (frame_type::is_reserved_http2(header.type)) return H3Error::kFrameUnexpected;
  if (header.type == frame_type::kData) {
    state_ = remaining_ > 0 ? State::kData : State::kHeader;
    return sink.on_data_start(header.length);
  }
  if (!is_known_frame_type(header.type)) {
    state_ = remaining_ > 0 ? State::kSkip : State::kHeader;
    return H3Error::kNone;
  }
  if (header.length > max_frame_bytes_) return H3Error::kExcessiveLoad;
  if (remaining_ == 0) {
    state_ = State::kHeader;
    return sink.on_frame(type_, {});
  }
  state_ = State::kPayload;
  return H3Error::kNone;
}

H3Error FrameReader::feed(ByteView data, FrameSink& sink) {
  while (!data.empty()) {
    switch (state_) {
      case State::kHeader: {
        FrameHeader header;
        if (header_size_ == 0 && parse_frame_header(data, header) == Parse::kOk) {
          data = data.subspan(header.header_size);
        } else {
          bool complete = false;
          while (!data.empty() && !complete) {
            header_[header_size_++] = data.front();
            data = data.subspan(1);
            complete = parse_frame_header({header_, header_size_}, header) == Parse::kOk;
          }
          if (!complete) return H3Error::kNone;
          header_size_ = 0;
        }
        if (const H3Error error = begin_frame(header, sink); error != H3Error::kNone) return error;
        break;
      }
      case State::kSkip:
      case State::kData: {
        const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(remaining_, data.size()));
        remaining_ -= n;
        const ByteView chunk = data.first(n);
        data = data.subspan(n);
        if (remaining_ == 0) state_ = State::kHeader;
        if (type_ == frame_type::kData) {
          if (const H3Error error = sink.on_data(chunk); error != H3Error::kNone) return error;
        }
        break;
      }
      case State::kPayload: {
        const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(remaining_, data.size()));
        remaining_ -= n;
        H3Error error = H3Error::kNone;
        if (payload_.empty() && remaining_ == 0) {
          state_ = State::kHeader;
          error = sink.on_frame(type_, data.first(n));  // whole frame in the input: no copy
        } else {
          payload_.insert(payload_.end(), data.begin(), data.begin() + static_cast<long>(n));
          if (remaining_ == 0) {
            state_ = State::kHeader;
            error = sink.on_frame(type_, payload_);
            payload_.clear();
          }
        }
        data = data.subspan(n);
        if (error != H3Error::kNone) return error;
        break;
      }
    }
  }
  return H3Error::kNone;
}

H3Error CapsuleReader::feed(ByteView data, CapsuleSink& sink) {
  while (!data.empty()) {
    if (skip_ > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<uint64_t>(skip_, data.size()));
      skip_ -= n;
      data = data.subspan(n);
      continue;
    }
    // Buffer at most one known capsule; header first.
    std::size_t take = 0;
    Capsule capsule;
    while (take < data.size() && parse_capsule_header(buffer_, capsule) != Parse::kOk) {
      buffer_.push_back(data[take++]);
    }
    data = data.subspan(take);
    if (parse_capsule_header(buffer_, capsule) != Parse::kOk) return H3Error::kNone;
    const bool known = capsule.type == capsule_type::kCloseWebTransportSession ||
                       capsule.type == capsule_type::kDrainWebTransportSession;
    if (!known) {
      skip_ = capsule.length;
      buffer_.clear();
      continue;
    }
    if (capsule.length > max_capsule_bytes_) return H3Error::kMessageError;
    const std::size_t length = static_cast<std::size_t>(capsule.length);
    const std::size_t have = buffer_.size() - capsule.header_size;
    const std::size_t needed = length - have;
    const std::size_t n = std::min(needed, data.size());
    buffer_.insert(buffer_.end(), data.begin(), data.begin() + static_cast<long>(n));
    data = data.subspan(n);
    if (n < needed) return H3Error::kNone;
    const ByteView payload = ByteView(buffer_).subspan(capsule.header_size, length);
    H3Error error = H3Error::kNone;
    if (capsule.type == capsule_type::kCloseWebTransportSession) {
      CloseSession close;
      error = parse_close_session(payload, close) ? sink.on_close_session(close)
                                                  : H3Error::kMessageError;
    } else {
      error = payload.empty() ? sink.on_drain_session() : H3Error::kMessageError;
    }
    buffer_.clear();
    if (error != H3Error::kNone) return error;
  }
  return H3Error::kNone;
}

}  // namespace vc::h3
