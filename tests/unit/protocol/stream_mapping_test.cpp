#include "protocol/stream_mapping.hpp"

#include <gtest/gtest.h>

namespace vc {
namespace {

TEST(StreamMapping, ControlGoesFirstThenAudioVideoAndTheRest) {
  using namespace stream_mapping;
  EXPECT_LT(kControlPriority, priority_for_kind(v1::MEDIA_KIND_AUDIO));
  EXPECT_LT(priority_for_kind(v1::MEDIA_KIND_AUDIO), priority_for_kind(v1::MEDIA_KIND_VIDEO));
  EXPECT_LT(priority_for_kind(v1::MEDIA_KIND_VIDEO), priority_for_kind(v1::MEDIA_KIND_SCREEN));
  // A kind this build does not know never competes with control.
  EXPECT_EQ(priority_for_kind(v1::MEDIA_KIND_UNSPECIFIED), kOtherMediaPriority);
  EXPECT_EQ(priority_for_kind(99), kOtherMediaPriority);
}

TEST(StreamMapping, OnlyAudioPrefersDatagrams) {
  EXPECT_TRUE(stream_mapping::prefers_datagram(Lane::kAudio));
  EXPECT_FALSE(stream_mapping::prefers_datagram(Lane::kVideo));
  EXPECT_FALSE(stream_mapping::prefers_datagram(Lane::kControl));
}

}  // namespace
}  // namespace vc
