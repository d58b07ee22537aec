// Model-parallel layouts `tandem train` refuses before any step, checked on
// the plan function itself (run/parallel_plan.h) without processes: the world
// size, the batch, ddp, unsupported and misspelt parameters, and the model's
// layer count each give one line naming the parameter. One of them still runs
// under mpirun (tests/e2e/pipeline_test.cpp) for the exit code of every rank.
#include "engine/error.h"
#include "engine/model/transformer_model.h"
#include "launcher/distribution/model_parallel.h"
#include "run/parallel_plan.h"
#include "tests/common/error_matchers.h"

#include <gtest/gtest.h>

namespace tandem::run {
namespace {

struct RefusedLayout {
  const char* name;
  int processes;
  std::string mp_parameters;
  const char* message;
};

void PrintTo(const RefusedLayout& c, std::ostream* os) { *os << c.name; }

class RefusedLayouts : public ::testing::TestWithParam<RefusedLayout> {};

TEST_P(RefusedLayouts, NameTheParameter) {
  const RefusedLayout& c = GetParam();
  const TransformerModel model = TransformerModel::build(preset_config("gpt-tiny"), 42);
  EXPECT_ERROR(make_parallel_plan(launcher::parse_mp_parameters_arg(c.mp_parameters), c.processes, c.processes, model,
                                  /*block_size=*/32, /*per_device_batch=*/8),
               UsageError, c.message);
}

INSTANTIATE_TEST_SUITE_P(
    Table, RefusedLayouts,
    ::testing::Values(RefusedLayout{"PartitionsDoNotDivideTheWorld", 2, "partitions=3", "partitions"},
                      RefusedLayout{"BatchNotDivisibleByMicrobatches", 2, "partitions=2,microbatches=3",
                                    "is not divisible by microbatches 3"},
                      RefusedLayout{"ReplicasWithoutDdp", 4, "partitions=2", "ddp must be True"},
                      RefusedLayout{"TensorParallel", 2, "partitions=2,tensor_parallel_degree=2",
                                    "tensor_parallel_degree"},
                      RefusedLayout{"MisspeltParameter", 2, "partitions=2,microbatchez=2", "microbatchez"},
                      RefusedLayout{"MoreStagesThanLayers", 2, "partitions=2,virtual_stages=3,microbatches=4",
                                    "exceeds the model's 5 layers"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ParallelPlan, AGoodLayoutCutsEveryLayerIntoStages) {
  const TransformerModel model = TransformerModel::build(preset_config("gpt-tiny"), 42);
  const ParallelPlan plan =
      make_parallel_plan(launcher::parse_mp_parameters_arg("partitions=2,microbatches=4,ddp=True"), 4, 2, model, 32, 8);
  EXPECT_EQ(plan.layout.pp_size, 2);
  EXPECT_EQ(plan.layout.dp_size, 2);
  ASSERT_EQ(plan.stages.size(), 2u);
  EXPECT_EQ(plan.stages.front().begin, 0);
  EXPECT_EQ(static_cast<size_t>(plan.stages.back().end), model.layers().size());
  const auto layers = stage_layers(plan);
  EXPECT_EQ(layers[0].end, layers[1].begin);
}

// The V: four stages in layer order, rank r running stages r and 3 - r, so
// rank 0 holds the embedding (stage 0) and the head (stage 3).
TEST(ParallelPlan, ZeroBubbleVPlacesTheFirstAndLastStageOnRankZero) {
  const TransformerModel model = TransformerModel::build(preset_config("gpt-tiny"), 42);
  const ParallelPlan plan = make_parallel_plan(
      launcher::parse_mp_parameters_arg("partitions=2,microbatches=4,virtual_stages=2,zero_bubble=True"), 2, 2, model,
      32, 8);
  EXPECT_EQ(plan.schedule.kind, "zb_v");
  EXPECT_EQ(plan.placement, pipeline::StagePlacement::v_shape(2));
  ASSERT_EQ(plan.stages.size(), 4u);
  EXPECT_EQ(plan.stages[plan.placement.stage(0, 0)].begin, 0);
  EXPECT_EQ(static_cast<size_t>(plan.stages[plan.placement.stage(0, 1)].end), model.layers().size());
  EXPECT_EQ(plan.placement.stage(1, 0), 1);
  EXPECT_EQ(plan.placement.stage(1, 1), 2);
}

}  // namespace
}  // namespace tandem::run
