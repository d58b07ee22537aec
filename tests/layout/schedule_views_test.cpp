// The validator's findings on broken schedules, and the two views of a
// timeline: the text grid and the Chrome trace.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "engine/error.h"
#include "parallel/pipeline/schedule/chrome_trace.h"
#include "parallel/pipeline/schedule/grid.h"
#include "parallel/pipeline/schedule/schedule.h"
#include "parallel/pipeline/schedule/simulate.h"
#include "parallel/pipeline/schedule/validate.h"
#include "tests/common/error_matchers.h"

namespace tandem::pipeline {
namespace {

using K = ActionKind;

std::string validation_error(const Schedule& schedule, const ScheduleSpec& spec) {
  return error_message_of<RuntimeFailure>([&] { validate(schedule, spec); });
}

TEST(Validate, AcceptsWhatTheBuildersMake) {
  const ScheduleSpec spec{"zb_h1", 3, 5};
  EXPECT_EQ(validation_error(build_schedule(spec), spec), "(no error thrown)");
}

TEST(Validate, MissingSendLeavesTheRecvUnmatched) {
  const ScheduleSpec spec{"simple", 2, 2};
  Schedule schedule = build_schedule(spec);
  schedule[0].erase(schedule[0].begin() + 1);  // rank 0's SendActivation of microbatch 0
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 1, action 0 (RecvActivation(microbatch 0, chunk 0, from stage 0)): "
            "no matching SendActivation on rank 0");
}

TEST(Validate, MessagesGoToNeighbouringStages) {
  const ScheduleSpec spec{"simple", 2, 1};
  Schedule schedule = build_schedule(spec);
  schedule[0][1].peer_stage = 0;
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 0, action 1 (SendActivation(microbatch 0, chunk 0, to stage 0)): the peer must be the next stage, 1");
  schedule = build_schedule(spec);
  schedule[1].insert(schedule[1].begin() + 2, Action{K::SendActivation, 0, 0, 2});
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 1, action 2 (SendActivation(microbatch 0, chunk 0, to stage 2)): stage 1 has no next stage");
}

TEST(Validate, ForwardNeedsItsActivation) {
  const ScheduleSpec spec{"interleaved", 2, 1};
  Schedule schedule = build_schedule(spec);
  schedule[1].erase(schedule[1].begin());
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 1, action 0 (Forward(microbatch 0, chunk 0)): no RecvActivation before the Forward of stage 1 "
            "microbatch 0");
}

TEST(Validate, BackwardBeforeForward) {
  const ScheduleSpec spec{"simple", 1, 2};
  Schedule schedule = build_schedule(spec);  // F0 F1 B0 B1 ...
  std::swap(schedule[0][0], schedule[0][2]);
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 0, action 0 (Backward(microbatch 0, chunk 0)): backward before the Forward of stage 0 microbatch 0");
}

TEST(Validate, WeightGradientBeforeInputGradient) {
  const ScheduleSpec spec{"zb_h1", 1, 1};
  Schedule schedule = build_schedule(spec);  // F0 b0 w0 ...
  std::swap(schedule[0][1], schedule[0][2]);
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 0, action 1 (BackwardWeight(microbatch 0, chunk 0)): "
            "BackwardWeight before the BackwardInput of stage 0 microbatch 0");
}

TEST(Validate, EveryMicrobatchRunsOnEveryStage) {
  const ScheduleSpec spec{"simple", 1, 2};
  Schedule schedule = build_schedule(spec);
  schedule[0].erase(schedule[0].begin() + 3);  // B1
  EXPECT_EQ(validation_error(schedule, spec), "rank 0, action 4: no backward of stage 0 microbatch 1");
}

TEST(Validate, ForwardTwice) {
  const ScheduleSpec spec{"simple", 1, 2};
  Schedule schedule = build_schedule(spec);
  schedule[0][1] = schedule[0][0];
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 0, action 1 (Forward(microbatch 0, chunk 0)): second Forward of stage 0 microbatch 0");
}

TEST(Validate, EndsWithReduceGradients) {
  const ScheduleSpec spec{"interleaved", 2, 2};
  Schedule schedule = build_schedule(spec);
  schedule[1].pop_back();
  EXPECT_EQ(validation_error(schedule, spec),
            "rank 1, action 7 (SendGradient(microbatch 1, chunk 0, to stage 0)): the list must end with ReduceGradients");
}

TEST(Validate, OneListPerRank) {
  EXPECT_EQ(validation_error(build_schedule({"simple", 2, 2}), {"simple", 3, 2}),
            "schedule has 2 rank lists for partitions=3");
}

TEST(Grid, OneForwardOneBackwardWithDoubleLengthBackward) {
  EXPECT_EQ(render_grid(build_schedule({"interleaved", 2, 4})),
            "rank 0  F0 F1 .  .  B0 B0 F2 B1 B1 F3 B2 B2 .  B3 B3\n"
            "rank 1  .  F0 B0 B0 F1 B1 B1 F2 B2 B2 F3 B3 B3 .  .\n");
}

TEST(Grid, ZeroBubbleHalvesAndChunks) {
  Costs unit;
  unit.backward = 1;
  EXPECT_EQ(render_grid(build_schedule({"zb_h1", 2, 2}), unit),
            "rank 0  F0 F1 .  b0 w0 b1 w1\n"
            "rank 1  .  F0 b0 F1 b1 w0 w1\n");
  EXPECT_EQ(render_grid(build_schedule({"interleaved_virtual", 2, 2, 2}), unit),
            "rank 0  F0   F1   F0.1 F1.1 .    B0.1 .    B1.1 B0   B1\n"
            "rank 1  .    F0   F1   F0.1 B0.1 F1.1 B1.1 B0   B1   .\n");
}

TEST(Grid, DeadlockIsAnError) {
  Schedule schedule = build_schedule({"simple", 2, 1});
  std::swap(schedule[0][0], schedule[0][2]);
  EXPECT_THROW(render_grid(schedule), RuntimeFailure);
}

TEST(ChromeTrace, OneCompleteEventPerActionAndANamePerRank) {
  const SimulationResult result = simulate(build_schedule({"interleaved", 2, 2}));
  const nlohmann::json trace = nlohmann::json::parse(chrome_trace_json(result.timeline));
  const nlohmann::json& events = trace.at("traceEvents");
  ASSERT_EQ(events.size(), result.timeline.size() + 2);
  const nlohmann::json& first = events[0];  // rank 0's F0
  EXPECT_EQ(first.at("name"), "F0");
  EXPECT_EQ(first.at("ph"), "X");
  EXPECT_EQ(first.at("ts"), 0.0);
  EXPECT_EQ(first.at("dur"), 1.0);
  EXPECT_EQ(first.at("pid"), 0);
  EXPECT_EQ(first.at("tid"), 0);
  EXPECT_EQ(first.at("args").at("microbatch"), 0);
  EXPECT_EQ(events[1].at("name"), "SendActivation(microbatch 0, chunk 0, to stage 1)");
  EXPECT_EQ(events[1].at("tid"), 1);
  EXPECT_EQ(events.back(),
            (nlohmann::json{{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "rank 1"}}}}));
}

}  // namespace
}  // namespace tandem::pipeline
