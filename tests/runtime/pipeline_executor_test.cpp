// The PipelineExecutor on fake ranks: a gpt-tiny pipeline, built as `tandem
// train` builds it (run::make_execution_strategy: the plan, then the named
// pipeline, data-parallel and tied-embedding groups made from the layout),
// runs one step's forward and backward, and every rank's
// gradients equal one process's forward/backward on the same batch. The cases
// cover GPipe, 1F1B at 2 and 4 stages, zero bubble, virtual stages whose
// messages arrive out of order (p=2, m=5, v=2), and a pipeline replicated
// twice under both placements (the reducer and the tied pair inside), and the
// V-shaped zero bubble (embedding and head on rank 0, the turn handed over
// within rank p-1) at 2 and 4 stages and replicated.
#include "engine/train/replica_executor.h"
#include "parallel/world/comm_world.h"
#include "run/execution_strategy.h"
#include "run/parallel_plan.h"
#include "run/run_distribution.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

#include <mutex>

namespace tandem::runtime_tests {
namespace {

constexpr uint64_t kSeed = 42;
constexpr int64_t kBlock = 16;
constexpr double kTolerance = 1e-5;

struct PipelineCase {
  const char* name;
  int processes;
  std::string mp_parameters;  // --mp_parameters, SageMaker's command-line form
  int replica_batch;
  int layers = 2;  // gpt-tiny's blocks; the V over 4 ranks needs 8 stages, so 6 blocks
};

// One process over the whole global batch: the reference gradients by name, and the mean loss.
struct Reference {
  std::map<std::string, torch::Tensor> grads;
  double loss = 0;
};

Reference one_process(const ModelConfig& config, const Batch& batch) {
  TransformerModel model = TransformerModel::build(config, kSeed);
  SingleProcessWorld world;
  ReplicaExecutor executor(model, world, nullptr);
  const LossSums sums = executor.forward_backward({batch});
  Reference r;
  r.loss = sums.sum.item<double>();
  for (auto& [name, p] : model.named_parameters()) r.grads[name] = p.grad().clone();
  return r;
}

void PrintTo(const PipelineCase& c, std::ostream* os) { *os << c.name; }

class PipelineStep : public ::testing::TestWithParam<PipelineCase> {};

TEST_P(PipelineStep, OneStepsGradientsEqualOneProcess) {
  const auto& c = GetParam();
  ModelConfig config = preset_config("gpt-tiny");
  config.n_layer = c.layers;
  // Every rank builds the whole model from the same seed, as `tandem train` does
  // (here before the threads start: building seeds torch's global generator).
  std::vector<TransformerModel> models;
  for (int r = 0; r < c.processes; ++r) models.push_back(TransformerModel::build(config, kSeed));
  TrainArgs args;
  args.mp_parameters = c.mp_parameters;
  args.block_size = kBlock;
  args.per_device_train_batch_size = c.replica_batch;
  const launcher::Distribution distribution = run::resolve_distribution(args, launcher::Env{});
  const int dp = run::make_parallel_plan(*distribution.mp, c.processes, c.processes, models[0], kBlock, c.replica_batch)
                     .layout.dp_size;
  const Batch batch = random_lm_batch(int64_t(c.replica_batch) * dp, kBlock, config.vocab_size, 7);
  const Reference reference = one_process(config, batch);
  const std::string wte = "transformer.wte.weight";
  ASSERT_TRUE(reference.grads.count(wte));

  std::mutex mu;
  std::set<std::string> checked;
  run_job(c.processes, [&](int rank, Communicator& world) {
    parallel::CommWorld trainer_world(world, rank == 0);
    run::ExecutionStrategy stage = run::make_execution_strategy(distribution, args, models[rank], trainer_world,
                                                                {world, c.processes}, torch::kCPU);
    const RankCoordinates& me = stage.me();
    const Batch replica_batch = batch.slice(int64_t(me.dp_rank) * c.replica_batch, int64_t(me.dp_rank + 1) * c.replica_batch);
    const LossSums sums = stage.executor->forward_backward({replica_batch});
    EXPECT_EQ(me.dp_size, dp);
    if (sums.sum.defined() && dp == 1) {
      EXPECT_NEAR(sums.sum.item<double>(), reference.loss, kTolerance * reference.loss);
    }
    for (auto& [name, p] : stage.executor->named_parameters()) {
      // The last stage's own copy of the tied embedding carries wte's gradient.
      const std::string reference_name = name == "lm_head.weight" ? wte : name;
      ASSERT_TRUE(reference.grads.count(reference_name)) << name;
      EXPECT_TRUE(close_relative(p.grad(), reference.grads.at(reference_name), kTolerance))
          << name << " on pipeline rank " << me.pp_rank << ", replica " << me.dp_rank;
      std::lock_guard<std::mutex> lock(mu);
      checked.insert(reference_name);
    }
  });
  // Between them, the stages hold every parameter of the model.
  EXPECT_EQ(checked.size(), reference.grads.size());
}

INSTANTIATE_TEST_SUITE_P(
    Table, PipelineStep,
    ::testing::Values(PipelineCase{"p2_m4_interleaved", 2, "partitions=2,microbatches=4,pipeline=interleaved", 8},
                      PipelineCase{"p2_m4_simple", 2, "partitions=2,microbatches=4,pipeline=simple", 8},
                      PipelineCase{"p4_m8_interleaved", 4, "microbatches=8,partitions=4,pipeline=interleaved", 8},
                      PipelineCase{"p2_m4_zero_bubble", 2, "microbatches=4,partitions=2,zero_bubble=True", 8},
                      // Rank 1 needs microbatch 4's activation before others rank 0
                      // sent earlier: the channels hold messages taken out of order.
                      PipelineCase{"p2_v2_m5_out_of_order", 2, "microbatches=5,partitions=2,virtual_stages=2", 10},
                      PipelineCase{"p2_m4_zero_bubble_v", 2, "microbatches=4,partitions=2,virtual_stages=2,zero_bubble=True", 8},
                      // Fewer microbatches than the V is deep (2p - 1): PyTorch's cut-down order.
                      PipelineCase{"p2_m2_zero_bubble_v", 2, "microbatches=2,partitions=2,virtual_stages=2,zero_bubble=True", 4},
                      PipelineCase{"p4_m8_zero_bubble_v", 4, "microbatches=8,partitions=4,virtual_stages=2,zero_bubble=True", 8, 6},
                      PipelineCase{"p2_dp2_zero_bubble_v", 4,
                                   "ddp=True,microbatches=4,partitions=2,virtual_stages=2,zero_bubble=True", 4},
                      PipelineCase{"p2_dp2_cluster", 4, "ddp=True,microbatches=2,partitions=2", 4},
                      PipelineCase{"p2_dp2_spread", 4,
                                   "ddp=True,microbatches=2,partitions=2,placement_strategy=spread", 4}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace tandem::runtime_tests
