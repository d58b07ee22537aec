// Pipeline model parallelism through mpirun, in the forms SageMaker passes it:
// every case equals one process training the same replica batch, per step and
// in the final (gathered, Hugging Face layout) parameters.
#include "tests/e2e/fixtures.h"
#include "tests/e2e/parity.h"
#include "tests/e2e/run_tandem.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>

namespace tandem::e2e {
namespace {
namespace fs = std::filesystem;

struct PipelineCase {
  const char* name;
  int processes;
  std::string mp_parameters;  // --mp_parameters, SageMaker's command-line form
  int replicas;               // data-parallel replicas of the pipeline
  std::string model = "gpt-tiny";
  int replica_batch = 8;
};

std::vector<std::string> job(const TempDir& dir, const PipelineCase& c, const std::string& run, int batch) {
  const bool encoder = c.model != "gpt-tiny";
  // "bert-tiny" is a folder the test writes (write_bert_config); the others are presets.
  const std::string model = c.model == "bert-tiny" ? dir.file("bert-tiny") : c.model;
  return with_flag(train_args(dir, run, {model, 5, encoder ? 16 : 32, batch}), "--save_steps", "0");
}

void PrintTo(const PipelineCase& c, std::ostream* os) { *os << c.name; }

class Pipeline : public ::testing::TestWithParam<PipelineCase> {};

TEST_P(Pipeline, EqualsOneProcess) {
  const auto& c = GetParam();
  TempDir dir;
  if (c.model == "gpt-tiny") write_lm_channels(dir);
  else write_classification_channels(dir);
  write_bert_config(dir, "bert-tiny");
  ASSERT_EQ(run_tandem(job(dir, c, "one", c.replica_batch * c.replicas), dir.path()).exit_code, 0);
  auto args = with_flag(job(dir, c, "pipe", c.replica_batch), "--mp_parameters", c.mp_parameters);
  auto r = run_mpi(c.processes, args, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("pipeline: "), std::string::npos) << r.out;
  expect_same_training(dir, "one", "pipe");
}

INSTANTIATE_TEST_SUITE_P(
    Table, Pipeline,
    ::testing::Values(
        PipelineCase{"p2_m4_interleaved", 2, "partitions=2,microbatches=4,pipeline=interleaved", 1},
        PipelineCase{"p2_m4_simple", 2, "partitions=2,microbatches=4,pipeline=simple", 1},
        PipelineCase{"p4_m8_interleaved", 4, "microbatches=8,partitions=4,pipeline=interleaved", 1},
        PipelineCase{"p2_dp2_cluster", 4, "ddp=True,microbatches=4,partitions=2,placement_strategy=cluster", 2},
        PipelineCase{"p2_dp2_spread", 4, "ddp=True,microbatches=4,partitions=2,placement_strategy=spread", 2},
        PipelineCase{"p2_v2_virtual", 2, "microbatches=4,partitions=2,virtual_stages=2", 1},
        PipelineCase{"p2_zero_bubble", 2, "microbatches=4,partitions=2,zero_bubble=True", 1},
        // The split backward's deferred weight gradients reach the data-parallel
        // reducer, and the encoder's Linear layers split as GPT's Conv1D do.
        PipelineCase{"p2_dp2_zero_bubble", 4, "ddp=True,microbatches=4,partitions=2,zero_bubble=True", 2},
        PipelineCase{"encoder_p2_zero_bubble", 2, "microbatches=2,partitions=2,zero_bubble=True", 1, "encoder-tiny"},
        // The V-shaped zero bubble: rank 0 runs the embedding and the head
        // (stages 0 and 3), rank 1 turns the V (stages 1 and 2) within itself.
        PipelineCase{"p2_zero_bubble_v", 2, "microbatches=4,partitions=2,virtual_stages=2,zero_bubble=True", 1},
        PipelineCase{"p2_dp2_zero_bubble_v", 4,
                     "ddp=True,microbatches=4,partitions=2,virtual_stages=2,zero_bubble=True", 2},
        // Virtual stages with fewer microbatches than partitions.
        PipelineCase{"p2_v2_m1_virtual", 2, "microbatches=1,partitions=2,virtual_stages=2", 1, "gpt-tiny", 4},
        // Rank 1 needs microbatch 4's activation before others rank 0 sent
        // earlier: the channels hold messages taken out of order.
        PipelineCase{"p2_v2_m5_out_of_order", 2, "microbatches=5,partitions=2,virtual_stages=2", 1, "gpt-tiny", 10},
        PipelineCase{"encoder_p2_m2", 2, "microbatches=2,partitions=2", 1, "encoder-tiny"},
        // BERT's head (pooler and classifier) on the last stage, its embedding on the first.
        PipelineCase{"bert_p2_m2_zero_bubble", 2, "microbatches=2,partitions=2,zero_bubble=True", 1, "bert-tiny"}),
    [](const auto& info) { return std::string(info.param.name); });

// Under bf16 the boundaries carry bf16 (half the bytes, as Megatron sends
// them): the pipeline tracks one bf16 process within bf16's precision.
TEST(PipelineBf16, TracksOneProcessWithBf16Boundaries) {
  TempDir dir;
  write_lm_channels(dir);
  const PipelineCase c{"bf16", 2, "microbatches=4,partitions=2", 1};
  ASSERT_EQ(run_tandem(with_flag(job(dir, c, "one", 8), "--bf16", "True"), dir.path()).exit_code, 0);
  auto args = with_flag(with_flag(job(dir, c, "pipe", 8), "--mp_parameters", c.mp_parameters), "--bf16", "True");
  auto r = run_mpi(2, args, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto one = losses_by_step(dir.file("one/out/metrics.jsonl"));
  const auto pipe = losses_by_step(dir.file("pipe/out/metrics.jsonl"));
  ASSERT_EQ(one.size(), pipe.size());
  for (const auto& [step, loss] : one) EXPECT_NEAR(pipe.at(step), loss, 0.02 * loss) << "step " << step;
}

// A layout refused at start under mpirun: every rank leaves with exit code 2
// and the message, and nothing is saved. (Each refusal is tested without
// processes in tests/runtime/parallel_plan_test.cpp.)
TEST(PipelineErrors, AnImpossibleLayoutEndsEveryRankWithAUsageError) {
  TempDir dir;
  write_lm_channels(dir);
  const PipelineCase base{"", 2, "", 1};
  auto args = with_flag(job(dir, base, "bad", 8), "--mp_parameters", "partitions=2,microbatches=3");
  auto r = run_mpi(2, args, dir.path());
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("is not divisible by microbatches 3"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir.file("bad/model/model.safetensors")));
}

TEST(PipelineVocabPadding, HeadCopyOfAPaddedVocabularyEqualsOneProcessAndIsSavedUnpadded) {
  // Vocabulary 300 (320 rows in memory): the last stage's own copy of wte is
  // padded as wte is, its gradient is summed with the embedding's, and its
  // checkpoint shard keeps 300 rows.
  TempDir dir;
  write_lm_channels(dir);
  write_gpt_config(dir, "gpt300", 300);
  PipelineCase c{"", 2, "partitions=2,microbatches=4", 1, dir.file("gpt300")};
  // At the table's learning rate (0.003) this model's weights put one element
  // of the final parameters just past the elementwise tolerance (1.5e-5; 2e-5
  // with the full-logits loss): AdamW turns rounding noise into updates of
  // order lr (parity.h). A third of the rate keeps the same check meaningful.
  auto lr = [](std::vector<std::string> a) { return with_flag(std::move(a), "--learning_rate", "0.001"); };
  ASSERT_EQ(run_tandem(lr(job(dir, c, "one", 8)), dir.path()).exit_code, 0);
  auto args = with_flag(with_flag(lr(job(dir, c, "pipe", 8)), "--mp_parameters", c.mp_parameters), "--save_steps", "5");
  auto r = run_mpi(2, args, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  expect_same_training(dir, "one", "pipe");
  const auto shard = load_safetensors(dir.file("pipe/ckpt/checkpoint-5/model-stage1-of-2.safetensors"));
  EXPECT_EQ(shard.at("lm_head.weight").sizes(), (std::vector<int64_t>{300, 64}));
  EXPECT_EQ(load_safetensors(dir.file("pipe/model/model.safetensors")).at("transformer.wte.weight").sizes(),
            (std::vector<int64_t>{300, 64}));
}

TEST(PipelineCheckpoint, ResumesPerStage) {
  TempDir dir;
  write_lm_channels(dir);
  PipelineCase c{"", 2, "partitions=2,microbatches=4", 1};
  auto args = with_flag(with_flag(job(dir, c, "run", 8), "--mp_parameters", c.mp_parameters), "--save_steps", "3");
  ASSERT_EQ(run_mpi(2, args, dir.path()).exit_code, 0);
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-3/model-stage0-of-2.safetensors")));
  EXPECT_TRUE(fs::exists(dir.file("run/ckpt/checkpoint-3/model-stage1-of-2.safetensors")));
  fs::remove_all(dir.file("run/ckpt/checkpoint-5"));
  auto again = with_flag(with_flag(args, "--output_data_dir", dir.file("run/out2")), "--model_dir", dir.file("run/model2"));
  auto r = run_mpi(2, again, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto a = losses_by_step(dir.file("run/out/metrics.jsonl"));
  auto b = losses_by_step(dir.file("run/out2/metrics.jsonl"));
  for (int step = 4; step <= 5; ++step) EXPECT_EQ(a.at(step), b.at(step)) << step;
  EXPECT_EQ(slurp(dir.file("run/model/model.safetensors")), slurp(dir.file("run/model2/model.safetensors")));
}

}  // namespace
}  // namespace tandem::e2e
