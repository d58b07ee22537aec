// The Trainer on fake ranks, wired as `tandem train` wires it (CommWorld over
// the world group, run::make_execution_strategy over the fake world): data-parallel
// replicas and pipelines train like one process with the whole batch, step by
// step (loss and gradient norm) and in the saved model; a run saved at step 2
// resumes and continues exactly; a rank that dies in the middle of a
// checkpoint leaves the previous one as the newest, from which the next run
// resumes; a checkpoint resumes at another world size and per pipeline stage;
// a float16 overflow on one rank skips the step on every rank; a bf16
// pipeline tracks one bf16 process.
#include "engine/checkpoint/safetensors.h"
#include "engine/error.h"
#include "engine/train/precision.h"
#include "engine/train/replica_executor.h"
#include "engine/train/trainer.h"
#include "engine/train/training_setup.h"
#include "parallel/world/comm_world.h"
#include "run/execution_strategy.h"
#include "run/parallel_plan.h"
#include "run/run_distribution.h"
#include "tests/common/temp_dir.h"
#include "tests/e2e/fixtures.h"
#include "tests/e2e/run_tandem.h"
#include "tests/runtime/support.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

namespace tandem::runtime_tests {
namespace {
namespace fs = std::filesystem;

constexpr double kTolerance = 1e-5;
constexpr uint64_t kSeed = 42;

TrainArgs job_args(const TempDir& dir, const std::string& run, int batch, const std::string& model = "gpt-tiny") {
  TrainArgs a;
  a.model_name_or_path = model;
  a.task = "auto";
  a.training_dir = dir.file("data/train");
  a.test_dir = dir.file("data/test");
  a.do_eval = false;
  a.model_dir = dir.file(run + "/model");
  a.output_dir = dir.file(run + "/ckpt");
  a.output_data_dir = dir.file(run + "/out");
  a.block_size = model == "encoder-tiny" ? 16 : 32;
  a.max_steps = 4;
  a.per_device_train_batch_size = batch;
  a.learning_rate = 0.003;
  a.logging_steps = 1;
  a.save_steps = 0;
  a.seed = int(kSeed);
  a.progress_bar = "False";
  // Small buckets, so a data-parallel replica reduces several.
  a.first_bucket_mb = 1.0 / 16;
  a.bucket_cap_mb = 1;
  return a;
}

void write_channels(const TempDir& dir, const std::string& model) {
  if (model == "encoder-tiny") e2e::write_classification_channels(dir);
  else e2e::write_lm_channels(dir);
}

// One process with the whole batch, as `tandem train` without mpirun; saves the model.
void train_one_process(const TrainArgs& args) {
  const TrainingSetup setup = prepare_training(args);
  TransformerModel model = TransformerModel::build(setup.model, kSeed);
  model.set_autocast(autocast_dtype(args.bf16, args.fp16));
  SingleProcessWorld world;
  ReplicaExecutor executor(model, world, nullptr);
  Trainer trainer(args, setup, executor, world, RankCoordinates{}, torch::kCPU);
  trainer.train();
  trainer.save_model();
}

// What a rank's trainer sees of the job; tests wrap it to inject a crash.
using WorldWrapper = std::function<std::unique_ptr<World>(int rank, std::unique_ptr<World>)>;

std::vector<TransformerModel> build_models(const TrainArgs& args, int ranks) {
  // Before the threads start: building seeds torch's global generator.
  const ModelConfig config = prepare_training(args).model;
  std::vector<TransformerModel> models;
  for (int r = 0; r < ranks; ++r) {
    models.push_back(TransformerModel::build(config, kSeed));
    models.back().set_autocast(autocast_dtype(args.bf16, args.fp16));
  }
  return models;
}

// A job of `ranks` fake ranks on one host (rank 0 leads it), each built as
// `tandem train` builds it (data parallel, or the pipeline args.mp_parameters
// describes): train, then save the model. Rethrows the first rank's failure.
void train_job(const TrainArgs& args, std::vector<TransformerModel>& models, const WorldWrapper& wrap = {}) {
  const launcher::Distribution distribution = run::resolve_distribution(args, launcher::Env{});
  const int ranks = static_cast<int>(models.size());
  run_job(ranks, [&](int rank, Communicator& world_group) {
    const TrainingSetup setup = prepare_training(args);
    std::unique_ptr<World> world = std::make_unique<parallel::CommWorld>(world_group, /*leads_host=*/rank == 0);
    if (wrap) world = wrap(rank, std::move(world));
    run::ExecutionStrategy s =
        run::make_execution_strategy(distribution, args, models[rank], *world, {world_group, ranks}, torch::kCPU);
    Trainer trainer(args, setup, *s.executor, *world, s.me(), torch::kCPU);
    const TrainOutcome outcome = trainer.train();
    EXPECT_EQ(outcome.steps_done, args.max_steps);
    trainer.save_model();
  });
}

void train_data_parallel(const TrainArgs& args, int ranks, const WorldWrapper& wrap = {}) {
  auto models = build_models(args, ranks);
  train_job(args, models, wrap);
}

void expect_same_per_step(const std::map<int, double>& actual, const std::map<int, double>& expected) {
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [step, value] : expected) {
    ASSERT_TRUE(actual.count(step)) << "step " << step;
    EXPECT_NEAR(actual.at(step), value, kTolerance * std::abs(value)) << "step " << step;
  }
}

// Runs a and b trained alike: per step the loss, and the gradient norm (AdamW
// would hide a wrong gradient scale from the losses; the norm shows it), and
// the saved models element by element (to kTolerance relative plus absolute,
// as the mpirun parity tests: AdamW turns rounding noise in gradients that are
// zero in exact arithmetic into updates of order lr).
void expect_same_training(const TempDir& dir, const std::string& a, const std::string& b) {
  for (const char* metric : {"loss", "grad_norm"}) {
    SCOPED_TRACE(metric);
    expect_same_per_step(metric_by_step(dir.file(b + "/out/metrics.jsonl"), metric),
                         metric_by_step(dir.file(a + "/out/metrics.jsonl"), metric));
  }
  const auto pa = load_safetensors(dir.file(a + "/model/model.safetensors"));
  const auto pb = load_safetensors(dir.file(b + "/model/model.safetensors"));
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& [name, t] : pa) {
    ASSERT_TRUE(pb.count(name)) << name;
    EXPECT_TRUE(torch::allclose(pb.at(name), t, kTolerance, kTolerance)) << name;
  }
}

struct ParityCase {
  const char* name;
  std::string model;
  int ranks;
  int batch;  // per rank
  int accumulation;
  std::string mp_parameters;  // empty: data parallel
};

void PrintTo(const ParityCase& c, std::ostream* os) { *os << c.name; }

class Parity : public ::testing::TestWithParam<ParityCase> {};

TEST_P(Parity, TrainsLikeOneProcessWithTheWholeBatch) {
  const ParityCase& c = GetParam();
  TempDir dir;
  write_channels(dir, c.model);
  TrainArgs args = job_args(dir, "job", c.batch, c.model);
  args.gradient_accumulation_steps = c.accumulation;
  auto models = build_models(args, c.ranks);
  args.mp_parameters = c.mp_parameters;
  train_job(args, models);
  const int replicas = c.mp_parameters.empty() ? c.ranks
                                               : run::make_parallel_plan(launcher::parse_mp_parameters_arg(c.mp_parameters),
                                                                         c.ranks, c.ranks, models[0], args.block_size, c.batch)
                                                     .layout.dp_size;
  train_one_process(job_args(dir, "one", c.batch * replicas * c.accumulation, c.model));
  expect_same_training(dir, "one", "job");
}

INSTANTIATE_TEST_SUITE_P(
    Table, Parity,
    ::testing::Values(ParityCase{"dp2", "gpt-tiny", 2, 4, 1, ""}, ParityCase{"dp4", "gpt-tiny", 4, 2, 1, ""},
                      ParityCase{"dp2_accumulation2", "gpt-tiny", 2, 2, 2, ""},
                      ParityCase{"dp2_classifier", "encoder-tiny", 2, 4, 1, ""},
                      ParityCase{"p2_m4", "gpt-tiny", 2, 8, 1, "partitions=2,microbatches=4"},
                      ParityCase{"p2_dp2", "gpt-tiny", 4, 4, 1, "ddp=True,microbatches=2,partitions=2"},
                      ParityCase{"p2_m2_classifier", "encoder-tiny", 2, 4, 1, "microbatches=2,partitions=2"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(TrainerResume, FromStepTwoContinuesTheRunExactly) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args = job_args(dir, "run", 4);
  args.save_steps = 2;
  train_data_parallel(args, 2);
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-2/trainer_state.json")));
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-2/model.safetensors")));
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-2/rng_state_1.safetensors")));
  fs::remove_all(dir.file("run/ckpt/checkpoint-4"));
  fs::create_directories(dir.file("run/ckpt/checkpoint-6.partial"));  // left by a crash

  TrainArgs again = args;
  again.output_data_dir = dir.file("run/out2");
  again.model_dir = dir.file("run/model2");
  train_data_parallel(again, 2);
  EXPECT_FALSE(fs::exists(dir.file("run/ckpt/checkpoint-6.partial")));
  const auto first = metric_by_step(dir.file("run/out/metrics.jsonl"));
  const auto resumed = metric_by_step(dir.file("run/out2/metrics.jsonl"));
  EXPECT_FALSE(resumed.count(1)) << "the resumed run started over";
  for (int step = 3; step <= 4; ++step) {
    ASSERT_TRUE(resumed.count(step)) << step;
    EXPECT_EQ(resumed.at(step), first.at(step)) << "step " << step;
  }
  EXPECT_EQ(dir.read("run/model/model.safetensors"), dir.read("run/model2/model.safetensors"));
}

// A checkpoint of one process resumes on two data-parallel ranks: the global
// batch of a step does not depend on the world size.
TEST(TrainerResume, AtAnotherWorldSize) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs one = job_args(dir, "run", 8);
  one.save_steps = 2;
  train_one_process(one);
  fs::remove_all(dir.file("run/ckpt/checkpoint-4"));
  TrainArgs two = job_args(dir, "run", 4);
  two.save_steps = 2;
  two.output_data_dir = dir.file("run/out2");
  two.model_dir = dir.file("run/model2");
  train_data_parallel(two, 2);
  const auto first = metric_by_step(dir.file("run/out/metrics.jsonl"));
  const auto resumed = metric_by_step(dir.file("run/out2/metrics.jsonl"));
  EXPECT_FALSE(resumed.count(2));
  for (int step = 3; step <= 4; ++step) {
    ASSERT_TRUE(resumed.count(step)) << step;
    EXPECT_NEAR(resumed.at(step), first.at(step), kTolerance * first.at(step)) << "step " << step;
  }
}

TEST(TrainerResume, APipelineResumesPerStage) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args = job_args(dir, "run", 8);
  args.save_steps = 2;
  args.mp_parameters = "partitions=2,microbatches=4";
  auto run = [&](const TrainArgs& a) {
    auto models = build_models(a, 2);
    train_job(a, models);
  };
  run(args);
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-2/model-stage0-of-2.safetensors")));
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-2/model-stage1-of-2.safetensors")));
  fs::remove_all(dir.file("run/ckpt/checkpoint-4"));
  TrainArgs again = args;
  again.output_data_dir = dir.file("run/out2");
  again.model_dir = dir.file("run/model2");
  run(again);
  const auto first = metric_by_step(dir.file("run/out/metrics.jsonl"));
  const auto resumed = metric_by_step(dir.file("run/out2/metrics.jsonl"));
  EXPECT_FALSE(resumed.count(1));
  for (int step = 3; step <= 4; ++step) EXPECT_EQ(resumed.at(step), first.at(step)) << "step " << step;
  EXPECT_EQ(dir.read("run/model/model.safetensors"), dir.read("run/model2/model.safetensors"));
}

// Rank 1 dies right after writing its files for checkpoint 4, before the
// barrier after which rank 0 commits (Trainer::save_checkpoint's order).
class DiesAfterWritingCheckpoint : public World {
 public:
  DiesAfterWritingCheckpoint(std::unique_ptr<World> inner, fs::path marker)
      : inner_(std::move(inner)), marker_(std::move(marker)) {}
  int rank() const override { return inner_->rank(); }
  int size() const override { return inner_->size(); }
  std::vector<double> sum(const std::vector<double>& values) override { return inner_->sum(values); }
  void barrier() override {
    if (fs::exists(marker_)) throw RuntimeFailure("rank 1 died while saving checkpoint 4");
    inner_->barrier();
  }
  bool leads_host() const override { return inner_->leads_host(); }

 private:
  std::unique_ptr<World> inner_;
  fs::path marker_;
};

TEST(TrainerCheckpoint, ARankDyingMidCheckpointLeavesThePreviousOneNewest) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args = job_args(dir, "run", 4);
  args.save_steps = 2;
  const fs::path marker = dir.path() / "run/ckpt/checkpoint-4.partial/rng_state_1.safetensors";
  const auto start = std::chrono::steady_clock::now();
  try {
    train_data_parallel(args, 2, [&](int rank, std::unique_ptr<World> world) -> std::unique_ptr<World> {
      if (rank != 1) return world;
      return std::make_unique<DiesAfterWritingCheckpoint>(std::move(world), marker);
    });
    ADD_FAILURE() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("rank 1 died"), std::string::npos) << e.what();
  }
  // Rank 0, waiting at the barrier, was released by the abort, not by a timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  CheckpointStore store(args.output_dir, -1);
  EXPECT_EQ(store.complete_steps(), std::vector<int>{2});
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-4.partial/model.safetensors")));
  EXPECT_FALSE(fs::exists(dir.file("run/ckpt/checkpoint-4")));
  EXPECT_FALSE(fs::exists(dir.file("run/model/model.safetensors")));

  // The next run removes the partial folder and resumes from step 2.
  TrainArgs again = args;
  again.output_data_dir = dir.file("run/out2");
  train_data_parallel(again, 2);
  const auto resumed = metric_by_step(dir.file("run/out2/metrics.jsonl"));
  EXPECT_FALSE(resumed.count(1));
  EXPECT_TRUE(resumed.count(3));
  EXPECT_EQ(store.complete_steps(), (std::vector<int>{2, 4}));
  EXPECT_FALSE(fs::exists(dir.file("run/ckpt/checkpoint-4.partial")));
}

// TANDEM_INJECT_NONFINITE_GRAD, set for one test.
class InjectNonfiniteGrad {
 public:
  explicit InjectNonfiniteGrad(const char* rank_step) { setenv("TANDEM_INJECT_NONFINITE_GRAD", rank_step, 1); }
  ~InjectNonfiniteGrad() { unsetenv("TANDEM_INJECT_NONFINITE_GRAD"); }
};

TEST(TrainerMixedPrecision, Fp16OverflowOnOneRankSkipsTheStepOnEveryRank) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args = job_args(dir, "run", 4);
  args.fp16 = true;
  args.max_steps = 4;
  {
    // Rank 1 alone gets an inf gradient at step 3: rank 0, which logs, must skip too.
    InjectNonfiniteGrad inject("1:3");
    train_data_parallel(args, 2);
  }
  const std::string metrics = dir.file("run/out/metrics.jsonl");
  const auto scale = metric_by_step(metrics, "loss_scale");
  const auto skipped = metric_by_step(metrics, "skipped_steps");
  ASSERT_EQ(scale.size(), 4u);
  EXPECT_EQ(scale.at(2), 65536.0);
  EXPECT_EQ(skipped.at(2), 0.0);
  EXPECT_EQ(skipped.at(3), 1.0);
  EXPECT_EQ(scale.at(3), 32768.0);  // backed off by half
  EXPECT_EQ(scale.at(4), 32768.0);
}

// Under bf16 the pipeline's boundaries carry bf16 (half the bytes, as Megatron
// sends them): it tracks one bf16 process within bf16's precision.
TEST(TrainerMixedPrecision, Bf16PipelineTracksOneBf16Process) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args = job_args(dir, "pipe", 8);
  args.bf16 = true;
  args.mp_parameters = "microbatches=4,partitions=2";
  auto models = build_models(args, 2);
  train_job(args, models);
  TrainArgs one = job_args(dir, "one", 8);
  one.bf16 = true;
  train_one_process(one);
  const auto expected = metric_by_step(dir.file("one/out/metrics.jsonl"));
  const auto actual = metric_by_step(dir.file("pipe/out/metrics.jsonl"));
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& [step, loss] : expected) EXPECT_NEAR(actual.at(step), loss, 0.02 * loss) << "step " << step;
}

// Non-finite gradients without fp16: the step is skipped on every rank
// (weights unchanged), counted, and the run goes on.
TEST(TrainerNonfinite, AFewNonfiniteStepsAreSkippedAndCounted) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args = job_args(dir, "run", 4);
  args.max_steps = 6;
  args.max_nonfinite_steps = 3;
  {
    InjectNonfiniteGrad inject("-1:3:2");  // every rank, steps 3 and 4
    train_data_parallel(args, 2);
  }
  // JSON has no inf: the skipped steps' norms are null, the others numbers.
  std::map<int, nlohmann::json> records;
  for (const auto& record : e2e::read_jsonl(dir.file("run/out/metrics.jsonl")))
    if (record.contains("grad_norm")) records[record["step"].get<int>()] = record;
  ASSERT_EQ(records.size(), 6u);
  EXPECT_TRUE(records.at(3)["grad_norm"].is_null());
  EXPECT_TRUE(records.at(4)["grad_norm"].is_null());
  EXPECT_TRUE(records.at(5)["grad_norm"].is_number());
  EXPECT_EQ(metric_by_step(dir.file("run/out/metrics.jsonl"), "skipped_steps").at(6), 2.0);
  for (const auto& [name, t] : load_safetensors(dir.file("run/model/model.safetensors")))
    EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << name;
}

TEST(TrainerNonfinite, TooManyInARowStopTheRunNamingTheStep) {
  TempDir dir;
  e2e::write_lm_channels(dir);
  TrainArgs args = job_args(dir, "run", 4);
  args.max_steps = 12;
  args.logging_steps = 4;
  args.save_steps = 2;
  args.max_nonfinite_steps = 3;
  try {
    InjectNonfiniteGrad inject("-1:3:100");
    train_data_parallel(args, 2);
    ADD_FAILURE() << "no error";
  } catch (const RuntimeFailure& e) {
    EXPECT_NE(std::string(e.what()).find("step 5: the gradient norm was NaN or inf for 3 steps in a row "
                                         "(--max_nonfinite_steps 3)"),
              std::string::npos)
        << e.what();
  }
  // Checked on step 6 (it saves), before the save: checkpoint-2 and 4 stay, nothing later.
  EXPECT_EQ(CheckpointStore(args.output_dir, -1).complete_steps(), (std::vector<int>{2, 4}));
  EXPECT_FALSE(fs::exists(dir.file("run/model/model.safetensors")));
}

// Resume checks: a checkpoint of 2 data-parallel ranks, then runs that differ.
class TrainerResumeChecks : public ::testing::Test {
 protected:
  void SetUp() override {
    e2e::write_lm_channels(dir_);
    args_ = job_args(dir_, "run", 2);
    args_.max_steps = 2;
    args_.save_steps = 2;
    train_data_parallel(args_, 2);
    args_.max_steps = 4;
    args_.output_data_dir = dir_.file("run/out2");
  }
  std::string failure_of(const TrainArgs& args, int ranks) {
    try {
      train_data_parallel(args, ranks);
    } catch (const RuntimeFailure& e) {
      return e.what();
    }
    return "no error";  // printed by the EXPECT below
  }
  TempDir dir_;
  TrainArgs args_;
};

TEST_F(TrainerResumeChecks, AnotherSeedIsRefusedNamingIt) {
  TrainArgs other = args_;
  other.seed = 7;
  const std::string failure = failure_of(other, 2);
  EXPECT_NE(failure.find("cannot resume, seed differs (checkpoint 42, this run 7)"), std::string::npos) << failure;
}

TEST_F(TrainerResumeChecks, AnotherGlobalBatchIsRefusedNamingIt) {
  EXPECT_NE(failure_of(args_, 1).find("cannot resume, global batch differs (checkpoint 4, this run 2)"),
            std::string::npos);
}

TEST_F(TrainerResumeChecks, OtherDataIsRefusedNamingIt) {
  dir_.write("data/train/more.txt", e2e::tiny_corpus(9));
  EXPECT_NE(failure_of(args_, 2).find("cannot resume, training examples differs"), std::string::npos);
}

// Half the ranks with twice the batch each: the same global batch, so the
// data position carries over and the state, replicated, loads on every rank.
TEST_F(TrainerResumeChecks, FewerReplicasWithTheSameGlobalBatchAreReSharded) {
  TrainArgs fewer = args_;
  fewer.per_device_train_batch_size = 4;
  testing::internal::CaptureStdout();
  train_data_parallel(fewer, 1);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("re-sharding: " + args_.output_dir + "/checkpoint-2 was written with data-parallel degree 2 "
                     "(world size 2), this run has 1 (world size 1); the global batch of 4 is unchanged"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("at step 2"), std::string::npos) << out;
  const auto losses = metric_by_step(dir_.file("run/out2/metrics.jsonl"));
  EXPECT_FALSE(losses.count(2));
  EXPECT_TRUE(losses.count(3));
}

}  // namespace
}  // namespace tandem::runtime_tests
