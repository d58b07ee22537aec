// Every schedule over a table of (p, m, v): valid, deadlock-free under the
// executor's send/recv semantics, with the bubble and activation memory the
// literature gives — or refused with a message that says why.

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "engine/error.h"
#include "parallel/pipeline/schedule/bubble.h"
#include "parallel/pipeline/schedule/schedule.h"
#include "parallel/pipeline/schedule/simulate.h"
#include "parallel/pipeline/schedule/validate.h"
#include "tests/common/error_matchers.h"

namespace tandem::pipeline {
namespace {

std::string name_of(const ScheduleSpec& spec) {
  return spec.kind + " p=" + std::to_string(spec.pp_size) + " m=" + std::to_string(spec.microbatches) +
         " v=" + std::to_string(spec.virtual_stages);
}

}  // namespace

// GetParam() as text in test listings, not the spec's bytes. Found by ADL, so
// in ScheduleSpec's own namespace; static, so no other test file sees it.
static void PrintTo(const ScheduleSpec& spec, std::ostream* os) { *os << name_of(spec); }

namespace {

class EverySchedule : public testing::TestWithParam<ScheduleSpec> {};

TEST_P(EverySchedule, IsValidDeadlockFreeAndHasTheBubbleOfItsFormula) {
  const ScheduleSpec spec = GetParam();
  const Schedule schedule = build_schedule(spec);
  validate(schedule, spec);
  const SimulationResult result = simulate(schedule);  // F=1, B=2 (b=1, w=1)
  ASSERT_FALSE(result.deadlocked()) << result.deadlock;
  EXPECT_NEAR(result.bubble_fraction, theoretical_bubble(spec), 1e-12);
  const auto closed = closed_form_bubble(spec);
  if (closed) {
    EXPECT_NEAR(result.bubble_fraction, *closed, 1e-12);
  } else {
    EXPECT_LT(spec.microbatches, spec.kind == "zb_v" ? 2 * spec.pp_size - 1 : spec.pp_size)
        << "closed forms cover every m >= p (the V: m >= 2p - 1)";
  }
}

std::vector<ScheduleSpec> schedule_table() {
  std::vector<ScheduleSpec> specs;
  const std::vector<std::pair<int, int>> pm = {{1, 1}, {1, 4}, {2, 1}, {2, 4}, {2, 5}, {3, 7},
                                               {4, 2}, {4, 4}, {4, 6}, {4, 8}, {8, 3}, {8, 16}};
  for (const std::string kind : {"simple", "interleaved", "zb_h1"}) {
    for (const auto& [p, m] : pm) specs.push_back({kind, p, m, 1});
  }
  for (const auto& [p, m, v] : std::vector<std::tuple<int, int, int>>{{2, 2, 2},
                                                                      {2, 4, 2},
                                                                      {2, 3, 3},
                                                                      {4, 4, 2},
                                                                      {4, 8, 2},
                                                                      {4, 8, 4},
                                                                      {4, 6, 2},
                                                                      {4, 9, 2},
                                                                      {3, 7, 3},
                                                                      {8, 16, 2},
                                                                      {8, 12, 3},
                                                                      {2, 1, 2},
                                                                      {4, 1, 2},
                                                                      {4, 3, 2},
                                                                      {8, 4, 2},
                                                                      {4, 2, 4}}) {
    specs.push_back({"interleaved_virtual", p, m, v});
  }
  for (const auto& [p, m] : std::vector<std::pair<int, int>>{{1, 1}, {2, 3}, {2, 4}, {3, 5}, {4, 8}, {8, 16}})
    specs.push_back({"zb_v", p, m, 2});
  return specs;
}

INSTANTIATE_TEST_SUITE_P(Table, EverySchedule, testing::ValuesIn(schedule_table()),
                         [](const testing::TestParamInfo<ScheduleSpec>& info) {
                           std::string name = name_of(info.param);
                           std::replace_if(
                               name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
                           return name;
                         });

TEST(ScheduleTable, RefusedSpecsSayWhy) {
  const std::vector<std::pair<ScheduleSpec, std::string>> refused = {
      {{"interleaved_virtual", 1, 4, 2}, "needs partitions >= 2 (partitions=1, microbatches=4, virtual_stages=2)"},
      {{"zb_h1", 4, 8, 2}, "virtual_stages=2 needs pipeline=interleaved_virtual"},
  };
  for (const auto& [spec, message] : refused) {
    SCOPED_TRACE(name_of(spec));
    EXPECT_ERROR(build_schedule(spec), UsageError, message);
  }
}

// Megatron requires m % p == 0; floor(m/p) groups as even as possible keep the
// schedule deadlock-free and on the formula, with rank 0's stash bounded by
// Megatron's expression for the widest group g.
TEST(InterleavedVirtual, AnyMicrobatchCountFromPartitionsUp) {
  for (int p = 2; p <= 6; ++p) {
    for (int v = 2; v <= 4; ++v) {
      for (int m = p; m <= 3 * p + 1; ++m) {
        const ScheduleSpec spec{"interleaved_virtual", p, m, v};
        const Schedule schedule = build_schedule(spec);
        validate(schedule, spec);
        const SimulationResult result = simulate(schedule);
        ASSERT_FALSE(result.deadlocked()) << name_of(spec) << ": " << result.deadlock;
        EXPECT_NEAR(result.bubble_fraction, theoretical_bubble(spec), 1e-12) << name_of(spec);
        const int widest = (m + m / p - 1) / (m / p);
        EXPECT_LE(result.peak_stashed[0], std::min(2 * (p - 1) + (v - 1) * widest + 1, m * v)) << name_of(spec);
        if (m % p == 0) {
          EXPECT_EQ(widest, p);
        }
      }
    }
  }
}

// With m < p there is one group of all m microbatches (PyTorch's one round):
// valid, deadlock-free, above the closed form (which needs m >= p) and, from
// m = 2, below one chunk's 1F1B at the same m, which is why it is worth accepting.
TEST(InterleavedVirtual, FewerMicrobatchesThanPartitions) {
  for (int p = 2; p <= 8; ++p) {
    for (int v = 2; v <= 4; ++v) {
      for (int m = 1; m < p; ++m) {
        const ScheduleSpec spec{"interleaved_virtual", p, m, v};
        const Schedule schedule = build_schedule(spec);
        validate(schedule, spec);
        const SimulationResult result = simulate(schedule);
        ASSERT_FALSE(result.deadlocked()) << name_of(spec) << ": " << result.deadlock;
        EXPECT_GE(result.bubble_fraction, (p - 1.0) / (m * v + p - 1) - 1e-12) << name_of(spec);
        // One microbatch runs strictly in sequence whatever the chunking.
        if (m == 1) {
          EXPECT_NEAR(result.bubble_fraction, theoretical_bubble({"interleaved", p, m, 1}), 1e-12) << name_of(spec);
        } else {
          EXPECT_LT(result.bubble_fraction, theoretical_bubble({"interleaved", p, m, 1})) << name_of(spec);
        }
        EXPECT_LE(result.peak_stashed[0], std::min(2 * (p - 1) + (v - 1) * m + 1, m * v)) << name_of(spec);
      }
    }
  }
}

// The printed bubble is the simulator's unit-cost value for every spec a
// builder accepts; wherever a closed form holds it agrees.
TEST(Bubble, TheSimulatorIsTheReferenceOverTheWholeGrid) {
  for (const std::string kind : {"simple", "interleaved", "interleaved_virtual", "zb_h1", "zb_v"}) {
    for (int p = 1; p <= 8; ++p) {
      for (int m = 1; m <= 12; ++m) {
        for (int v : kind == "interleaved_virtual" ? std::vector<int>{2, 3, 4}
                     : kind == "zb_v"              ? std::vector<int>{2}
                                                   : std::vector<int>{1}) {
          const ScheduleSpec spec{kind, p, m, v};
          if (kind == "interleaved_virtual" && p < 2) continue;
          const SimulationResult result = simulate(build_schedule(spec));
          ASSERT_FALSE(result.deadlocked()) << name_of(spec);
          EXPECT_NEAR(theoretical_bubble(spec), result.bubble_fraction, 1e-12) << name_of(spec);
          const auto closed = closed_form_bubble(spec);
          if (closed) {
            EXPECT_NEAR(*closed, result.bubble_fraction, 1e-12) << name_of(spec);
          }
          if (m >= (kind == "zb_v" ? 2 * p - 1 : p)) {
            EXPECT_TRUE(closed.has_value()) << name_of(spec);
          }
        }
      }
    }
  }
  // ZB-H1 with one microbatch on two ranks: F0 | F0 b0 w0 | b0 w0 is 5 slots
  // for 3 busy each, 40% idle (the m >= p formula would say 25%).
  EXPECT_NEAR(theoretical_bubble({"zb_h1", 2, 1}), 0.4, 1e-12);
  EXPECT_FALSE(closed_form_bubble({"zb_h1", 2, 1}).has_value());
}

TEST(PeakStash, GpipeHoldsEveryMicrobatch) {
  for (int m : {1, 3, 8}) {
    const auto peaks = simulate(build_schedule({"simple", 4, m})).peak_stashed;
    EXPECT_EQ(peaks, std::vector<int>(4, m));
  }
}

TEST(PeakStash, OneForwardOneBackwardHoldsPMinusRank) {
  for (int m : {1, 2, 4, 8}) {
    const auto peaks = simulate(build_schedule({"interleaved", 4, m})).peak_stashed;
    for (int r = 0; r < 4; ++r) EXPECT_EQ(peaks[r], std::min(4 - r, m)) << "m=" << m << " rank " << r;
  }
}

TEST(PeakStash, ZeroBubbleH1NeverExceedsOneForwardOneBackward) {
  for (int m : {2, 4, 8, 16}) {
    const auto peaks = simulate(build_schedule({"zb_h1", 4, m})).peak_stashed;
    EXPECT_EQ(peaks, std::vector<int>(4, std::min(4, m))) << "m=" << m;
  }
}

// SMP's active_microbatches counts microbatches between their first forward and
// their last backward anywhere in the pipeline.
TEST(PeakInFlight, GpipeHoldsAllOneForwardOneBackwardHoldsP) {
  for (int m : {1, 3, 8}) {
    EXPECT_EQ(simulate(build_schedule({"simple", 4, m})).peak_in_flight, m) << "m=" << m;
    EXPECT_EQ(simulate(build_schedule({"interleaved", 4, m})).peak_in_flight, std::min(4, m)) << "m=" << m;
  }
  // ZB-H1's deferred weight passes keep a microbatch in the pipeline longer.
  EXPECT_GT(simulate(build_schedule({"zb_h1", 4, 8})).peak_in_flight, 4);
}

TEST(Bubble, FormulasAsFractionOfTheStep) {
  EXPECT_DOUBLE_EQ(theoretical_bubble({"simple", 4, 8}), 3.0 / 11);
  EXPECT_DOUBLE_EQ(theoretical_bubble({"interleaved", 4, 8}), 3.0 / 11);
  EXPECT_DOUBLE_EQ(theoretical_bubble({"interleaved_virtual", 4, 8, 2}), 3.0 / 19);
  EXPECT_DOUBLE_EQ(theoretical_bubble({"zb_h1", 4, 8}), 3.0 / 27);
  // parallelism-anchors.md §1.1 worked example, relative to ideal: 37.5 %, 18.75 %, 12.5 %.
  auto relative = [](double fraction) { return fraction / (1 - fraction); };
  EXPECT_DOUBLE_EQ(relative(theoretical_bubble({"interleaved", 4, 8})), 0.375);
  EXPECT_DOUBLE_EQ(relative(theoretical_bubble({"interleaved_virtual", 4, 8, 2})), 0.1875);
  EXPECT_DOUBLE_EQ(relative(theoretical_bubble({"zb_h1", 4, 8})), 0.125);
}

TEST(Simulator, MakespanAndBusyTimeFromCosts) {
  const SimulationResult result = simulate(build_schedule({"interleaved", 4, 8}));
  EXPECT_DOUBLE_EQ(result.makespan, (8 + 4 - 1) * 3.0);  // (m + p - 1)(F + B)
  EXPECT_EQ(result.busy, std::vector<double>(4, 8 * 3.0));
  EXPECT_DOUBLE_EQ(simulate(build_schedule({"zb_h1", 4, 8})).makespan, 3 * 8 + 4 - 1.0);
}

TEST(Simulator, ReceiveCompletesP2pAfterTheSend) {
  // p=2, m=1: F on rank 0 [0,1), arrives 1.5; F on rank 1 [1.5,2.5), B [2.5,4.5),
  // gradient arrives 5; B on rank 0 [5,7).
  Costs costs;
  costs.p2p = 0.5;
  const SimulationResult result = simulate(build_schedule({"simple", 2, 1}), costs);
  EXPECT_DOUBLE_EQ(result.makespan, 7);
  EXPECT_NEAR(result.bubble_fraction, 1 - 6.0 / 14, 1e-12);
  const auto wait = std::find_if(result.timeline.begin(), result.timeline.end(), [](const TimedAction& timed) {
    return timed.action.kind == ActionKind::RecvGradient;
  });
  ASSERT_NE(wait, result.timeline.end());
  EXPECT_EQ(wait->rank, 0);
  EXPECT_DOUBLE_EQ(wait->start_us, 1);  // waits from the end of its Forward
  EXPECT_DOUBLE_EQ(wait->end_us, 5);
}

TEST(Simulator, ABusySendersMessageTakesItsOwnLatency) {
  // 1F1B, p=2, m=2, F=1, B=2; a message takes 5 when its sender computes on
  // at once, or arrives when the sender next waits if that is sooner; nothing
  // when the sender waits next.
  // Rank 0: F0 [0,1), a0 sent busy (F1 follows), rank 0 waits from 2 -> a0
  // arrives 2; F1 [1,2), a1 sent as rank 0 waits -> arrives 2.
  // Rank 1: F0 [2,3), B0 [3,5), g0 sent busy (a1 is there, F1 follows); rank 1
  // never waits again and ends at 8 -> g0 arrives 8; F1 [5,6), B1 [6,8).
  // Rank 0: B0 [8,10), B1 [10,12).
  Costs costs;
  costs.p2p = 0;
  costs.p2p_sender_busy = 5;
  const Schedule schedule = build_schedule({"interleaved", 2, 2});
  EXPECT_DOUBLE_EQ(simulate(schedule, costs).makespan, 12);
  // Every message at 5: 19 (g1 arrives 17); none at all: 9.
  costs.p2p = 5;
  EXPECT_DOUBLE_EQ(simulate(schedule, costs).makespan, 19);
  costs.p2p = costs.p2p_sender_busy = 0;
  EXPECT_DOUBLE_EQ(simulate(schedule, costs).makespan, 9);
}

TEST(Simulator, RanksOnOneCoreTakeTurnsAndBusyCoresSlowEachOther) {
  // GPipe p=2, m=1, F=1, B=2, two replicas in step: alone, F [0,1) and B
  // [4,6) on rank 0, F [1,2) and B [2,4) on rank 1, makespan 6. A core
  // computes 1.5x slower while both cores compute.
  Costs costs;
  costs.p2p = 0;
  const Schedule schedule = build_schedule({"simple", 2, 1});
  EXPECT_DOUBLE_EQ(simulate(schedule, costs).makespan, 6);
  costs.sharing.core_of_rank = {0, 1};
  costs.sharing.slowdown_with_busy_cores = {1, 1.5};
  // Cluster: both replicas' rank 0 on core 0, both rank 1 on core 1. Every
  // action shares its core with its twin (x2) while the other core idles.
  costs.sharing.ranks_on_core = {{0, 0}, {1, 1}};
  EXPECT_DOUBLE_EQ(simulate(schedule, costs).makespan, 12);
  // Spread: each core holds rank 0 of one replica and rank 1 of the other.
  // The ranks of a core alternate, alone on it, while the other core runs
  // the twin (x1.5).
  costs.sharing.ranks_on_core = {{0, 1}, {0, 1}};
  EXPECT_DOUBLE_EQ(simulate(schedule, costs).makespan, 9);
}

TEST(Simulator, OnlyTheOverlapOfComputeIsSlowed) {
  // GPipe p=2, m=2, F=B=1, one rank per core, a core 2x slower while both
  // compute. Alone: rank 0 F0 [0,1) F1 [1,2); rank 1 F0 [1,2) F1 [2,3) and
  // its two backward passes [3,4) [4,5); rank 0's [4,5) [5,6): makespan 6,
  // two overlaps. Shared, each overlapping pair takes 2 and still overlaps
  // wholly, so the timeline settles there: rank 0 F1 and rank 1 F0 [1,3);
  // rank 1 F1 [3,4), its backward passes [4,5) and [5,7), the second beside
  // rank 0's first [5,7); rank 0's second [7,8).
  Costs costs;
  costs.p2p = 0;
  costs.backward = 1;
  const Schedule schedule = build_schedule({"simple", 2, 2});
  EXPECT_DOUBLE_EQ(simulate(schedule, costs).makespan, 6);
  costs.sharing.core_of_rank = {0, 1};
  costs.sharing.ranks_on_core = {{0}, {1}};
  costs.sharing.slowdown_with_busy_cores = {1, 2};
  const SimulationResult shared = simulate(schedule, costs);
  EXPECT_DOUBLE_EQ(shared.makespan, 8);
  EXPECT_EQ(shared.busy, (std::vector<double>{6, 6}));
}

TEST(Simulator, ReportsADeadlockNamingTheBlockedRank) {
  // Rank 0 never sends its activation: rank 1 waits forever.
  using K = ActionKind;
  const Schedule broken = {
      StagePlacement::looped(2, 1),
      {{{K::Forward, 0, 0, -1}, {K::Backward, 0, 0, -1}, {K::ReduceGradients, -1, 0, -1}},
       {{K::RecvActivation, 0, 0, 0}, {K::Forward, 0, 0, -1}, {K::Backward, 0, 0, -1}, {K::ReduceGradients, -1, 0, -1}}}};
  const SimulationResult result = simulate(broken);
  EXPECT_EQ(result.deadlock, "deadlock: rank 1 waits at action 0 RecvActivation(microbatch 0, chunk 0, from stage 0)");
}

TEST(Simulator, ReportsEveryRankInACycle) {
  // Both ranks receive before they send: each waits on the other.
  Schedule schedule = build_schedule({"simple", 2, 1});
  std::swap(schedule[0][0], schedule[0][2]);  // rank 0: RecvGradient before Forward
  const SimulationResult result = simulate(schedule);
  EXPECT_EQ(result.deadlock,
            "deadlock: rank 0 waits at action 0 RecvGradient(microbatch 0, chunk 0, from stage 1); "
            "rank 1 waits at action 0 RecvActivation(microbatch 0, chunk 0, from stage 0)");
}

}  // namespace
}  // namespace tandem::pipeline
