// Schedules as data: the orders each builder produces, the communication
// around them, and the specs they refuse.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/error.h"
#include "parallel/pipeline/schedule/action.h"
#include "parallel/pipeline/schedule/schedule.h"
#include "parallel/pipeline/schedule/validate.h"
#include "tests/common/error_matchers.h"

namespace tandem::pipeline {
namespace {


// A rank's compute actions as grid labels, sends and receives left out.
std::string compute_labels(const std::vector<Action>& actions) {
  std::string labels;
  for (const Action& action : actions) {
    if (is_compute(action.kind)) labels += (labels.empty() ? "" : " ") + short_label(action);
  }
  return labels;
}

std::vector<std::string> compute_labels(const ScheduleSpec& spec) {
  std::vector<std::string> ranks;
  for (const auto& actions : build_schedule(spec)) ranks.push_back(compute_labels(actions));
  return ranks;
}

TEST(ScheduleOrder, GpipeRunsAllForwardsThenAllBackwards) {
  EXPECT_EQ(compute_labels({"simple", 2, 4}),
            (std::vector<std::string>{"F0 F1 F2 F3 B0 B1 B2 B3", "F0 F1 F2 F3 B0 B1 B2 B3"}));
}

TEST(ScheduleOrder, OneForwardOneBackward) {
  EXPECT_EQ(compute_labels({"interleaved", 2, 4}),
            (std::vector<std::string>{"F0 F1 B0 F2 B1 F3 B2 B3", "F0 B0 F1 B1 F2 B2 F3 B3"}));
  // Warm-up min(p - r - 1, m): with m < p the first ranks run every forward first.
  EXPECT_EQ(compute_labels({"interleaved", 4, 2}),
            (std::vector<std::string>{"F0 F1 B0 B1", "F0 F1 B0 B1", "F0 F1 B0 B1", "F0 B0 F1 B1"}));
}

TEST(ScheduleOrder, InterleavedVirtualFollowsMegatronTable) {
  // p=2, m=4, v=2: groups {0,1} {2,3}; rank 0 warms up 2(p-1) + (v-1)p = 4 chunk forwards.
  EXPECT_EQ(compute_labels({"interleaved_virtual", 2, 4, 2}),
            (std::vector<std::string>{"F0 F1 F0.1 F1.1 F2 B0.1 F3 B1.1 F2.1 B0 F3.1 B1 B2.1 B3.1 B2 B3",
                                      "F0 F1 F0.1 B0.1 F1.1 B1.1 F2 B0 F3 B1 F2.1 B2.1 F3.1 B3.1 B2 B3"}));
  // m not a multiple of p: floor(m/p) groups as even as possible, here one of 3;
  // rank 0 warms up 2(p-1) + (v-1)*3 = 5.
  EXPECT_EQ(compute_labels({"interleaved_virtual", 2, 3, 2})[0], "F0 F1 F2 F0.1 F1.1 F2.1 B0.1 B1.1 B2.1 B0 B1 B2");
  // p=2, m=5: groups {0,1,2} {3,4}, Megatron's PP2 M5 table with group size 3.
  EXPECT_EQ(compute_labels({"interleaved_virtual", 2, 5, 2})[1],
            "F0 F1 F2 F0.1 B0.1 F1.1 B1.1 F2.1 B2.1 F3 B0 F4 B1 F3.1 B2 F4.1 B3.1 B4.1 B3 B4");
}

TEST(ScheduleOrder, ZeroBubbleH1DefersWeightGradientsByRank) {
  EXPECT_EQ(compute_labels({"zb_h1", 2, 4}),
            (std::vector<std::string>{"F0 F1 b0 w0 F2 b1 w1 F3 b2 w2 b3 w3", "F0 b0 F1 b1 w0 F2 b2 w1 F3 b3 w2 w3"}));
}

TEST(ScheduleOrder, CommunicationAroundEveryCompute) {
  const Schedule schedule = build_schedule({"simple", 2, 2});
  using K = ActionKind;
  EXPECT_EQ(schedule[0], (std::vector<Action>{{K::Forward, 0, 0, -1},
                                              {K::SendActivation, 0, 0, 1},
                                              {K::Forward, 1, 0, -1},
                                              {K::SendActivation, 1, 0, 1},
                                              {K::RecvGradient, 0, 0, 1},
                                              {K::Backward, 0, 0, -1},
                                              {K::RecvGradient, 1, 0, 1},
                                              {K::Backward, 1, 0, -1},
                                              {K::ReduceGradients, -1, 0, -1}}));
  EXPECT_EQ(schedule[1], (std::vector<Action>{{K::RecvActivation, 0, 0, 0},
                                              {K::Forward, 0, 0, -1},
                                              {K::RecvActivation, 1, 0, 0},
                                              {K::Forward, 1, 0, -1},
                                              {K::Backward, 0, 0, -1},
                                              {K::SendGradient, 0, 0, 0},
                                              {K::Backward, 1, 0, -1},
                                              {K::SendGradient, 1, 0, 0},
                                              {K::ReduceGradients, -1, 0, -1}}));
}

TEST(ScheduleOrder, VirtualStagesTalkToGlobalStages) {
  // p=2, v=2: rank 0 holds stages 0 and 2, rank 1 holds stages 1 and 3.
  const Schedule schedule = build_schedule({"interleaved_virtual", 2, 2, 2});
  using K = ActionKind;
  const std::vector<Action> rank0_chunk1_forward = {
      {K::RecvActivation, 0, 1, 1}, {K::Forward, 0, 1, -1}, {K::SendActivation, 0, 1, 3}};
  EXPECT_EQ(std::vector<Action>(schedule[0].begin() + 4, schedule[0].begin() + 7), rank0_chunk1_forward);
  // Stage 3 is last: its backward needs no gradient; stage 0's sends none.
  const std::vector<Action> rank1_last_stage = {
      {K::RecvActivation, 0, 1, 2}, {K::Forward, 0, 1, -1}, {K::Backward, 0, 1, -1}, {K::SendGradient, 0, 1, 2}};
  EXPECT_EQ(std::vector<Action>(schedule[1].begin() + 6, schedule[1].begin() + 10), rank1_last_stage);
}

TEST(ScheduleOrder, SinglePartitionHasNoCommunication) {
  for (const std::string kind : {"simple", "interleaved", "zb_h1"}) {
    const Schedule schedule = build_schedule({kind, 1, 3});
    ASSERT_EQ(schedule.size(), 1u);
    for (const Action& action : schedule[0]) EXPECT_FALSE(is_send(action.kind) || is_recv(action.kind)) << kind;
  }
}

TEST(ScheduleSpecCheck, RefusesWhatItCannotSchedule) {
  EXPECT_EQ(error_message_of<UsageError>([] {
              build_schedule({"1f1b", 2, 4});
            }),
            "pipeline=\"1f1b\" is not one of \"simple\", \"interleaved\", \"interleaved_virtual\", \"zb_h1\", "
            "\"zb_v\"");
  EXPECT_EQ(error_message_of<UsageError>([] { build_schedule({"simple", 0, 4}); }), "partitions=0 must be >= 1");
  EXPECT_EQ(error_message_of<UsageError>([] { build_schedule({"interleaved", 2, 0}); }), "microbatches=0 must be >= 1");
  EXPECT_EQ(error_message_of<UsageError>([] { build_schedule({"interleaved_virtual", 2, 4, 0}); }), "virtual_stages=0 must be >= 1");
  EXPECT_EQ(error_message_of<UsageError>([] {
              build_schedule({"simple", 2, 4, 2});
            }),
            "virtual_stages=2 needs pipeline=interleaved_virtual (pipeline=simple runs one model chunk per rank)");
  EXPECT_EQ(error_message_of<UsageError>([] {
              build_schedule({"interleaved_virtual", 2, 4, 1});
            }),
            "virtual_stages=1: pipeline=interleaved_virtual needs virtual_stages >= 2 "
            "(pipeline=interleaved is the one-chunk 1F1B schedule)");
  EXPECT_EQ(error_message_of<UsageError>([] {
              build_schedule({"interleaved_virtual", 1, 4, 2});
            }),
            "pipeline=interleaved_virtual needs partitions >= 2 (partitions=1, microbatches=4, virtual_stages=2)");
}

TEST(ActionText, LabelsAndDescriptions) {
  EXPECT_EQ(short_label({ActionKind::BackwardInput, 3, 0, -1}), "b3");
  EXPECT_EQ(short_label({ActionKind::BackwardWeight, 3, 1, -1}), "w3.1");
  EXPECT_EQ(describe({ActionKind::RecvGradient, 2, 1, 5}), "RecvGradient(microbatch 2, chunk 1, from stage 5)");
  EXPECT_EQ(describe({ActionKind::SendActivation, 0, 0, 1}), "SendActivation(microbatch 0, chunk 0, to stage 1)");
  EXPECT_EQ(describe({ActionKind::ReduceGradients, -1, 0, -1}), "ReduceGradients");
}

}  // namespace
}  // namespace tandem::pipeline

namespace tandem::pipeline {
namespace {

// The executor's channels match messages by order (as NCCL does). Most
// schedules exchange in order; interleaved virtual stages with a microbatch
// count that is not a multiple of the partitions do not, and the channels
// must hold early messages for them (tests/e2e/pipeline_test.cpp runs one).
TEST(PairwiseOrder, InOrderExceptInterleavedVirtualWithUnevenMicrobatches) {
  for (const char* kind : {"simple", "interleaved", "zb_h1"})
    for (int p : {2, 3, 4})
      for (int m : {1, 2, 3, 4, 6, 8}) {
        const ScheduleSpec spec{kind, p, m, 1};
        EXPECT_EQ(first_out_of_order_receive(build_schedule(spec), spec), std::nullopt) << kind << " p" << p << " m" << m;
      }
  const ScheduleSpec even{"interleaved_virtual", 2, 4, 2};
  EXPECT_EQ(first_out_of_order_receive(build_schedule(even), even), std::nullopt);
  const ScheduleSpec uneven{"interleaved_virtual", 2, 5, 2};
  EXPECT_NE(first_out_of_order_receive(build_schedule(uneven), uneven), std::nullopt);
}

}  // namespace
}  // namespace tandem::pipeline
