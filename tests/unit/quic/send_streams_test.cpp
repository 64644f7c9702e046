#include "net/quic/send_streams.hpp"

#include <gtest/gtest.h>

namespace vc::quic {
namespace {

void queue(SendStreams& streams, int64_t id, std::size_t bytes = 10) {
  const std::vector<uint8_t> data(bytes, 0x55);
  streams.get(id).append_copy(data);
}

int64_t picked(SendStreams& streams) {
  int64_t id = -2;
  SendStream* stream = streams.pick(id);
  EXPECT_EQ(stream == nullptr, id == -1);
  return id;
}

TEST(SendStreams, PicksTheMostUrgentStreamThenTheOlderOne) {
  SendStreams streams;
  streams.set_priority(2, 2);   // video
  streams.set_priority(6, 1);   // audio
  streams.set_priority(10, 1);  // a second audio stream
  streams.set_priority(0, 0);   // control
  EXPECT_EQ(picked(streams), -1) << "nothing queued";
  queue(streams, 2);
  queue(streams, 10);
  queue(streams, 6);
  EXPECT_EQ(picked(streams), 6);
  queue(streams, 0);
  EXPECT_EQ(picked(streams), 0);
}

TEST(SendStreams, SkipsStreamsThatCannotWrite) {
  SendStreams streams;
  streams.set_priority(0, 0);
  streams.set_priority(2, 2);
  streams.set_priority(6, 3);
  queue(streams, 0);
  queue(streams, 2);
  queue(streams, 6);
  streams.find(0)->blocked = true;  // no flow-control credit
  EXPECT_EQ(picked(streams), 2);
  streams.find(2)->shut = true;  // the peer sent STOP_SENDING
  EXPECT_EQ(picked(streams), 6);
  streams.find(0)->blocked = false;  // credit came back
  EXPECT_EQ(picked(streams), 0);
}

TEST(SendStreams, FollowsPriorityChangesAndStreamsGoingAway) {
  SendStreams streams;
  streams.set_priority(2, 1);
  streams.set_priority(6, 2);
  queue(streams, 2);
  queue(streams, 6);
  EXPECT_EQ(picked(streams), 2);
  streams.set_priority(6, 0);
  EXPECT_EQ(picked(streams), 6);
  streams.erase(6);
  EXPECT_EQ(streams.find(6), nullptr);
  EXPECT_EQ(picked(streams), 2);
  streams.erase(2);
  EXPECT_EQ(picked(streams), -1);
  // A peer-initiated stream appears on its first write, at priority 0.
  queue(streams, 4);
  EXPECT_EQ(picked(streams), 4);
}

}  // namespace
}  // namespace vc::quic
