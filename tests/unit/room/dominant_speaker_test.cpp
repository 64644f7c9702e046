// DominantSpeaker on virtual time: 20 ms audio frames per publisher, a decision every 100 ms.
#include "server/room/dominant_speaker.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "common/limits.hpp"

namespace vc::room {
namespace {

using namespace std::chrono_literals;
using TimePoint = DominantSpeaker::TimePoint;

constexpr uint8_t kSilence = 127;

class DominantSpeakerTest : public ::testing::Test {
 protected:
  // Levels per participant for the next stretch; absent: that participant sends no frames.
  using Levels = std::map<uint64_t, uint8_t>;

  // Runs `duration` with per-frame levels from `level_of(participant, frame index)`.
  template <class LevelOf>
  void run_with(std::chrono::milliseconds duration, const std::vector<uint64_t>& senders,
                LevelOf level_of) {
    const TimePoint end = now + duration;
    while (now < end) {
      for (uint64_t id : senders) speaker.on_audio_level(id, level_of(id, frame), now);
      ++frame;
      now += 20ms;
      if (frame % 5 == 0 && speaker.update(now)) {
        changes.push_back(speaker.dominant());
        last_change = now;
      }
    }
  }
  void run(std::chrono::milliseconds duration, const Levels& levels) {
    std::vector<uint64_t> senders;
    for (const auto& [id, level] : levels) senders.push_back(id);
    run_with(duration, senders, [&](uint64_t id, int) { return levels.at(id); });
  }
  std::vector<uint64_t> recent() const {
    return {speaker.recent().begin(), speaker.recent().end()};
  }

  DominantSpeaker speaker;
  TimePoint now = TimePoint{} + 1h;
  int frame = 0;
  std::vector<uint64_t> changes;  // dominant() after every update() that reported a change
  TimePoint last_change{};
};

TEST_F(DominantSpeakerTest, NobodyBeforeAnyoneSpeaks) {
  EXPECT_EQ(speaker.dominant(), 0u);
  EXPECT_FALSE(speaker.update(now));
  run(2s, {{1, kSilence}, {2, kSilence}});
  EXPECT_EQ(speaker.dominant(), 0u);
  EXPECT_TRUE(changes.empty());
}

TEST_F(DominantSpeakerTest, FollowsTheLoudestPublisher) {
  run(3s, {{1, 20}, {2, 45}, {3, 60}});
  EXPECT_EQ(speaker.dominant(), 1u);
  EXPECT_EQ(changes, (std::vector<uint64_t>{1}));
  // Now 2 is clearly louder while 1 goes on more quietly.
  run(5s, {{1, 45}, {2, 20}, {3, 60}});
  EXPECT_EQ(speaker.dominant(), 2u);
  EXPECT_EQ(changes, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(recent(), (std::vector<uint64_t>{2, 1}));
}

TEST_F(DominantSpeakerTest, DoesNotFlapOnACoughWhileTheDominantTalks) {
  run(5s, {{1, 30}, {2, kSilence}});
  ASSERT_EQ(speaker.dominant(), 1u);
  for (auto cough : {200ms, 300ms}) {
    run(cough, {{1, 30}, {2, 5}});  // louder than the speaker, briefly
    run(3s, {{1, 30}, {2, kSilence}});
  }
  EXPECT_EQ(speaker.dominant(), 1u);
  EXPECT_EQ(changes, (std::vector<uint64_t>{1}));
}

TEST_F(DominantSpeakerTest, ACoughOrAShortYesInAPauseDoesNotTakeTheFloor) {
  run(5s, {{1, 30}, {2, kSilence}});
  ASSERT_EQ(speaker.dominant(), 1u);
  run(300ms, {{1, kSilence}, {2, 10}});  // cough in a pause
  run(1s, {{1, kSilence}, {2, kSilence}});
  run(500ms, {{1, kSilence}, {2, 30}});  // "yes"
  run(2s, {{1, 30}, {2, kSilence}});
  EXPECT_EQ(changes, (std::vector<uint64_t>{1}));
}

TEST_F(DominantSpeakerTest, SwitchesWhenTheOtherTalksSteadily) {
  run(5s, {{1, 30}, {2, kSilence}});
  ASSERT_EQ(speaker.dominant(), 1u);
  const TimePoint handover = now;
  std::optional<TimePoint> switched;
  while (now - handover < 5s && !switched) {
    run(100ms, {{1, kSilence}, {2, 35}});
    if (speaker.dominant() == 2) switched = now;
  }
  ASSERT_TRUE(switched) << "the new speaker never took the floor";
  // Virtual time: deterministic. Not before the minimum speech, and within about a second.
  EXPECT_GE(*switched - handover, limits::kSpeechToTakeFloor);
  EXPECT_LE(*switched - handover, 1500ms);
  run(3s, {{1, kSilence}, {2, 35}});
  EXPECT_EQ(changes, (std::vector<uint64_t>{1, 2}));
}

TEST_F(DominantSpeakerTest, HoldsTheFloorForTheMinimumHold) {
  // 2 interrupts loudly right after 1 became dominant: no change before the hold has passed.
  run(1s, {{1, 30}, {2, kSilence}});
  ASSERT_EQ(speaker.dominant(), 1u);
  const TimePoint became = last_change;
  while (speaker.dominant() == 1u && now - became < 10s) run(20ms, {{1, kSilence}, {2, 10}});
  EXPECT_EQ(speaker.dominant(), 2u);
  EXPECT_GE(last_change - became, limits::kDominantSpeakerMinHold);
  // Without the hold 2 would have taken over sooner (it spoke long enough well before).
  EXPECT_LE(last_change - became, limits::kDominantSpeakerMinHold + 100ms);
}

TEST_F(DominantSpeakerTest, BackgroundNoiseNeverTakesTheFloor) {
  // Pseudo-random noise between levels 70 and 90 from 2 and 3, nothing else.
  const auto noise = [](uint64_t id, int i) {
    return static_cast<uint8_t>(70 + (i * 7 + static_cast<int>(id) * 13) % 21);
  };
  run_with(10s, {2, 3}, noise);
  EXPECT_EQ(speaker.dominant(), 0u);
  // 1 speaks, then is silent for a long time while the noise goes on: 1 keeps the floor.
  run(3s, {{1, 30}});
  ASSERT_EQ(speaker.dominant(), 1u);
  run_with(20s, {1, 2, 3}, [&](uint64_t id, int i) { return id == 1 ? kSilence : noise(id, i); });
  EXPECT_EQ(speaker.dominant(), 1u);
  EXPECT_EQ(changes, (std::vector<uint64_t>{1}));
}

TEST_F(DominantSpeakerTest, ActivityDecaysWhenASpeakersFramesStop) {
  run(5s, {{1, 30}, {2, 50}});
  ASSERT_EQ(speaker.dominant(), 1u);
  std::vector<uint64_t> loud;
  speaker.loudest(1, now, loud);  // the dominant one anyway
  EXPECT_EQ(loud, (std::vector<uint64_t>{1}));
  // 1's frames stop (muted, DTX): it decays as if silent and 2, talking on, takes the floor.
  run(3s, {{2, 50}});
  EXPECT_EQ(speaker.dominant(), 2u);
  speaker.loudest(2, now, loud);
  EXPECT_EQ(loud, (std::vector<uint64_t>{2, 1}));
}

TEST_F(DominantSpeakerTest, RemovingTheDominantSpeakerHandsOverAtOnce) {
  run(3s, {{1, 25}, {2, 40}});
  ASSERT_EQ(speaker.dominant(), 1u);
  speaker.remove(1);
  EXPECT_EQ(speaker.dominant(), 0u);
  EXPECT_TRUE(recent().empty());
  EXPECT_TRUE(speaker.update(now));   // the removal is a change
  EXPECT_EQ(speaker.dominant(), 2u);  // already speaking long enough: no hold after a departure
  EXPECT_EQ(recent(), (std::vector<uint64_t>{2}));
  speaker.remove(2);
  EXPECT_TRUE(speaker.update(now));
  EXPECT_EQ(speaker.dominant(), 0u);
  EXPECT_FALSE(speaker.update(now));
  speaker.remove(42);  // unknown: nothing happens
  EXPECT_FALSE(speaker.update(now));
}

TEST_F(DominantSpeakerTest, RecentSpeakersMostRecentFirstAndBounded) {
  const auto talk = [&](uint64_t id) {
    run(3s, {{id, 30}});
    run(1s, {{id, kSilence}});
  };
  talk(1);
  talk(2);
  talk(3);
  EXPECT_EQ(recent(), (std::vector<uint64_t>{3, 2, 1}));
  talk(1);
  EXPECT_EQ(recent(), (std::vector<uint64_t>{1, 3, 2}));
  for (uint64_t id = 10; id < 10 + limits::kMaxRecentSpeakers; ++id) talk(id);
  ASSERT_EQ(recent().size(), limits::kMaxRecentSpeakers);
  EXPECT_EQ(recent().front(), 10 + limits::kMaxRecentSpeakers - 1);
  EXPECT_EQ(recent().back(), 10u);
}

TEST_F(DominantSpeakerTest, LoudestRanksByShortActivityAndAlwaysIncludesTheDominant) {
  run(4s, {{1, 25}});
  ASSERT_EQ(speaker.dominant(), 1u);
  // 1 pauses (still dominant) while 2, 3 and 4 talk at different levels, briefly.
  run(500ms, {{1, kSilence}, {2, 30}, {3, 40}, {4, 50}});
  ASSERT_EQ(speaker.dominant(), 1u);
  std::vector<uint64_t> out{99};
  speaker.loudest(3, now, out);
  EXPECT_EQ(out, (std::vector<uint64_t>{2, 3, 1}));  // 4 is louder than 1 now, but 1 is dominant
  speaker.loudest(4, now, out);
  EXPECT_EQ(out, (std::vector<uint64_t>{2, 3, 4, 1}));
  speaker.loudest(10, now, out);
  EXPECT_EQ(out.size(), 4u);
  speaker.loudest(0, now, out);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace vc::room
