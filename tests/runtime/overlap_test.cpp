// The data-parallel overlap measure (parallel/ddp/overlap.h) on given bucket
// times.
#include "parallel/ddp/overlap.h"

#include <gtest/gtest.h>

namespace tandem::ddp {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Times in milliseconds after an origin; backward ends at 100.
struct OverlapCase {
  const char* name;
  std::vector<std::pair<int, int>> buckets;  // (launched, ended)
  double comm_ms, hidden_ms, exposed_ms;
};
void PrintTo(const OverlapCase& c, std::ostream* os) { *os << c.name; }

class Overlap : public ::testing::TestWithParam<OverlapCase> {};

TEST_P(Overlap, HiddenIsWhatRanBeforeBackwardEndedExposedIsWhatRanAfter) {
  const Clock::time_point origin{};
  std::vector<BucketTiming> timings;
  for (auto [launched, ended] : GetParam().buckets)
    timings.push_back({origin + milliseconds(launched), origin + milliseconds(ended)});
  const OverlapStats stats = measure_overlap(timings, origin + milliseconds(100));
  EXPECT_NEAR(stats.comm_seconds * 1e3, GetParam().comm_ms, 1e-9);
  EXPECT_NEAR(stats.hidden_seconds * 1e3, GetParam().hidden_ms, 1e-9);
  EXPECT_NEAR(stats.exposed_seconds * 1e3, GetParam().exposed_ms, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(
    Buckets, Overlap,
    ::testing::Values(
        OverlapCase{"AllDoneDuringBackward", {{10, 30}, {40, 70}}, 50, 50, 0},
        // Launched during backward, finished after it: only the part before counts as hidden,
        // however early someone looked.
        OverlapCase{"StraddlesTheEnd", {{60, 130}}, 70, 40, 30},
        OverlapCase{"LaunchedAtTheEnd", {{100, 105}, {100, 112}}, 17, 0, 12},
        OverlapCase{"Mixed", {{20, 50}, {90, 120}, {100, 140}}, 100, 40, 40},
        OverlapCase{"None", {}, 0, 0, 0}),
    [](const ::testing::TestParamInfo<OverlapCase>& info) { return std::string(info.param.name); });

TEST(Overlap, HiddenShareIsHiddenOverCommunication) {
  OverlapStats stats;
  EXPECT_EQ(stats.hidden_share(), 0);  // no communication, no share
  stats.comm_seconds = 0.2;
  stats.hidden_seconds = 0.15;
  EXPECT_DOUBLE_EQ(stats.hidden_share(), 0.75);
}

}  // namespace
}  // namespace tandem::ddp
